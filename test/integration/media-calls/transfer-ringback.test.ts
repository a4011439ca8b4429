/**
 * Ringback for the party of an anchored call that a blind transfer moved (REFER without
 * Replaces, RFC 3515): while the target rings the party hears the engine's ringback tone in its
 * own RTP stream, as CUCM and CME play it; the target's answer, or its early media (RFC 3960
 * §3), takes the tone's place in the same stream; a target that is busy ends the call, and the
 * tone with it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MediaAnchor } from '../../../src/adapters/media/index.js';
import { tonePlan } from '../../../src/media/tone-generator.js';
import type { Dialog, IncomingRequest, Endpoint as SipEndpoint } from '../../../src/sip/index.js';
import { createRequest, createSipStack, generateCallId, generateTag } from '../../../src/sip/index.js';
import { CallAttempt } from '../adapters/sip-line-calls/harness.js';
import { RtpPeer, sleep } from '../media/rtp-peer.js';
import {
  dial,
  eventually,
  heard,
  type Law,
  type MediaNode,
  MediaParty,
  PAYLOAD_TYPE,
  PHONE_201,
  PHONE_202,
  register,
  sdpTarget,
  share,
  startMediaNode,
  startPhone,
  toneFrames,
  toneSnrDb,
} from './harness.js';

const PSTN_NUMBER = '95125551234';
/** Line 201's DID: the carrier's calls to it ring phone 201. */
const DID_201 = '5123781201';
/** What the target plays as early media. */
const EARLY_MEDIA_HZ = 700;
const FRAME = 160;

/** The North American ringback (ANSI T1.401) the engine generates: 440 + 480 Hz, 2 s on, 4 s off. */
const RINGBACK = tonePlan('ringback');
const [LOW_HZ, HIGH_HZ] = RINGBACK.components.map((component) => component.frequency) as [number, number];
const ON_FRAMES = (RINGBACK.cadence[0] ?? 0) / 20;

const parties: MediaParty[] = [];
/** The carrier's gateways: their stack is the node's carrier, closed with the node. */
const gateways: MediaParty[] = [];

/** Undo `watchRingback`. */
const unwatch: (() => void)[] = [];

afterEach(async () => {
  for (const undo of unwatch.splice(0)) undo();
  await Promise.all([
    ...parties.splice(0).map((party) => party.close()),
    ...gateways.splice(0).map((gateway) => gateway.rtp.close()),
  ]);
});

async function phone(law: Law): Promise<MediaParty> {
  const party = await startPhone(law);
  parties.push(party);
  return party;
}

/** A phone that leaves its INVITEs to the test (`onInvite`), to ring before it answers. */
async function ringingPhone(law: Law, onInvite: (incoming: IncomingRequest) => void): Promise<MediaParty> {
  const stack = await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
  const party = new MediaParty(stack, await RtpPeer.create(), law, false);
  stack.onRequest('INVITE', (incoming) => {
    if (incoming.dialog) party.invited(incoming);
    else onInvite(incoming);
  });
  parties.push(party);
  return party;
}

/** The carrier's gateway, whose new INVITEs go to `onInvite` (the node's carrier stack closes with it). */
async function gatewayRinging(
  node: MediaNode,
  law: Law,
  onInvite: (incoming: IncomingRequest) => void,
): Promise<MediaParty> {
  const gateway = new MediaParty(node.carrier.stack, await RtpPeer.create(), law, false);
  gateways.push(gateway);
  node.carrier.onInvite = onInvite;
  return gateway;
}

type RingbackOutcome = Awaited<ReturnType<MediaAnchor['ringback']>>;

/** What the node's anchor answers each request to play ringback, in order. */
function watchRingback(node: MediaNode): RingbackOutcome[] {
  const outcomes: RingbackOutcome[] = [];
  const { anchor } = node;
  const ringback = anchor.ringback;
  unwatch.push(() => {
    anchor.ringback = ringback;
  });
  anchor.ringback = async (callId, legId) => {
    const outcome = await ringback.call(anchor, callId, legId);
    outcomes.push(outcome);
    return outcome;
  };
  return outcomes;
}

