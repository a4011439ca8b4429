/**
 * Cisco sip-notify DTMF against the other ways of relaying digits, through the media anchor and
 * the real engine: sip-notify ⇄ sip-info, sip-notify ⇄ in-band tones (Goertzel-detected) and
 * sip-notify ⇄ sip-notify. The SIP side is the anchor's own surface (`receiveDtmf` and
 * `onDtmfSignal`); the tones cross real sockets.
 */
import { parse } from 'sdp-transform';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type DtmfMessage,
  type DtmfRelay,
  infoMessage,
  type MediaAnchor,
  notifyMessage,
  readInfo,
  readNotify,
  type SignalledDigit,
} from '../../../src/adapters/media/index.js';
import { decodeFrame, type Endpoint } from '../../../src/media/index.js';
import { type AnchoredEngine, startAnchoredEngine } from '../media/anchored-engine.js';
import { RtpPeer } from '../media/rtp-peer.js';
import { keyInBand, share } from './harness.js';

/** A leg's description: G.711 μ-law alone (no leg here relays RFC 4733 events). */
function sdp(peer: RtpPeer) {
  const lines = ['v=0', 'o=peer 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0'];
  lines.push(`m=audio ${peer.port} RTP/AVP 0`, `a=rtcp:${peer.rtcpPort}`);
  return { contentType: 'application/sdp', body: Buffer.from(`${lines.join('\r\n')}\r\n`) };
}

function target(media: { body: Buffer }): Endpoint {
  const audio = parse(media.body.toString()).media[0]!;
  return { id: '', address: audio.connection!.ip, rtpPort: audio.port, rtcpPort: audio.port + 1 };
}

/** The μ-law audio a peer received, decoded. */
function heard(peer: RtpPeer): Int16Array {
  const payloads = peer.received.filter((packet) => packet.header.payloadType === 0);
  const out = new Int16Array(payloads.length * 160);
  payloads.forEach((packet, i) => {
    decodeFrame('ulaw', packet.payload, 0, Math.min(160, packet.payload.length), out.subarray(i * 160));
  });
  return out;
}

interface Signal {
  legId: string;
  message: DtmfMessage;
}

