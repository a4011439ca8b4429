/**
 * Cisco `dtmf-relay sip-notify` is negotiated in signalling, not in SDP: the INVITE announces it
 * with `Call-Info: <sip:host:port>;method="NOTIFY;Event=telephone-event;Duration=2000"` and the
 * 18x/200 acknowledges it the same way; an IOS gateway sends digit NOTIFYs only to a party that
 * announced them. Duration is `notify telephone-event max-duration`: both sides use the lower of
 * the two announced values (the default is 2000 ms).
 */
import {
  formatUri,
  type IncomingRequest,
  type NameAddr,
  type SipLogger,
  type SipMessage,
  type SipStack,
} from '../../../sip/index.js';
import { NOTIFY_MAX_DURATION_MS, notifyCallInfo } from '../../media/index.js';
import type { Dial } from '../../sip-common/index.js';
import type { ResolvedTrunkConfig, TrunkConfig } from '../trunk-config.js';

/** What a carrier's Call-Info announced. */
export interface NotifyRelayOffer {
  /** Its max-duration in milliseconds (the default when it gave none). */
  readonly maxDurationMs: number;
}

/** Call-Info values looked at in one message, and the longest one read; the rest is not ours. */
const MAX_ENTRIES = 8;
const MAX_ENTRY_LENGTH = 512;
/** A NOTIFY body carries the duration in 16 bits (RFC 4733 §2.3.5 layout). */
const MAX_DURATION_MS = 0xffff;
/** Shorter than any key press a gateway plays: such a value is read as this. */
const MIN_DURATION_MS = 100;

/** Whether the trunk relays digits by NOTIFY (`dtmf-relay sip-notify`). */
export function relaysByNotify(config: Pick<TrunkConfig, 'dtmfRelay'>): boolean {
  return config.dtmfRelay === 'sip-notify';
}

/** The Call-Info field announcing NOTIFY relay from `contact` (its host and port, as IOS writes it). */
export function notifyRelayHeader(contact: NameAddr, maxDurationMs: number): [string, string] {
  const { user: _user, password: _password, ...uri } = contact.uri;
  return ['Call-Info', notifyCallInfo(formatUri({ ...uri, headers: {} }), maxDurationMs)];
}

/** The max-duration both sides use once the carrier announced `offer` (ours when it did not). */
export function negotiatedDuration(offer: NotifyRelayOffer | undefined): number {
  return Math.min(NOTIFY_MAX_DURATION_MS, offer?.maxDurationMs ?? NOTIFY_MAX_DURATION_MS);
}

/** The carrier's announcement in `message` (an INVITE, an 18x, a 2xx), or undefined when none. */
export function readNotifyRelay(message: SipMessage): NotifyRelayOffer | undefined {
  const entries = message.headers.getAll('Call-Info');
  const count = Math.min(entries.length, MAX_ENTRIES);
  for (let i = 0; i < count; i++) {
    const entry = entries[i]!;
    if (entry.length > MAX_ENTRY_LENGTH) continue;
    const offer = readEntry(entry);
    if (offer !== undefined) return offer;
  }
  return undefined;
}

/**
 * One `info` of RFC 3261 §20.9 (`<URI> *(;info-param)`): the `method` parameter's quoted value
 * names NOTIFY with `Event=telephone-event`; names compare case-insensitively (IOS writes
 * `Notify` in some releases).
 */
function readEntry(entry: string): NotifyRelayOffer | undefined {
  const uriEnd = entry.indexOf('>');
  if (entry.trimStart()[0] !== '<' || uriEnd < 0) return undefined;
  const method = /;\s*method\s*=\s*"([^"]*)"/i.exec(entry.slice(uriEnd + 1))?.[1];
  if (method === undefined) return undefined;
  const [name, ...params] = method.split(';');
  if (name?.trim().toUpperCase() !== 'NOTIFY') return undefined;
  let event = false;
  let maxDurationMs = NOTIFY_MAX_DURATION_MS;
  for (const param of params) {
    const separator = param.indexOf('=');
    if (separator < 0) continue;
    const key = param.slice(0, separator).trim().toLowerCase();
    const value = param.slice(separator + 1).trim();
    if (key === 'event') event = value.toLowerCase() === 'telephone-event';
    else if (key === 'duration' && /^[0-9]{1,6}$/.test(value))
      maxDurationMs = Math.min(MAX_DURATION_MS, Math.max(MIN_DURATION_MS, Number(value)));
  }
  return event ? { maxDurationMs } : undefined;
}

/** What we answer a carrier's INVITE on a `sip-notify` trunk with, and the max-duration agreed. */
export interface NotifyRelayAnswer {
  readonly headers: [string, string][];
  readonly maxDurationMs: number;
}

/**
 * The Call-Info of our 18x/2xx to a carrier's INVITE on a `sip-notify` trunk, with the lower of
 * the two max-durations (Cisco `notify telephone-event`). A carrier that announced nothing is
 * still sent NOTIFYs, as the trunk is configured.
 */
export function notifyRelayAnswer(
  stack: SipStack,
  incoming: IncomingRequest,
  trunk: ResolvedTrunkConfig | undefined,
  logger: SipLogger,
): NotifyRelayAnswer | undefined {
  if (trunk === undefined || !relaysByNotify(trunk.config)) return undefined;
  const offer = readNotifyRelay(incoming.request);
  logNotifyRelay(logger, trunk.name, offer);
  const contact = stack.contact(incoming.info.local.protocol);
  const maxDurationMs = negotiatedDuration(offer);
  return { headers: [notifyRelayHeader(contact, maxDurationMs)], maxDurationMs };
}

/**
 * Reads the carrier's Call-Info in the 18x/2xx of our INVITE on a `sip-notify` trunk and tells
 * `agreed` the max-duration both sides use, before the response reaches the call; what the 2xx
 * leaves known is logged once.
 */
export function withNotifyRelayAnswer(
  dial: Dial,
  trunk: string,
  logger: SipLogger,
  agreed: (maxDurationMs: number) => void,
): Dial {
  let offer: NotifyRelayOffer | undefined;
  return {
    ...dial,
    onResponse: (response) => {
      if (offer === undefined) {
        offer = readNotifyRelay(response);
        if (offer !== undefined) agreed(negotiatedDuration(offer));
      }
      if (response.status >= 200) logNotifyRelay(logger, trunk, offer);
    },
  };
}

function logNotifyRelay(logger: SipLogger, trunk: string, offer: NotifyRelayOffer | undefined): void {
  if (offer === undefined)
    logger.debug({ trunk }, 'carrier did not announce NOTIFY DTMF relay: NOTIFYs are sent as configured');
  else
    logger.debug(
      { trunk, maxDurationMs: offer.maxDurationMs, negotiatedMs: negotiatedDuration(offer) },
      'carrier announced NOTIFY DTMF relay',
    );
}