/** `party` answers the INVITE it was left with its own description. */
function answer(party: MediaParty, incoming: IncomingRequest): void {
  party.dialog = incoming.accept({ body: party.sdp(), contentType: 'application/sdp' });
}

/** `caller` calls `dialed` from line `dn`; the called phone answers. */
async function answered(node: MediaNode, caller: MediaParty, dn: string, dialed: string): Promise<void> {
  const { response } = await (await dial(caller, node, dn, dialed)).waitFor('final');
  expect(response.status).toBe(200);
  caller.received.push(response.body.toString());
}

/** The carrier calls `number` at the node; the phone the number reaches answers. */
async function carrierCalls(node: MediaNode, gateway: MediaParty, number: string): Promise<Dialog> {
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
  });
  const { response, dialog } = await new CallAttempt(gateway.stack.invite(invite, { target })).waitFor(
    'final',
  );
  expect(response.status).toBe(200);
  if (dialog === undefined) throw new Error('the 200 made no dialog');
  gateway.received.push(response.body.toString());
  return dialog;
}

function refer(from: MediaParty, dialog: Dialog, referTo: string) {
  return from.stack.requestInDialog(dialog, 'REFER', { headers: [['Refer-To', referTo]] });
}

/** The audio of one 20 ms frame of `samples`. */
function frame(samples: Int16Array, index: number): Int16Array {
  return samples.subarray(index * FRAME, (index + 1) * FRAME);
}

function energy(samples: Int16Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return sum / Math.max(1, samples.length);
}

/** `party` hears the ringback's two tones, and nothing else, from packet `from` on. */
async function hearsRingback(party: MediaParty, from: number, frames = 40): Promise<void> {
  await party.rtp.until(() => heard(party, from).length >= frames * FRAME, 3000, 'ringback');
  const tone = heard(party, from).subarray(2 * FRAME, frames * FRAME);
  expect(share(tone, LOW_HZ)).toBeGreaterThan(0.4);
  expect(share(tone, HIGH_HZ)).toBeGreaterThan(0.4);
  expect(share(tone, LOW_HZ) + share(tone, HIGH_HZ)).toBeGreaterThan(0.95);
}

/** Every packet `party` received from packet `from` on came in one RTP stream (RFC 3550 §5.1). */
function oneStream(party: MediaParty, from: number): void {
  const packets = party.rtp.received.slice(from);
  expect(packets.length).toBeGreaterThan(0);
  expect(new Set(packets.map((packet) => packet.header.ssrc)).size).toBe(1);
  for (let i = 1; i < packets.length; i++) {
    const sequence =
      ((packets[i]?.header.sequenceNumber ?? 0) - (packets[i - 1]?.header.sequenceNumber ?? 0)) & 0xffff;
    const timestamp = ((packets[i]?.header.timestamp ?? 0) - (packets[i - 1]?.header.timestamp ?? 0)) >>> 0;
    expect(sequence).toBe(1);
    // The timestamp runs on across the change of source: forward, by at least a frame.
    expect(timestamp).toBeGreaterThanOrEqual(FRAME);
    expect(timestamp).toBeLessThan(8000 * 10);
  }
}

/** `a` and `b` talk (1000 Hz and 1500 Hz) and each hears the other cleanly, no ringback. */
async function hearEachOther(a: MediaParty, b: MediaParty): Promise<void> {
  const [fromA, fromB] = [a.rtp.received.length, b.rtp.received.length];
  await Promise.all([
    a.rtp.stream(a.target, toneFrames(1000, 50, a.law), PAYLOAD_TYPE[a.law]),
    b.rtp.stream(b.target, toneFrames(1500, 50, b.law), PAYLOAD_TYPE[b.law]),
  ]);
  await a.rtp.until(() => heard(a, fromA).length >= 40 * FRAME, 3000, 'the voice at the first party');
  await b.rtp.until(() => heard(b, fromB).length >= 40 * FRAME, 3000, 'the voice at the second party');
  const atA = heard(a, fromA).subarray(-30 * FRAME);
  const atB = heard(b, fromB).subarray(-30 * FRAME);
  expect(toneSnrDb(atA, 1500)).toBeGreaterThan(25);
  expect(toneSnrDb(atB, 1000)).toBeGreaterThan(25);
  expect(share(atA, LOW_HZ) + share(atA, HIGH_HZ)).toBeLessThan(0.01);
}

