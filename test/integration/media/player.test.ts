import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goertzelFilter, goertzelPower } from '../../../src/media/goertzel.js';
import {
  createMediaEngine,
  decodeFrame,
  encodeFrame,
  type MediaEngine,
  type MediaEvent,
} from '../../../src/media/index.js';
import { encodeWav } from '../../../src/media/wav-writer.js';
import { type ReceivedPacket, RtpPeer } from './rtp-peer.js';

function decoded(packets: ReceivedPacket[], law: 'ulaw' | 'alaw' = 'ulaw'): Int16Array {
  const out = new Int16Array(packets.length * 160);
  packets.forEach((packet, i) => {
    decodeFrame(law, packet.payload, 0, 160, out.subarray(i * 160));
  });
  return out;
}

function share(samples: Int16Array, frequency: number): number {
  let energy = 0;
  for (const sample of samples) energy += sample * sample;
  if (energy === 0) return 0;
  return (
    goertzelPower(goertzelFilter(frequency), samples, 0, samples.length) / ((energy * samples.length) / 2)
  );
}

describe('players: MOH files, tones, prompts', () => {
  let engine: MediaEngine;
  let folder: string;
  const events: MediaEvent[] = [];

  beforeAll(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'strowger-media-'));
    engine = await createMediaEngine({
      address: '127.0.0.1',
      portRange: [41300, 41399],
      workers: 1,
      mediaTimeoutMs: 0,
    });
    engine.onEvent((event) => events.push(event));
  });
  afterAll(async () => {
    await engine.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it("plays a 16 kHz stereo WAV as MOH in the leg's law, and the leg hears the tone", async () => {
    const rate = 16000;
    const stereo = new Int16Array(rate * 2 * 2);
    for (let i = 0; i < stereo.length / 2; i++) {
      const value = Math.round(12000 * Math.sin((2 * Math.PI * 1000 * i) / rate));
      stereo[2 * i] = value;
      stereo[2 * i + 1] = value;
    }
    const file = path.join(folder, 'moh-1k.wav');
    writeFileSync(file, encodeWav(stereo, rate, 2));
    const bob = await RtpPeer.create();
    const b = await engine.allocate({ remote: bob.remote, codecs: [{ payloadType: 8, name: 'PCMA' }] });
    await engine.play(b.id, { kind: 'file', path: file, mohClass: 'default' });
    await bob.until(() => bob.received.length >= 15);
    expect(
      bob.received.every((packet) => packet.header.payloadType === 8 && packet.payload.length === 160),
    ).toBe(true);
    expect(share(decoded(bob.received.slice(0, 15), 'alaw'), 1000)).toBeGreaterThan(0.95);
    await engine.release(b.id);
    await bob.close();
  });

  it('gives every listener of an MOH class the same position', async () => {
    // A chirp, so that every 20 ms frame of the file is different.
    const samples = new Int16Array(8000 * 4);
    let phase = 0;
    for (let i = 0; i < samples.length; i++) {
      phase += (2 * Math.PI * (300 + (2700 * i) / samples.length)) / 8000;
      samples[i] = Math.round(10000 * Math.sin(phase));
    }
    const ulaw = Buffer.alloc(samples.length);
    encodeFrame('ulaw', samples, ulaw);
    const header = Buffer.alloc(24);
    header.write('.snd', 0, 'ascii');
    header.writeUInt32BE(24, 4);
    header.writeUInt32BE(ulaw.length, 8);
    header.writeUInt32BE(1, 12);
    header.writeUInt32BE(8000, 16);
    header.writeUInt32BE(1, 20);
    const file = path.join(folder, 'music-on-hold.au');
    writeFileSync(file, Buffer.concat([header, ulaw]));

    const first = await RtpPeer.create();
    const second = await RtpPeer.create();
    const one = await engine.allocate({ remote: first.remote });
    const two = await engine.allocate({ remote: second.remote, near: one.id });
    await engine.play(one.id, { kind: 'file', path: file, mohClass: 'music' });
    await first.until(() => first.received.length >= 10);
    await engine.play(two.id, { kind: 'file', path: file, mohClass: 'music' });
    await second.until(() => second.received.length >= 5);
    const start = second.received[0]!.payload;
    // The second listener joined mid-stream: its first frame is one the first listener heard at
    // the same moment, not the start of the file.
    expect(start.equals(ulaw.subarray(0, 160))).toBe(false);
    const index = first.received.findIndex((packet) => packet.payload.equals(start));
    expect(index).toBeGreaterThanOrEqual(10);
    for (let i = 1; i < 5; i++)
      expect(second.received[i]!.payload.equals(first.received[index + i]!.payload)).toBe(true);
    await engine.release(one.id);
    await engine.release(two.id);
    await Promise.all([first.close(), second.close()]);
  });

  it('plays call-progress tones', async () => {
    const bob = await RtpPeer.create();
    const b = await engine.allocate({ remote: bob.remote });
    await engine.play(b.id, { kind: 'tone', tone: 'busy', region: 'itu' });
    await bob.until(() => bob.received.length >= 20);
    const audio = decoded(bob.received.slice(0, 20));
    // 500 ms on: the first 400 ms are all 425 Hz.
    expect(share(audio.subarray(0, 3200), 425)).toBeGreaterThan(0.95);
    await engine.play(b.id, { kind: 'tone', tone: 'ringback' });
    bob.received.length = 0;
    await bob.until(() => bob.received.length >= 10);
    const ringback = decoded(bob.received.slice(0, 10));
    expect(share(ringback, 440) + share(ringback, 480)).toBeGreaterThan(0.9);
    await expect(engine.play(b.id, { kind: 'tone', tone: 'howler' as 'busy' })).rejects.toMatchObject({
      code: 'bad-request',
    });
    await engine.release(b.id);
    await bob.close();
  });

  it('ends a prompt with play-ended and keeps one continuous stream from peer to MOH and back', async () => {
    const prompt = path.join(folder, 'prompt.wav');
    writeFileSync(prompt, encodeWav(new Int16Array(800).fill(1000)));
    const alice = await RtpPeer.create();
    const bob = await RtpPeer.create();
    const a = await engine.allocate({ remote: alice.remote });
    const b = await engine.allocate({ remote: bob.remote, near: a.id });
    await engine.connect(a.id, b.id);
    for (let i = 0; i < 5; i++) alice.send(a, Buffer.alloc(160, 0x11));
    await bob.until(() => bob.received.length === 5);
    await engine.play(b.id, { kind: 'file', path: prompt });
    for (let i = 0; i < 100 && !events.some((e) => e.type === 'play-ended' && e.endpointId === b.id); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(events).toContainEqual({ type: 'play-ended', endpointId: b.id });
    const promptPackets = bob.received.length - 5;
    expect(promptPackets).toBe(5); // 800 samples
    for (let i = 0; i < 5; i++) alice.send(a, Buffer.alloc(160, 0x22));
    await bob.until(() => bob.received.length === 15);
    const headers = bob.received.map((packet) => packet.header);
    expect(new Set(headers.map((header) => header.ssrc)).size).toBe(1);
    for (let i = 1; i < headers.length; i++) {
      expect(headers[i]!.sequenceNumber).toBe((headers[i - 1]!.sequenceNumber + 1) & 0xffff);
      const step = (headers[i]!.timestamp - headers[i - 1]!.timestamp) >>> 0;
      expect(step).toBeGreaterThanOrEqual(160);
      expect(step).toBeLessThan(8000 * 5);
    }
    expect(headers[5]!.marker && headers[10]!.marker).toBe(true);
    await expect(
      engine.play(a.id, { kind: 'file', path: path.join(folder, 'missing.wav') }),
    ).rejects.toMatchObject({
      code: 'file-unreadable',
    });
    writeFileSync(path.join(folder, 'junk.wav'), 'not audio');
    await expect(
      engine.play(a.id, { kind: 'file', path: path.join(folder, 'junk.wav') }),
    ).rejects.toMatchObject({
      code: 'file-unreadable',
    });
    await engine.release(a.id);
    await engine.release(b.id);
    await Promise.all([alice.close(), bob.close()]);
  });
});