describe('sip-notify interworking through the anchor', () => {
  let anchored: AnchoredEngine;
  let anchor: MediaAnchor;
  const signals: Signal[] = [];
  const peers: RtpPeer[] = [];
  let calls = 0;

  beforeAll(async () => {
    anchored = await startAnchoredEngine(30_000, {
      onDtmfSignal: (_callId, legId, message) => signals.push({ legId, message }),
    });
    anchor = anchored.anchor;
  });
  afterEach(async () => {
    signals.length = 0;
    await Promise.all(peers.splice(0).map((peer) => peer.close()));
  });
  afterAll(() => anchored.close());

  /** Leg 'a' (`from`) calls leg 'b' (`to`); returns the call, its peers and where each sends. */
  async function call(from: DtmfRelay, to: DtmfRelay) {
    const callId = `call-${++calls}`;
    const [a, b] = [await RtpPeer.create(), await RtpPeer.create()];
    peers.push(a, b);
    const offered = await anchor.anchorOffer(callId, 'a', sdp(a), {
      offerer: { codecs: 'any', dtmfRelay: from },
      answerer: { codecs: 'any', dtmfRelay: to },
    });
    if (!offered.ok) throw new Error(offered.reason);
    const answered = await anchor.anchorAnswer(callId, 'b', sdp(b), { codecs: 'any', dtmfRelay: to });
    if (!answered.ok) throw new Error(answered.reason);
    return { callId, a, b, aSendsTo: target(answered.media), bSendsTo: target(offered.media) };
  }

  /** A DTMF request as the SIP adapters hand it to the anchor. */
  function asRequest(message: DtmfMessage) {
    const event = message.headers.find(([name]) => name === 'Event')?.[1];
    return {
      method: message.method,
      contentType: message.contentType,
      body: message.body,
      ...(event === undefined ? {} : { event }),
    };
  }

  const notifies = (legId: string) =>
    signals
      .filter((signal) => signal.legId === legId && signal.message.method === 'NOTIFY')
      .map((signal) => {
        expect(signal.message.headers).toEqual([['Event', 'telephone-event']]);
        return readNotify('telephone-event', signal.message.contentType, signal.message.body);
      });

  async function until(condition: () => boolean, what: string): Promise<void> {
    for (let waited = 0; !condition(); waited += 10) {
      if (waited >= 3000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('turns a key-up NOTIFY into an INFO, and an INFO into key-down and key-up NOTIFYs', async () => {
    const { callId } = await call('sip-notify', 'sip-info');
    // The key-down NOTIFY announces a max-duration, not the digit's: nothing goes out yet.
    expect(await anchor.receiveDtmf(callId, 'a', asRequest(notifyMessage('*', 2000, false)))).toEqual({
      ok: true,
    });
    expect(signals).toHaveLength(0);
    expect(await anchor.receiveDtmf(callId, 'a', asRequest(notifyMessage('*', 180, true)))).toEqual({
      ok: true,
    });
    expect(signals).toHaveLength(1);
    expect(signals[0]?.legId).toBe('b');
    expect(signals[0]?.message.method).toBe('INFO');
    expect(readInfo(signals[0]!.message.contentType, signals[0]!.message.body)).toEqual({
      digit: '*',
      durationMs: 180,
      end: true,
    });

    signals.length = 0;
    expect(await anchor.receiveDtmf(callId, 'b', asRequest(infoMessage('D', 250)))).toEqual({ ok: true });
    // A Cisco gateway plays a digit from its key-down NOTIFY to its key-up one: both go out.
    expect(notifies('a')).toEqual<SignalledDigit[]>([
      { digit: 'D', durationMs: 2000, end: false },
      { digit: 'D', durationMs: 250, end: true },
    ]);
    expect(signals.every((signal) => signal.legId === 'a')).toBe(true);
  });

  it('relays both NOTIFYs of a key between two sip-notify legs', async () => {
    const { callId } = await call('sip-notify', 'sip-notify');
    await anchor.receiveDtmf(callId, 'a', asRequest(notifyMessage('9', 2000, false)));
    await anchor.receiveDtmf(callId, 'a', asRequest(notifyMessage('9', 90, true)));
    await anchor.receiveDtmf(callId, 'b', asRequest(notifyMessage('0', 60, true)));
    expect(notifies('b')).toEqual<SignalledDigit[]>([
      { digit: '9', durationMs: 2000, end: false },
      { digit: '9', durationMs: 90, end: true },
    ]);
    // A key-up without its key-down (the first NOTIFY lost) still reaches the far gateway whole.
    expect(notifies('a')).toEqual<SignalledDigit[]>([
      { digit: '0', durationMs: 2000, end: false },
      { digit: '0', durationMs: 60, end: true },
    ]);
  });

  it('plays a NOTIFY digit as tones to an in-band leg, and NOTIFYs the tones it detects', async () => {
    const { callId, b, bSendsTo } = await call('sip-notify', 'inband');
    await anchor.receiveDtmf(callId, 'a', asRequest(notifyMessage('2', 2000, false)));
    await anchor.receiveDtmf(callId, 'a', asRequest(notifyMessage('2', 200, true)));
    await b.until(() => heard(b).length >= 10 * 160, 3000, 'the tones of 2');
    // RFC 4733 §3.2 / Q.23: 2 is 697 Hz with 1336 Hz; not the row or column of its neighbours.
    const tones = heard(b).subarray(0, 10 * 160);
    expect(share(tones, 697)).toBeGreaterThan(0.2);
    expect(share(tones, 1336)).toBeGreaterThan(0.2);
    expect(share(tones, 770)).toBeLessThan(0.05);
    expect(share(tones, 1209)).toBeLessThan(0.05);
    expect(signals).toHaveLength(0);

    // The in-band party keys # (941 Hz with 1477 Hz) for 200 ms, then silence.
    await b.stream(bSendsTo, keyInBand(941, 1477), 0);
    await until(() => notifies('a').length >= 2, 'the NOTIFYs of #');
    const [down, up] = notifies('a');
    expect(down).toEqual({ digit: '#', durationMs: 2000, end: false });
    expect(up?.digit).toBe('#');
    expect(up?.end).toBe(true);
    // The detector measures the key in 20 ms frames: 200 ms give a duration near it.
    expect(up?.durationMs).toBeGreaterThanOrEqual(160);
    expect(up?.durationMs).toBeLessThanOrEqual(240);
    expect(notifies('a')).toHaveLength(2);
  });
});