describe('ringback for a blind-transferred party', () => {
  let node: MediaNode;

  beforeAll(async () => {
    node = await startMediaNode();
  });
  afterAll(() => node.close());
  afterEach(() => {
    for (const call of node.core.calls())
      for (const connection of call.connections) node.core.clear(connection.id);
  });

  it('plays 440+480 Hz with its cadence while the PSTN target rings, then joins the parties in one stream', async () => {
    const a = await phone('ulaw');
    const b = await phone('ulaw');
    register(node, '202', b, PHONE_202);
    let ringing: IncomingRequest | undefined;
    const gateway = await gatewayRinging(node, 'ulaw', (incoming) => {
      ringing = incoming;
      incoming.reply(180);
    });
    await answered(node, a, '201', '202');
    const start = a.rtp.received.length;
    const outcomes = watchRingback(node);

    const response = await refer(b, b.dialog as Dialog, `<sip:${PSTN_NUMBER}@127.0.0.1>`);
    expect(response.status).toBe(202);
    await eventually(() => ringing !== undefined, 'the INVITE to the carrier');
    await hearsRingback(a, start);
    expect(outcomes).toEqual([{ ok: true, tone: true }]);
    // 2 s of tone, then the 4 s pause: silence, in the same stream.
    const pauseFrames = 20;
    await a.rtp.until(
      () => heard(a, start).length >= (ON_FRAMES + pauseFrames) * FRAME,
      5000,
      'the ringback pause',
    );
    const audio = heard(a, start);
    for (let i = 2; i < ON_FRAMES - 2; i++) expect(energy(frame(audio, i))).toBeGreaterThan(1e5);
    for (let i = ON_FRAMES + 2; i < ON_FRAMES + pauseFrames; i++) expect(energy(frame(audio, i))).toBe(0);

    const incoming = ringing as IncomingRequest;
    gateway.received.push(incoming.request.body.toString());
    answer(gateway, incoming);
    await eventually(() => node.core.calls()[0]?.phase === 'connected', 'the carrier answering');
    await sleep(100);
    expect(a.reinvites).toHaveLength(0);
    await hearEachOther(a, gateway);
    oneStream(a, start);
  });

  it('connects the target’s early media (183) instead of ringback', async () => {
    const a = await phone('ulaw');
    const b = await phone('ulaw');
    register(node, '202', b, PHONE_202);
    let early: IncomingRequest | undefined;
    const gateway = await gatewayRinging(node, 'ulaw', (incoming) => {
      early = incoming;
      gateway.received.push(incoming.request.body.toString());
      incoming.reply(183, undefined, { body: gateway.sdp(), contentType: 'application/sdp' });
    });
    await answered(node, a, '201', '202');
    const start = a.rtp.received.length;
    const outcomes = watchRingback(node);

    const response = await refer(b, b.dialog as Dialog, `<sip:${PSTN_NUMBER}@127.0.0.1>`);
    expect(response.status).toBe(202);
    await eventually(() => early !== undefined, 'the 183 from the carrier');
    await sleep(100);
    // The 183 alerts and brings early media at once: the anchor, asked for ringback only once
    // the early answer is anchored, plays none.
    expect(outcomes).toEqual([{ ok: true, tone: false, reason: 'the call is answered' }]);
    // The carrier's announcement, sent to the node's endpoint for it.
    await gateway.rtp.stream(gateway.target, toneFrames(EARLY_MEDIA_HZ, 40, 'ulaw'), PAYLOAD_TYPE.ulaw);
    await a.rtp.until(() => heard(a, start).length >= 30 * FRAME, 3000, 'the early media');
    const audio = heard(a, start);
    expect(toneSnrDb(audio.subarray(-20 * FRAME), EARLY_MEDIA_HZ)).toBeGreaterThan(25);
    // Not one frame of ringback before or between it.
    for (let i = 0; i < audio.length / FRAME; i++) {
      const samples = frame(audio, i);
      if (energy(samples) > 0) expect(share(samples, EARLY_MEDIA_HZ)).toBeGreaterThan(0.5);
    }

    answer(gateway, early as IncomingRequest);
    await eventually(() => node.core.calls()[0]?.phase === 'connected', 'the carrier answering');
    await sleep(100);
    expect(a.reinvites).toHaveLength(0);
    await hearEachOther(a, gateway);
    oneStream(a, start);
  });

  it('stops the tone when the target is busy: the transferred party is released', async () => {
    const a = await phone('ulaw');
    const b = await phone('ulaw');
    register(node, '202', b, PHONE_202);
    let ringing: IncomingRequest | undefined;
    await gatewayRinging(node, 'ulaw', (incoming) => {
      ringing = incoming;
      incoming.reply(180);
    });
    await answered(node, a, '201', '202');
    const start = a.rtp.received.length;
    const records = node.records.length;

    const response = await refer(b, b.dialog as Dialog, `<sip:${PSTN_NUMBER}@127.0.0.1>`);
    expect(response.status).toBe(202);
    await eventually(() => ringing !== undefined, 'the INVITE to the carrier');
    await hearsRingback(a, start, 20);
    (ringing as IncomingRequest).reply(486);

    await eventually(() => a.byes.length === 1, 'the BYE to the transferred party');
    await eventually(() => node.records.length === records + 2, 'the records of both calls');
    expect(node.records.at(-1)).toMatchObject({ calling: '201', cause: 'busy' });
    await eventually(() => node.anchor.calls === 0, 'the anchor letting the call go');
    const after = a.rtp.received.length;
    await sleep(200);
    expect(a.rtp.received.length).toBe(after);
  });
});

