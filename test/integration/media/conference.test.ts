import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goertzelFilter, goertzelPower } from '../../../src/media/goertzel.js';
import {
  createMediaEngine,
  decodeFrame,
  type Endpoint,
  encodeFrame,
  type MediaEngine,
} from '../../../src/media/index.js';
import { markedPayload, RtpPeer } from './rtp-peer.js';

const AMPLITUDE = 8000;

function toneFrames(frequency: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, frame) => {
    const samples = new Int16Array(160);
    for (let i = 0; i < 160; i++) {
      samples[i] = Math.round(AMPLITUDE * Math.sin((2 * Math.PI * frequency * (frame * 160 + i)) / 8000));
    }
    const payload = new Uint8Array(160);
    encodeFrame('ulaw', samples, payload);
    return payload;
  });
}

/** Amplitude of `frequency` in each received 20 ms frame. */
function amplitudes(peer: RtpPeer, frequency: number): number[] {
  const samples = new Int16Array(160);
  return peer.received.map((packet) => {
    decodeFrame('ulaw', packet.payload, 0, 160, samples);
    return (2 * Math.sqrt(goertzelPower(goertzelFilter(frequency), samples, 0, 160))) / 160;
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

describe('conference bridge (two workers)', () => {
  let engine: MediaEngine;
  beforeAll(async () => {
    engine = await createMediaEngine({
      address: '127.0.0.1',
      portRange: [41400, 41499],
      workers: 2,
      mediaTimeoutMs: 0,
      maxConferences: 2,
    });
  });
  afterAll(() => engine.close());

  it('lets each of three parties hear the other two at -6 dB and not itself', async () => {
    const frequencies = [500, 1100, 1700];
    const peers = await Promise.all(frequencies.map(() => RtpPeer.create()));
    // Without `near`, endpoints spread over both workers: the mix crosses between them.
    const endpoints: Endpoint[] = [];
    for (const peer of peers) endpoints.push(await engine.allocate({ remote: peer.remote }));
    expect(new Set(endpoints.map((endpoint) => endpoint.id.split('-')[0])).size).toBe(2);
    const conference = await engine.createConference({ gainDb: -6 });
    for (const endpoint of endpoints) await engine.join(conference.id, endpoint.id);

    await Promise.all(peers.map((peer, i) => peer.stream(endpoints[i]!, toneFrames(frequencies[i]!, 40))));
    await Promise.all(peers.map((peer) => peer.until(() => peer.received.length >= 30)));

    const expected = AMPLITUDE * 10 ** (-6 / 20);
    peers.forEach((peer, i) => {
      for (let j = 0; j < 3; j++) {
        const heard = amplitudes(peer, frequencies[j]!).filter((amplitude) => amplitude > expected * 0.3);
        if (i === j) {
          expect(heard).toHaveLength(0); // never its own voice
        } else {
          expect(heard.length).toBeGreaterThan(20);
          // Within 1 dB of the input level lowered by 6 dB.
          expect(20 * Math.log10(median(heard) / expected)).toBeGreaterThan(-1);
          expect(20 * Math.log10(median(heard) / expected)).toBeLessThan(1);
        }
      }
      const ssrcs = new Set(peer.received.map((packet) => packet.header.ssrc));
      expect(ssrcs.size).toBe(1);
    });
    await engine.endConference(conference.id);
    for (const endpoint of endpoints) await engine.release(endpoint.id);
    await Promise.all(peers.map((peer) => peer.close()));
  });

  it('refuses a conference beyond max-conferences with a clear error', async () => {
    const first = await engine.createConference();
    const second = await engine.createConference({ gainDb: -6 });
    await expect(engine.createConference()).rejects.toMatchObject({ code: 'conference-limit' });
    await engine.endConference(first.id);
    const third = await engine.createConference();
    await engine.endConference(second.id);
    await engine.endConference(third.id);
    await expect(engine.join('c999', 'm0-1')).rejects.toMatchObject({ code: 'no-such-conference' });
  });

  it('refuses a participant without G.711', async () => {
    const conference = await engine.createConference();
    const endpoint = await engine.allocate({ codecs: [{ payloadType: 18, name: 'G729' }] });
    await expect(engine.join(conference.id, endpoint.id)).rejects.toMatchObject({
      code: 'codec-unsupported',
    });
    await engine.endConference(conference.id);
    await engine.release(endpoint.id);
  });

  it('relays between endpoints on different workers', async () => {
    const alice = await RtpPeer.create();
    const bob = await RtpPeer.create();
    const a = await engine.allocate({ remote: alice.remote });
    const b = await engine.allocate({ remote: bob.remote });
    expect(a.id.split('-')[0]).not.toBe(b.id.split('-')[0]);
    await engine.connect(a.id, b.id);
    for (let i = 0; i < 20; i++) alice.send(a, markedPayload(i));
    for (let i = 0; i < 20; i++) bob.send(b, markedPayload(100 + i));
    await bob.until(() => bob.received.length === 20);
    await alice.until(() => alice.received.length === 20);
    expect(bob.received.map((packet) => packet.payload[0])).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await engine.release(a.id);
    await engine.release(b.id);
    await Promise.all([alice.close(), bob.close()]);
    expect((await engine.stats()).ports.used).toBe(0);
  });
});
