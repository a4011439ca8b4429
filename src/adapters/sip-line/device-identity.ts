/**
 * Who is registering, as far as a REGISTER tells: the MAC address a Cisco phone puts in its
 * `+sip.instance` (RFC 5626 §4.1), and the model and firmware load in its User-Agent. The device
 * name is CUCM's `SEP<MAC>` (R-REG-03). Everything here is client input: parsers are bounded
 * and answer null for anything they do not recognise.
 */
import { modelKey } from '../../provisioning/index.js';
import type { SipRequest } from '../../sip/index.js';

export interface DeviceIdentity {
  /** `SEP<MAC>` when the instance id carries a MAC address, else null. */
  readonly deviceName: string | null;
  /** The 12 upper-case hexadecimal digits of the MAC, without separators. */
  readonly mac: string | null;
  /** `+sip.instance` of the first Contact, unquoted (RFC 5626 §4.1). */
  readonly instanceId: string | null;
  /** Model as the phone names itself (`7960G`, `8945`, `7841-3PCC`), from the User-Agent. */
  readonly model: string | null;
  /** Firmware load from the User-Agent (`8.0`, `9.4.2`, `sip78xx.11-0-1MPP`). */
  readonly load: string | null;
  readonly userAgent: string | null;
}

/** Identifiers and user agents longer than this are not parsed. */
const MAX_PARSED_LENGTH = 256;

/** `urn:uuid:` then an RFC 4122 UUID, optionally inside `<…>` as Cisco and RFC 5626 write it. */
const INSTANCE_UUID =
  /^<?urn:uuid:([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})>?$/i;

/**
 * Cisco's CallManager SIP firmware: `Cisco-CP7960G/8.0`, `Cisco-CP8945/9.4.2`,
 * `Cisco-CP7961G-GE/8.5.4`. Multiplatform firmware (`Cisco-CP-7841-3PCC/11.0`) and the SPA line
 * (`Cisco/SPA504G-7.6.2`) do not register with a CallManager and are not matched.
 */
const CISCO_USER_AGENT = /^Cisco-CP([0-9]{4}[A-Z]?(?:-GE)?)\/(\S{1,64})/i;

/**
 * The MAC address an instance id carries, if any: Cisco phones send
 * `<urn:uuid:00000000-0000-0000-0000-003094C2D5CA>`; a version-1 UUID (RFC 4122 §4.1.6) carries
 * its node's MAC when the multicast bit is clear (a set bit marks a random node id, §4.5).
 */
export function macOfInstanceId(instanceId: string): string | null {
  if (instanceId.length > MAX_PARSED_LENGTH) return null;
  const match = INSTANCE_UUID.exec(instanceId.trim());
  if (match === null) return null;
  const [, timeLow, timeMid, timeHigh, clock, node] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const mac = node.toUpperCase();
  if (mac === '000000000000') return null;
  if (timeLow === '00000000' && timeMid === '0000' && timeHigh === '0000' && clock === '0000') return mac;
  const version = timeHigh[0];
  const multicast = (Number.parseInt(mac.slice(0, 2), 16) & 1) === 1;
  return version === '1' && !multicast ? mac : null;
}

/** Model and load of a Cisco phone's User-Agent; nulls for any other user agent. */
export function parseUserAgent(userAgent: string): { model: string | null; load: string | null } {
  if (userAgent.length > MAX_PARSED_LENGTH) return { model: null, load: null };
  const match = CISCO_USER_AGENT.exec(userAgent.trim());
  if (match === null) return { model: null, load: null };
  return { model: (match[1] as string).toUpperCase(), load: match[2] as string };
}

/** `SEP<MAC>` for 12 hexadecimal digits; null for anything else. */
export function deviceNameOfMac(mac: string): string | null {
  return /^[0-9A-F]{12}$/i.test(mac) ? `SEP${mac.toUpperCase()}` : null;
}

/** The identity a REGISTER claims; `instanceId` is its first Contact's `+sip.instance`, unquoted. */
export function identifyDevice(request: SipRequest, instanceId: string | null): DeviceIdentity {
  const userAgent = request.headers.get('User-Agent') ?? null;
  const mac = instanceId === null ? null : macOfInstanceId(instanceId);
  const { model, load } = userAgent === null ? { model: null, load: null } : parseUserAgent(userAgent);
  return {
    deviceName: mac === null ? null : deviceNameOfMac(mac),
    mac,
    instanceId,
    model,
    load,
    userAgent: userAgent === null ? null : userAgent.slice(0, MAX_PARSED_LENGTH),
  };
}

/**
 * Whether a phone reporting `seen` is not the configured model (R-REG-24: "version error").
 * Only a configured Cisco model number can differ: a generic model (`SIP phone`) or a device
 * that does not name its model passes. `7961G` is a `7961`; `7961G-GE` is another phone (R-REG-25).
 */
export function modelMismatch(configured: string, seen: string | null): boolean {
  if (seen === null) return false;
  const expected = modelKey(configured);
  return /^[0-9]{4}/.test(expected) && expected !== modelKey(seen);
}
