/**
 * Ringback for the party of an anchored call that a blind transfer moved (REFER without
 * Replaces, RFC 3515): while the target rings the party hears the engine's ringback tone in its
 * own RTP stream, as CUCM and CME play it; the target's answer, or its early media (RFC 3960
 * §3), takes the tone's place in the same stream — also for a party that was the called side of
 * its first call, whose 183 reaches it only through the anchor; a target that is busy ends the
 * call, and the tone with it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Dialog, IncomingRequest } from '../../../src/sip/index.js';
import { sleep } from '../media/rtp-peer.js';
import {
  carrierDials,
  clearCalls,
  DID_201,
  dialAnswered,
  eventually,
  heard,
  hearEachOther,
  type MediaNode,
  PAYLOAD_TYPE,
  Parties,
  PHONE_201,
  PHONE_202,
  PSTN_NUMBER,
  refer,
  register,
  sdpTarget,
  share,
  startMediaNode,
  toneFrames,
  toneSnrDb,
} from './harness.js';
import {
  answer,
  energy,
  FRAME,
  frame,
  HIGH_HZ,
  hearsRingback,
  LOW_HZ,
  ON_FRAMES,
  oneStream,
  watchRingback,
} from './ringback.js';

/** What the target plays as early media. */
const EARLY_MEDIA_HZ = 700;

const parties = new Parties();
afterEach(() => parties.closeAll());

describe('ringback for a blind-transferred party', () => {
  let node: MediaNode;

  beforeAll(async () => {
    node = await startMediaNode();
  });
  afterAll(() => node.close());
  afterEach(() => clearCalls(node));

  it('plays 440+480 Hz with its cadence while the PSTN target rings, then joins the parties in one stream', async () => {
    const a = await parties.phone('ulaw');
    const b = await parties.phone('ulaw');
    register(node, '202', b, PHONE_202);
    let ringing: IncomingRequest | undefined;
    const gateway = await parties.gateway(node, 'ulaw', (incoming) => {
      ringing = incoming;
      incoming.reply(180);
    });
    await dialAnswered(node, a, '201', '202');
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
    await hearEachOther(a, gateway, [LOW_HZ, HIGH_HZ]);
    oneStream(a, start);
  });

  it('connects the target’s early media (183) instead of ringback', async () => {
    const a = await parties.phone('ulaw');
    const b = await parties.phone('ulaw');
    register(node, '202', b, PHONE_202);
    let early: IncomingRequest | undefined;
    const gateway = await parties.gateway(node, 'ulaw', (incoming) => {
      early = incoming;
      gateway.received.push(incoming.request.body.toString());
      incoming.reply(183, undefined, { body: gateway.sdp(), contentType: 'application/sdp' });
    });
    await dialAnswered(node, a, '201', '202');
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
    await hearEachOther(a, gateway, [LOW_HZ, HIGH_HZ]);
    oneStream(a, start);
  });

  it('stops the tone when the target is busy: the transferred party is released', async () => {
    const a = await parties.phone('ulaw');
    const b = await parties.phone('ulaw');
    register(node, '202', b, PHONE_202);
    let ringing: IncomingRequest | undefined;
    await parties.gateway(node, 'ulaw', (incoming) => {
      ringing = incoming;
      incoming.reply(180);
    });
    await dialAnswered(node, a, '201', '202');
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
    const b = await parties.phone('ulaw');
    register(node, '201', b, PHONE_201);
    let ringing: IncomingRequest | undefined;
    const c = await parties.ringingPhone('ulaw', (incoming) => {
      ringing = incoming;
      incoming.reply(180);
    });
    register(node, '202', c, PHONE_202);
    const gateway = await parties.callingGateway(node, 'ulaw');
    expect((await carrierDials(node, gateway, DID_201)).response.status).toBe(200);
    const start = b.rtp.received.length;

    const response = await refer(gateway, gateway.dialog as Dialog, '<sip:202@127.0.0.1>');
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
    await hearEachOther(b, c, [LOW_HZ, HIGH_HZ]);
    oneStream(b, start);
    clearCalls(node);
  });

  it('the carrier refers phone 201 to 202, which answers 183: 201 hears 202’s early media, not ringback', async () => {
    const b = await parties.phone('ulaw');
    register(node, '201', b, PHONE_201);
    let early: IncomingRequest | undefined;
    const c = await parties.ringingPhone('ulaw', (incoming) => {
      early = incoming;
      c.received.push(incoming.request.body.toString());
      incoming.reply(183, undefined, { body: c.sdp(), contentType: 'application/sdp' });
    });
    register(node, '202', c, PHONE_202);
    const gateway = await parties.callingGateway(node, 'ulaw');
    expect((await carrierDials(node, gateway, DID_201)).response.status).toBe(200);
    const start = b.rtp.received.length;
    const outcomes = watchRingback(node);

    const response = await refer(gateway, gateway.dialog as Dialog, '<sip:202@127.0.0.1>');
    expect(response.status).toBe(202);
    await eventually(() => early !== undefined, 'the 183 from 202');
    await eventually(() => outcomes.length === 1, 'the request for ringback');
    // The early answer is anchored before ringback is asked for: there is none to play.
    expect(outcomes).toEqual([{ ok: true, tone: false, reason: 'the call is answered' }]);
    // 202's announcement, sent to the node's endpoint for it.
    await c.rtp.stream(c.target, toneFrames(EARLY_MEDIA_HZ, 40, 'ulaw'), PAYLOAD_TYPE.ulaw);
    await b.rtp.until(() => heard(b, start).length >= 30 * FRAME, 3000, 'the early media');
    const audio = heard(b, start);
    expect(toneSnrDb(audio.subarray(-20 * FRAME), EARLY_MEDIA_HZ)).toBeGreaterThan(25);
    // Not one frame of ringback before or between it.
    for (let i = 0; i < audio.length / FRAME; i++) {
      const samples = frame(audio, i);
      if (energy(samples) > 0) expect(share(samples, EARLY_MEDIA_HZ)).toBeGreaterThan(0.5);
    }

    answer(c, early as IncomingRequest);
    await eventually(() => node.core.calls()[0]?.phase === 'connected', '202 answering');
    await sleep(100);
    // The party was called: it may be offered the answer's narrower choice, at the same port.
    expect(new Set(b.received.map((body) => sdpTarget(body).rtpPort)).size).toBe(1);
    await hearEachOther(b, c, [LOW_HZ, HIGH_HZ]);
    oneStream(b, start);
  });
});
