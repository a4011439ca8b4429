import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goertzelFilter, goertzelPower } from '../../../src/media/goertzel.js';
import { createMediaEngine, encodeFrame, type MediaEngine } from '../../../src/media/index.js';
import { RtpPeer } from './rtp-peer.js';

function toneFrames(frequency: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, frame) => {
    const samples = new Int16Array(160);
    for (let i = 0; i < 160; i++)
      samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * frequency * (frame * 160 + i)) / 8000));
    const payload = new Uint8Array(160);
    encodeFrame('ulaw', samples, payload);
    return payload;
  });
}

/** Share of the energy at `frequency` over the non-silent 20 ms blocks of a channel. */
function share(channel: Int16Array, frequency: number): { share: number; blocks: number } {
  let tone = 0;
  let energy = 0;
  let blocks = 0;
  for (let offset = 0; offset + 160 <= channel.length; offset += 160) {
    let blockEnergy = 0;
    for (let i = offset; i < offset + 160; i++) blockEnergy += channel[i]! ** 2;
    if (blockEnergy < 160 * 1000 ** 2) continue;
    blocks++;
    energy += (blockEnergy * 160) / 2;
    tone += goertzelPower(goertzelFilter(frequency), channel, offset, 160);
  }
  return { share: energy ? tone / energy : 0, blocks };
}

describe('recording a leg to WAV', () => {
  let engine: MediaEngine;
  let folder: string;
  beforeAll(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'strowger-recording-'));
    engine = await createMediaEngine({
      address: '127.0.0.1',
      portRange: [41500, 41599],
      workers: 1,
      mediaTimeoutMs: 0,
    });
  });
  afterAll(async () => {
    await engine.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('writes both directions, time-aligned, and reads back as a valid stereo WAV', async () => {
    const alice = await RtpPeer.create();
    const bob = await RtpPeer.create();
    const a = await engine.allocate({ remote: alice.remote });
    const b = await engine.allocate({ remote: bob.remote, near: a.id });
    await engine.connect(a.id, b.id);
    const file = path.join(folder, 'call.wav');
    await engine.record(a.id, file);
    await expect(engine.record(a.id, file)).rejects.toMatchObject({ code: 'busy' });
    await Promise.all([alice.stream(a, toneFrames(1000, 25)), bob.stream(b, toneFrames(1500, 25))]);
    await alice.until(() => alice.received.length === 25);
    const summary = await engine.stopRecord(a.id);
    expect(summary.path).toBe(file);
    expect(summary.undecodable).toBe(0);

    const wav = readFileSync(file);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(wav.readUInt16LE(20)).toBe(1);
    expect(wav.readUInt16LE(22)).toBe(2);
    expect(wav.readUInt32LE(24)).toBe(8000);
    expect(wav.readUInt16LE(34)).toBe(16);
    expect(wav.toString('ascii', 36, 40)).toBe('data');
    const dataBytes = wav.readUInt32LE(40);
    expect(dataBytes).toBe(wav.length - 44);
    expect(dataBytes / 4).toBe(summary.samples);
    expect(summary.samples).toBeGreaterThanOrEqual(20 * 160);

    const frames = dataBytes / 4;
    const left = new Int16Array(frames);
    const right = new Int16Array(frames);
    for (let i = 0; i < frames; i++) {
      left[i] = wav.readInt16LE(44 + i * 4);
      right[i] = wav.readInt16LE(44 + i * 4 + 2);
    }
    // Left: what Alice said (1 kHz). Right: what Alice was sent, Bob's 1.5 kHz.
    const heardLeft = share(left, 1000);
    const heardRight = share(right, 1500);
    expect(heardLeft.blocks).toBeGreaterThanOrEqual(20);
    expect(heardRight.blocks).toBeGreaterThanOrEqual(20);
    expect(heardLeft.share).toBeGreaterThan(0.9);
    expect(heardRight.share).toBeGreaterThan(0.9);
    expect(share(left, 1500).share).toBeLessThan(0.05);
    await expect(engine.stopRecord(a.id)).rejects.toMatchObject({ code: 'bad-request' });
    await expect(engine.record(a.id, path.join(folder, 'missing-folder', 'x.wav'))).rejects.toMatchObject({
      code: 'file-unwritable',
    });
    await engine.release(a.id);
    await engine.release(b.id);
    await Promise.all([alice.close(), bob.close()]);
  });
});
