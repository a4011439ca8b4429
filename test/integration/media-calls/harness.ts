/**
 * A node whose calls' media are anchored, on real sockets: the CME SIP-trunk example (phones 201
 * and 202, the trunk to a carrier on 127.0.0.2) with the real media engine and the node's call
 * media (`startCallMedia`), and phones and a carrier that speak RTP through `RtpPeer`s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { parse } from 'sdp-transform';
import { expect } from 'vitest';
import type { MediaAnchor } from '../../../src/adapters/media/index.js';
import { createSipCallHandler, type LineLocation } from '../../../src/adapters/sip-line/calls/index.js';
import { createSipTrunkCallHandler } from '../../../src/adapters/sip-trunk/calls/index.js';
import { createTrunkAdapter, type TrunkAdapter } from '../../../src/adapters/sip-trunk/index.js';
import {
  type CallFailureSettings,
  type Configuration,
  snapshotOfConfiguration,
  type ToneRegionSetting,
  type TrunkConfig,
} from '../../../src/admin/index.js';
import { type CallCore, type CallRecord, createCallCore } from '../../../src/core/index.js';
import { createDialPlanRouter } from '../../../src/features/routing/index.js';
import { goertzelFilter, goertzelPower } from '../../../src/media/goertzel.js';
import { createMediaEngine, decodeFrame, type Endpoint, encodeFrame } from '../../../src/media/index.js';
import { encodeWav } from '../../../src/media/wav-writer.js';
import { startCallMedia } from '../../../src/server/calls.js';
import {
  authorizeRequest,
  createDigestServer,
  createRequest,
  createSipStack,
  type Dialog,
  generateCallId,
  generateTag,
  type IncomingRequest,
  type InviteResponse,
  type Endpoint as SipEndpoint,
  type SipRequest,
  type SipStack,
  systemClock,
} from '../../../src/sip/index.js';
import { CallAttempt } from '../adapters/sip-line-calls/harness.js';
import { type Carrier, cmeConfiguration, startCarrier } from '../adapters/sip-trunk-calls/harness.js';
import { RtpPeer } from '../media/rtp-peer.js';

export type Law = 'ulaw' | 'alaw';
export const PAYLOAD_TYPE: Record<Law, number> = { ulaw: 0, alaw: 8 };
const ENCODING: Record<Law, string> = { ulaw: 'PCMU', alaw: 'PCMA' };
export const EVENT_PT = 101;
/** The demo MOH: a steady tone the held party can be told to hear. */
export const MOH_HZ = 523;
/** A PSTN number the example's dial plan routes to the carrier (9 is the access code). */
export const PSTN_NUMBER = '95125551234';
/** Line 201's DID: the carrier's calls to it ring phone 201. */
export const DID_201 = '5123781201';
/** The example's phones of lines 201 and 202. */
export const PHONE_201 = 'SEP0008A37128E9';
export const PHONE_202 = 'SEP0008A3465C7F';

export interface MediaNode {
  readonly server: SipStack;
  readonly core: CallCore;
  readonly records: CallRecord[];
  readonly locations: Map<string, LineLocation[]>;
  readonly carrier: Carrier;
  readonly anchor: MediaAnchor;
  /** The RTP ports the node's endpoints use, first and last. */
  readonly rtpPorts: readonly [number, number];
  close(): Promise<void>;
}

export interface MediaNodeOptions {
  readonly trunk?: Partial<TrunkConfig>;
  /** Default 0: no media timeout. */
  readonly mediaTimeoutMs?: number;
  readonly toneRegion?: ToneRegionSetting;
  /** Failure tones (`node.media.callFailure`); default none. */
  readonly callFailure?: CallFailureSettings;
  /** Changes to the CME example's configuration (device pools, phones) before the node starts. */
  readonly configure?: (configuration: Configuration) => Configuration;
}

