/**
 * Early media for a party a blind transfer moved while it was the called side of its first
 * call: the carrier calls phone 201, then refers it to 202 (REFER without Replaces, RFC 3515).
 * 201 is already in its dialog with the node, so the 183 from 202 reaches it only through the
 * anchor: 202's early media (RFC 3960 §3) takes the place of the local ringback in 201's own
 * RTP stream, then 202's answer does.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Dialog, IncomingRequest } from '../../../src/sip/index.js';
import { sleep } from '../media/rtp-peer.js';
import {
  carrierDials,
  clearCalls,
  DID_201,
  eventually,
  heard,
  hearEachOther,
  type MediaNode,
  PAYLOAD_TYPE,
  Parties,
  PHONE_201,
  PHONE_202,
  refer,
  register,
  sdpTarget,
  share,
  startMediaNode,
  toneFrames,
  toneSnrDb,
} from './harness.js';
import { answer, energy, FRAME, frame, HIGH_HZ, LOW_HZ, oneStream, watchRingback } from './ringback.js';

/** What 202 plays as early media. */
const EARLY_MEDIA_HZ = 700;

const parties = new Parties();
afterEach(() => parties.closeAll());

describe('early media for a transferred called party', () => {
  let node: MediaNode;

  beforeAll(async () => {
    node = await startMediaNode();
  });
  afterAll(() => node.close());
  afterEach(() => clearCalls(node));

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
