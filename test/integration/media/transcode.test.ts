import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMediaEngine,
  decodeFrame,
  encodeFrame,
  type MediaEngine,
  transcodeInPlace,
} from '../../../src/media/index.js';
import { RtpPeer } from './rtp-peer.js';

/** A 1 kHz tone at about -6 dBFS, in 20 ms frames. */
function toneFrames(count: number): Int16Array[] {
  return Array.from({ length: count }, (_, frame) => {
    const samples = new Int16Array(160);
    for (let i = 0; i < 160; i++)
      samples[i] = Math.round(16000 * Math.sin((2 * Math.PI * 1000 * (frame * 160 + i)) / 8000));
    return samples;
  });
}

function snrDb(reference: Int16Array[], received: Int16Array[]): number {
  let signal = 0;
  let noise = 0;
  reference.forEach((frame, f) => {
    const got = received[f]!;
    for (let i = 0; i < frame.length; i++) {
      signal += frame[i]! ** 2;
      noise += (got[i]! - frame[i]!) ** 2;
    }
  });
  return 10 * Math.log10(signal / noise);
}

describe('μ-law ⇄ A-law transcoding through the engine', () => {
  let engine: MediaEngine;
  beforeAll(async () => {
    engine = await createMediaEngine({
      address: '127.0.0.1',
      portRange: [41100, 41199],
      workers: 1,
      mediaTimeoutMs: 0,
    });
  });
  afterAll(() => engine.close());

  it('carries a 1 kHz tone from a μ-law leg to an A-law leg and back with G.711 quality', async () => {
    const ulawPeer = await RtpPeer.create();
    const alawPeer = await RtpPeer.create();
    const u = await engine.allocate({ remote: ulawPeer.remote, codecs: [{ payloadType: 0, name: 'PCMU' }] });
    const a = await engine.allocate({
      remote: alawPeer.remote,
      codecs: [{ payloadType: 8, name: 'PCMA' }],
      near: u.id,
    });
    await engine.connect(u.id, a.id);

    const reference = toneFrames(25);
    for (const frame of reference) {
      const payload = new Uint8Array(160);
      encodeFrame('ulaw', frame, payload);
      ulawPeer.send(u, payload, 0);
    }
    await alawPeer.until(() => alawPeer.received.length === 25);
    expect(alawPeer.received.every((packet) => packet.header.payloadType === 8)).toBe(true);
    const atAlaw = alawPeer.received.map((packet) => {
      const samples = new Int16Array(160);
      decodeFrame('alaw', packet.payload, 0, 160, samples);
      return samples;
    });
    // Two companding steps (μ-law, then A-law) keep G.711's ~35 dB for a strong tone.
    expect(snrDb(reference, atAlaw)).toBeGreaterThan(30);

    for (const frame of reference) {
      const payload = new Uint8Array(160);
      encodeFrame('alaw', frame, payload);
      alawPeer.send(a, payload, 8);
    }
    await ulawPeer.until(() => ulawPeer.received.length === 25);
    expect(ulawPeer.received.every((packet) => packet.header.payloadType === 0)).toBe(true);
    const atUlaw = ulawPeer.received.map((packet) => {
      const samples = new Int16Array(160);
      decodeFrame('ulaw', packet.payload, 0, 160, samples);
      return samples;
    });
    expect(snrDb(reference, atUlaw)).toBeGreaterThan(30);
    await engine.release(u.id);
    await engine.release(a.id);
    await Promise.all([ulawPeer.close(), alawPeer.close()]);
  });

  it('follows a leg whose codecs change mid-call (re-INVITE): pass-through, then transcoded, then pass-through', async () => {
    const ulawPeer = await RtpPeer.create();
    const otherPeer = await RtpPeer.create();
    const u = await engine.allocate({ remote: ulawPeer.remote, codecs: [{ payloadType: 0, name: 'PCMU' }] });
    const o = await engine.allocate({
      remote: otherPeer.remote,
      codecs: [{ payloadType: 0, name: 'PCMU' }],
      near: u.id,
    });
    await engine.connect(u.id, o.id);
    const payload = Buffer.from(Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff));
    const asAlaw = Buffer.from(payload);
    transcodeInPlace('ulaw', 'alaw', asAlaw, 0, asAlaw.length);
    const relayed = async (count: number) => {
      ulawPeer.send(u, payload, 0);
      await otherPeer.until(() => otherPeer.received.length === count);
      return otherPeer.received[count - 1]!;
    };

    const first = await relayed(1);
    expect(first.header.payloadType).toBe(0);
    expect(first.payload.equals(payload)).toBe(true);

    await engine.update(o.id, { codecs: [{ payloadType: 8, name: 'PCMA' }] });
    const second = await relayed(2);
    expect(second.header.payloadType).toBe(8);
    expect(second.payload.equals(asAlaw)).toBe(true);

    await engine.update(o.id, { codecs: [{ payloadType: 0, name: 'PCMU' }] });
    const third = await relayed(3);
    expect(third.header.payloadType).toBe(0);
    expect(third.payload.equals(payload)).toBe(true);
    await engine.release(u.id);
    await engine.release(o.id);
    await Promise.all([ulawPeer.close(), otherPeer.close()]);
  });

  it('passes G.729 through with payload-type mapping and drops it toward a leg without G.729', async () => {
    const left = await RtpPeer.create();
    const right = await RtpPeer.create();
    const third = await RtpPeer.create();
    const l = await engine.allocate({ remote: left.remote, codecs: [{ payloadType: 18, name: 'G729' }] });
    const r = await engine.allocate({
      remote: right.remote,
      codecs: [{ payloadType: 96, name: 'G729' }],
      near: l.id,
    });
    await engine.connect(l.id, r.id);
    const frame = Buffer.from('0123456789abcdefghij');
    left.send(l, frame, 18);
    await right.until(() => right.received.length === 1);
    expect(right.received[0]!.header.payloadType).toBe(96);
    expect(right.received[0]!.payload.equals(frame)).toBe(true);

    const t = await engine.allocate({
      remote: third.remote,
      codecs: [{ payloadType: 0, name: 'PCMU' }],
      near: l.id,
    });
    await engine.connect(l.id, t.id);
    left.send(l, frame, 18);
    left.send(l, Buffer.alloc(160, 0xff), 18);
    const stats = async () => (await engine.stats()).endpoints.find((entry) => entry.endpointId === t.id)!;
    for (let i = 0; i < 100 && (await stats()).unroutable < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await stats()).unroutable).toBe(2);
    expect(third.received).toHaveLength(0);
    for (const id of [l.id, r.id, t.id]) await engine.release(id);
    await Promise.all([left.close(), right.close(), third.close()]);
  });
});
