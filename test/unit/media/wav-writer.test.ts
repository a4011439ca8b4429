import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../../src/media/audio-file.js';
import { WavFileWriter } from '../../../src/media/wav-writer.js';

const folder = mkdtempSync(path.join(tmpdir(), 'strowger-wav-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('streamed WAV writer', () => {
  it('writes chunks in order and patches the sizes on finish', async () => {
    const file = path.join(folder, 'mono.wav');
    const writer = await WavFileWriter.create(file, 8000, 1);
    const samples = Int16Array.from({ length: 1000 }, (_, i) => i * 7 - 3000);
    for (let offset = 0; offset < samples.length; offset += 100) {
      writer.append(Buffer.from(samples.buffer, offset * 2, 200));
    }
    await writer.finish();
    expect(writer.bytesWritten).toBe(2000);
    const data = readFileSync(file);
    expect(data.readUInt32LE(40)).toBe(2000);
    expect(decodeAudioFile(data)).toEqual(samples);
  });

  it('drops audio beyond its queue limit instead of growing', async () => {
    const writer = await WavFileWriter.create(path.join(folder, 'bounded.wav'), 8000, 1, 1000);
    for (let i = 0; i < 100; i++) writer.append(Buffer.alloc(400));
    await writer.finish();
    expect(writer.dropped).toBeGreaterThan(0);
    expect(writer.bytesWritten + writer.dropped).toBe(40000);
  });
});