describe('ringback for a party the carrier transfers blind', () => {
  let node: MediaNode;

  beforeAll(async () => {
    node = await startMediaNode();
  });
  afterAll(() => node.close());

  it('the carrier refers phone 201 to 202: 201 hears ringback until 202 answers', async () => {
    const b = await phone('ulaw');
    register(node, '201', b, PHONE_201);
    let ringing: IncomingRequest | undefined;
    const c = await ringingPhone('ulaw', (incoming) => {
      ringing = incoming;
      incoming.reply(180);
    });
    register(node, '202', c, PHONE_202);
    const gateway = new MediaParty(node.carrier.stack, await RtpPeer.create(), 'ulaw');
    gateways.push(gateway);
    const carrierDialog = await carrierCalls(node, gateway, DID_201);
    const start = b.rtp.received.length;

    const response = await refer(gateway, carrierDialog, '<sip:202@127.0.0.1>');
    expect(response.status).toBe(202);
    await eventually(() => ringing !== undefined, 'the INVITE to 202');
    await hearsRingback(b, start);

    const incoming = ringing as IncomingRequest;
    c.received.push(incoming.request.body.toString());
    answer(c, incoming);
    await eventually(() => node.core.calls()[0]?.phase === 'connected', '202 answering');
    await sleep(100);
    // The party was called: it may be offered the answer's narrower choice, at the same port.
    expect(new Set(b.received.map((body) => sdpTarget(body).rtpPort)).size).toBe(1);
    await hearEachOther(b, c);
    oneStream(b, start);
    for (const call of node.core.calls())
      for (const connection of call.connections) node.core.clear(connection.id);
  });
});