export async function startMediaNode(options: MediaNodeOptions = {}): Promise<MediaNode> {
  const folder = mkdtempSync(path.join(tmpdir(), 'strowger-media-calls-'));
  const moh = path.join(folder, 'moh.wav');
  writeFileSync(moh, encodeWav(sine(MOH_HZ, 8000, 8000), 8000, 1));
  const carrier = await startCarrier();
  const example = cmeConfiguration({
    proxy: `ipv4:${carrier.endpoint.address}:${carrier.endpoint.port}`,
    ...(options.trunk ? { trunk: options.trunk } : {}),
  });
  const configuration = options.configure ? options.configure(example) : example;
  const snapshot = snapshotOfConfiguration(configuration);
  const server = await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
  const locations = new Map<string, LineLocation[]>();
  const records: CallRecord[] = [];
  const core = createCallCore({
    clock: systemClock,
    router: createDialPlanRouter({
      snapshot: () => snapshot,
      locations: { lookup: (dn) => locations.get(dn) ?? [] },
    }),
    onCallRecord: (record) => records.push(record),
  });
  const mediaTimeoutMs = options.mediaTimeoutMs ?? 0;
  const base = 20_000 + Math.floor(Math.random() * 200) * 100;
  const engine = await createMediaEngine({
    address: '127.0.0.1',
    portRange: [base, base + 99],
    workers: 1,
    mediaTimeoutMs,
  });
  const { anchor, media } = startCallMedia({
    engine,
    snapshot: () => snapshot,
    mediaTimeoutMs,
    musicOnHold: { default: moh },
    ...(options.toneRegion ? { toneRegion: options.toneRegion } : {}),
    ...(options.callFailure ? { callFailure: options.callFailure } : {}),
    logger: pino({ level: 'silent' }),
  });
  const trunks: TrunkAdapter = createTrunkAdapter({
    stack: server,
    trunks: () => [...snapshot.trunks.values()],
    stopTimeoutMs: 500,
  });
  trunks.start();
  createSipCallHandler({
    stack: server,
    core,
    snapshot: () => snapshot,
    // MD5 alone, as the phones of examples/ and sipp 3.6 answer it.
    digest: createDigestServer({ realm: 'strowger', algorithms: ['MD5'] }),
    media,
  });
  createSipTrunkCallHandler({ stack: server, core, trunks, media });
  return {
    server,
    core,
    records,
    locations,
    carrier,
    anchor,
    rtpPorts: [base, base + 99],
    close: async () => {
      await trunks.stop();
      await server.close();
      await carrier.close();
      anchor.close();
      await engine.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** A SIP party with an RTP peer: a phone (answers INVITEs and re-INVITEs) or the carrier's gateway. */
export class MediaParty {
  readonly infos: SipRequest[] = [];
  readonly reinvites: SipRequest[] = [];
  readonly byes: SipRequest[] = [];
  /** The session descriptions the node sent this party (offers and answers). */
  readonly received: string[] = [];
  dialog: Dialog | undefined;

  /** `answers`: false for a stack whose INVITEs someone else screens (the carrier's), who calls `invited`. */
  constructor(
    readonly stack: SipStack,
    readonly rtp: RtpPeer,
    readonly law: Law,
    answers = true,
  ) {
    if (answers) stack.onRequest('INVITE', (incoming) => this.invited(incoming));
    stack.onRequest('BYE', (incoming) => {
      this.byes.push(incoming.request);
      incoming.reply(200);
    });
    stack.onRequest('INFO', (incoming) => {
      this.infos.push(incoming.request);
      incoming.reply(200);
    });
  }

  /** This party's session description. */
  sdp(direction = 'sendrecv', laws: readonly string[] = [ENCODING[this.law]]): string {
    const formats = laws.map((name) => (name === 'PCMU' ? 0 : name === 'PCMA' ? 8 : 18));
    return [
      'v=0',
      `o=- ${this.rtp.port} 1 IN IP4 127.0.0.1`,
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${this.rtp.port} RTP/AVP ${formats.join(' ')} ${EVENT_PT}`,
      ...laws.map((name, i) => `a=rtpmap:${formats[i]} ${name}/8000`),
      `a=rtpmap:${EVENT_PT} telephone-event/8000`,
      `a=fmtp:${EVENT_PT} 0-15`,
      `a=${direction}`,
      '',
    ].join('\r\n');
  }

  /** Answers an INVITE (or re-INVITE) with this party's description. */
  invited(incoming: IncomingRequest): void {
    this.received.push(incoming.request.body.toString());
    if (incoming.dialog) {
      this.reinvites.push(incoming.request);
      incoming.reply(200, undefined, { body: this.sdp(), contentType: 'application/sdp' });
      return;
    }
    incoming.reply(180);
    this.dialog = incoming.accept({ body: this.sdp(), contentType: 'application/sdp' });
  }

  /** Where the node told this party to send its RTP (the last description it got). */
  get target(): Endpoint {
    return sdpTarget(this.received.at(-1) ?? '');
  }

  close(): Promise<unknown> {
    return Promise.all([this.stack.close(), this.rtp.close()]);
  }
}

/** The carrier's gateway behind its proxy: answers the node's authenticated INVITEs with RTP. */
export async function carrierGateway(node: MediaNode, law: Law): Promise<MediaParty> {
  const gateway = new MediaParty(node.carrier.stack, await RtpPeer.create(), law, false);
  node.carrier.onInvite = (incoming) => gateway.invited(incoming);
  return gateway;
}

/**
 * The parties a test file starts, closed after each test. The carrier's gateways share the
 * node's carrier stack, which closes with the node: only their RTP peers are closed here.
 */
export class Parties {
  private readonly phones: MediaParty[] = [];
  private readonly gateways: MediaParty[] = [];

  async phone(law: Law): Promise<MediaParty> {
    const party = await startPhone(law);
    this.phones.push(party);
    return party;
  }

  /** A phone that leaves its new INVITEs to `onInvite` (to ring, or answer early, first). */
  async ringingPhone(law: Law, onInvite: (incoming: IncomingRequest) => void): Promise<MediaParty> {
    const stack = await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    const party = new MediaParty(stack, await RtpPeer.create(), law, false);
    stack.onRequest('INVITE', (incoming) => {
      if (incoming.dialog) party.invited(incoming);
      else onInvite(incoming);
    });
    this.phones.push(party);
    return party;
  }

  /**
   * The carrier's gateway the node calls: the carrier's proxy screens the INVITEs and leaves
   * new ones to `onInvite`, or to the gateway to answer at once without it.
   */
  async gateway(
    node: MediaNode,
    law: Law,
    onInvite?: (incoming: IncomingRequest) => void,
  ): Promise<MediaParty> {
    const gateway = await carrierGateway(node, law);
    if (onInvite) node.carrier.onInvite = onInvite;
    this.gateways.push(gateway);
    return gateway;
  }

  /**
   * The carrier's gateway that calls the node (`carrierDials`): it takes every INVITE of the
   * carrier's stack, so that the re-INVITEs of its call reach it and are counted.
   */
  async callingGateway(node: MediaNode, law: Law): Promise<MediaParty> {
    const gateway = new MediaParty(node.carrier.stack, await RtpPeer.create(), law);
    this.gateways.push(gateway);
    return gateway;
  }

  closeAll(): Promise<unknown> {
    return Promise.all([
      ...this.phones.splice(0).map((party) => party.close()),
      ...this.gateways.splice(0).map((gateway) => gateway.rtp.close()),
    ]);
  }
}

/** Clears every call left at the node. */
export function clearCalls(node: MediaNode): void {
  for (const call of node.core.calls())
    for (const connection of call.connections) node.core.clear(connection.id);
}

/** The carrier's `gateway` starts a call to `number` at the node, as a PSTN caller. */
export function carrierCalls(
  node: MediaNode,
  gateway: MediaParty,
  number: string,
  headers: readonly [string, string][] = [],
): CallAttempt {
  const target = node.server.listening()[0] as SipEndpoint;
  const invite = createRequest({
    method: 'INVITE',
    uri: `sip:${number}@127.0.0.1:${target.port}`,
    from: `"PSTN caller" <sip:5125550100@127.0.0.2>;tag=${generateTag()}`,
    to: `<sip:${number}@127.0.0.1>`,
    callId: generateCallId(),
    cseq: 1,
    contact: gateway.stack.contact('UDP'),
    body: gateway.sdp(),
    contentType: 'application/sdp',
    headers: [...headers],
  });
  return new CallAttempt(gateway.stack.invite(invite, { target }));
}

/**
 * The carrier's `gateway` calls `number` at the node, as a PSTN caller; its final response. The
 * answer it got is kept in `gateway.received`, its dialog in `gateway.dialog`.
 */
export async function carrierDials(
  node: MediaNode,
  gateway: MediaParty,
  number: string,
  headers: readonly [string, string][] = [],
): Promise<InviteResponse> {
  const final = await carrierCalls(node, gateway, number, headers).waitFor('final');
  if (final.response.status === 200) {
    gateway.received.push(final.response.body.toString());
    gateway.dialog = final.dialog;
  }
  return final;
}

/** `caller` calls `dialed` from line `dn` and the called phone answers; the caller's dialog. */
export async function dialAnswered(
  node: MediaNode,
  caller: MediaParty,
  dn: string,
  dialed: string,
): Promise<Dialog> {
  const { response, dialog } = await (await dial(caller, node, dn, dialed)).waitFor('final');
  expect(response.status).toBe(200);
  if (dialog === undefined) throw new Error('the 200 made no dialog');
  caller.received.push(response.body.toString());
  return dialog;
}

/** `from` transfers the other party of `dialog` to `referTo` (RFC 3515); the REFER's response. */
export function refer(from: MediaParty, dialog: Dialog, referTo: string) {
  return from.stack.requestInDialog(dialog, 'REFER', { headers: [['Refer-To', referTo]] });
}

/**
 * `a` and `b` talk (1000 Hz and 1500 Hz) toward where the node last told them; each hears the
 * other cleanly and, at `a`, none of the `absent` frequencies (the tone it heard before).
 */
export async function hearEachOther(a: MediaParty, b: MediaParty, absent: readonly number[]): Promise<void> {
  const [fromA, fromB] = [a.rtp.received.length, b.rtp.received.length];
  await Promise.all([
    a.rtp.stream(a.target, toneFrames(1000, 50, a.law), PAYLOAD_TYPE[a.law]),
    b.rtp.stream(b.target, toneFrames(1500, 50, b.law), PAYLOAD_TYPE[b.law]),
  ]);
  await a.rtp.until(() => heard(a, fromA).length >= 40 * 160, 3000, 'the voice at the first party');
  await b.rtp.until(() => heard(b, fromB).length >= 40 * 160, 3000, 'the voice at the second party');
  // The first frames may still be the earlier tone or silence while the relay is set up.
  const atA = heard(a, fromA).subarray(-30 * 160);
  const atB = heard(b, fromB).subarray(-30 * 160);
  expect(toneSnrDb(atA, 1500)).toBeGreaterThan(25);
  expect(toneSnrDb(atB, 1000)).toBeGreaterThan(25);
  expect(absent.reduce((sum, frequency) => sum + share(atA, frequency), 0)).toBeLessThan(0.01);
}

/** Resolves once `condition` holds, looked at every 10 ms; rejects after `ms`. */
export async function eventually(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited >= ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function startPhone(law: Law, address = '127.0.0.1'): Promise<MediaParty> {
  const stack = await createSipStack({ transports: [{ protocol: 'UDP', address, port: 0 }] });
  return new MediaParty(stack, await RtpPeer.create(), law);
}

/** The phone of `dn` registered at the node. */
export function register(node: MediaNode, dn: string, phone: MediaParty, name: string): void {
  registerAt(node, dn, (phone.stack.listening()[0] as SipEndpoint).port, name);
}

/** A phone (`name`) of line `dn` registered from UDP 127.0.0.1:`port`. */
export function registerAt(node: MediaNode, dn: string, port: number, name: string): void {
  const source: SipEndpoint = { protocol: 'UDP', address: '127.0.0.1', port };
  node.locations.set(dn, [{ phone: name, contact: `sip:${dn}@127.0.0.1:${port}`, path: [], source }]);
}

/** `phone` (line `dn`, demo password) calls `dialed` with `body`, answering the digest challenge. */
export async function dial(
  phone: MediaParty,
  node: MediaNode,
  dn: string,
  dialed: string,
  body = phone.sdp(),
): Promise<CallAttempt> {
  const target = node.server.listening()[0] as SipEndpoint;
  const init = {
    method: 'INVITE',
    uri: `sip:${dialed}@127.0.0.1:${target.port}`,
    from: `<sip:${dn}@127.0.0.1>;tag=${generateTag()}`,
    to: `<sip:${dialed}@127.0.0.1>`,
    callId: generateCallId(),
    contact: phone.stack.contact('UDP', dn),
    body,
    contentType: 'application/sdp',
  };
  const first = createRequest({ ...init, cseq: 1 });
  const { response } = await new CallAttempt(phone.stack.invite(first, { target })).waitFor('final');
  if (response.status !== 407) throw new Error(`expected a challenge, got ${response.status}`);
  const credentials = authorizeRequest({
    response,
    request: first,
    account: { username: dn, password: `demo-${dn}` },
  });
  if (!credentials.ok) throw new Error(credentials.error.message);
  const headers = credentials.value.values.map((value): [string, string] => [credentials.value.name, value]);
  return new CallAttempt(phone.stack.invite(createRequest({ ...init, cseq: 2, headers }), { target }));
}

/** The address and port an SDP body sends media to. */
export function sdpTarget(body: string): Endpoint {
  const session = parse(body);
  const audio = session.media[0];
  const ip = audio?.connection?.ip ?? session.connection?.ip ?? '';
  return { id: '', address: ip, rtpPort: audio?.port ?? 0, rtcpPort: (audio?.port ?? 0) + 1 };
}

export function sine(frequency: number, samples: number, amplitude = 10_000): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequency * i) / 8000));
  return out;
}

/** `frames` 20 ms G.711 frames of a tone. */
export function toneFrames(frequency: number, frames: number, law: Law): Uint8Array[] {
  const samples = sine(frequency, frames * 160, 12_000);
  return Array.from({ length: frames }, (_, frame) => {
    const payload = new Uint8Array(160);
    encodeFrame(law, samples.subarray(frame * 160, frame * 160 + 160), payload);
    return payload;
  });
}

/**
 * A key pressed in the audio: its DTMF pair (`lowHz` with `highHz`, Q.23) for 200 ms, then
 * 200 ms of silence, as 20 ms G.711 μ-law frames.
 */
export function keyInBand(lowHz: number, highHz: number): Uint8Array[] {
  const low = sine(lowHz, 1600, 6000);
  const high = sine(highHz, 1600, 6000);
  const frames: Uint8Array[] = [];
  for (let frame = 0; frame < 20; frame++) {
    const samples = new Int16Array(160);
    if (frame < 10)
      for (let i = 0; i < 160; i++) samples[i] = (low[frame * 160 + i] ?? 0) + (high[frame * 160 + i] ?? 0);
    const payload = new Uint8Array(160);
    encodeFrame('ulaw', samples, payload);
    frames.push(payload);
  }
  return frames;
}

/** The audio a party received in its law since packet `from`. */
export function heard(party: MediaParty, from = 0): Int16Array {
  const payloads = party.rtp.received
    .slice(from)
    .filter((packet) => packet.header.payloadType === PAYLOAD_TYPE[party.law])
    .map((packet) => packet.payload);
  const out = new Int16Array(payloads.length * 160);
  payloads.forEach((payload, i) => {
    decodeFrame(party.law, payload, 0, Math.min(160, payload.length), out.subarray(i * 160));
  });
  return out;
}

/** Share of the signal's energy at `frequency` (1 for a pure tone). */
export function share(samples: Int16Array, frequency: number): number {
  let energy = 0;
  for (const sample of samples) energy += sample * sample;
  if (energy === 0) return 0;
  return (
    goertzelPower(goertzelFilter(frequency), samples, 0, samples.length) / ((energy * samples.length) / 2)
  );
}

/** SNR of a received tone against the ideal sine of the same frequency, fitted in phase and amplitude. */
export function toneSnrDb(samples: Int16Array, frequency: number): number {
  let sin = 0;
  let cos = 0;
  for (let i = 0; i < samples.length; i++) {
    sin += (samples[i] ?? 0) * Math.sin((2 * Math.PI * frequency * i) / 8000);
    cos += (samples[i] ?? 0) * Math.cos((2 * Math.PI * frequency * i) / 8000);
  }
  const a = (2 * sin) / samples.length;
  const b = (2 * cos) / samples.length;
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < samples.length; i++) {
    const ideal =
      a * Math.sin((2 * Math.PI * frequency * i) / 8000) + b * Math.cos((2 * Math.PI * frequency * i) / 8000);
    signal += ideal * ideal;
    noise += ((samples[i] ?? 0) - ideal) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}
