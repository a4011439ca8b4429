import { describe, expect, it } from 'vitest';
import { AudioFormatError, clipFromSamples, decodeAudioFile } from '../../../src/media/audio-file.js';
import { goertzelFilter, goertzelPower } from '../../../src/media/goertzel.js';
import { encodeFrame } from '../../../src/media/index.js';
import { encodeWav, wavHeader } from '../../../src/media/wav-writer.js';

function sine(frequency: number, sampleRate: number, count: number, amplitude = 10000): Int16Array {
  return Int16Array.from({ length: count }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate)),
  );
}

function toneShare(samples: Int16Array, frequency: number): number {
  let energy = 0;
  for (const sample of samples) energy += sample * sample;
  return (
    goertzelPower(goertzelFilter(frequency), samples, 0, samples.length) / ((energy * samples.length) / 2)
  );
}

function wav(
  tag: number,
  bits: number,
  channels: number,
  sampleRate: number,
  data: Buffer,
  extensible = false,
): Buffer {
  const fmt = Buffer.alloc(extensible ? 40 : 16);
  fmt.writeUInt16LE(extensible ? 0xfffe : tag, 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(sampleRate, 4);
  fmt.writeUInt32LE((sampleRate * channels * bits) / 8, 8);
  fmt.writeUInt16LE((channels * bits) / 8, 12);
  fmt.writeUInt16LE(bits, 14);
  if (extensible) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(tag, 24);
  }
  const chunk = (id: string, body: Buffer) => {
    const header = Buffer.alloc(8);
    header.write(id, 0, 'ascii');
    header.writeUInt32LE(body.length, 4);
    return Buffer.concat([header, body, Buffer.alloc(body.length % 2)]);
  };
  const body = Buffer.concat([
    Buffer.from('WAVE'),
    chunk('fmt ', fmt),
    chunk('LIST', Buffer.from('odd')),
    chunk('data', data),
  ]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'ascii');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

function au(
  encoding: number,
  sampleRate: number,
  channels: number,
  data: Buffer,
  unknownSize = false,
): Buffer {
  const header = Buffer.alloc(32);
  header.write('.snd', 0, 'ascii');
  header.writeUInt32BE(32, 4);
  header.writeUInt32BE(unknownSize ? 0xffffffff : data.length, 8);
  header.writeUInt32BE(encoding, 12);
  header.writeUInt32BE(sampleRate, 16);
  header.writeUInt32BE(channels, 20);
  return Buffer.concat([header, data]);
}

const tone = sine(1000, 8000, 1600);
const pcm16le = Buffer.from(encodeWav(tone).subarray(44));
const ulaw = Buffer.alloc(tone.length);
encodeFrame('ulaw', tone, ulaw);
const alaw = Buffer.alloc(tone.length);
encodeFrame('alaw', tone, alaw);

describe('audio file reader', () => {
  it('reads WAV PCM16 exactly', () => {
    expect(decodeAudioFile(encodeWav(tone))).toEqual(tone);
    expect(decodeAudioFile(wav(1, 16, 1, 8000, pcm16le))).toEqual(tone);
  });

  it.each([
    ['WAV μ-law', wav(7, 8, 1, 8000, ulaw)],
    ['WAV A-law', wav(6, 8, 1, 8000, alaw)],
    ['WAV extensible μ-law', wav(7, 8, 1, 8000, ulaw, true)],
    ['AU μ-law', au(1, 8000, 1, ulaw)],
    ['AU μ-law of unknown size', au(1, 8000, 1, ulaw, true)],
    ['AU A-law', au(27, 8000, 1, alaw)],
    ['AU PCM16 big-endian', au(3, 8000, 1, Buffer.from(new Uint8Array(tone.buffer.slice(0))).swap16())],
  ])('reads %s as the same tone', (_name, file) => {
    const samples = decodeAudioFile(file);
    expect(samples.length).toBe(tone.length);
    expect(toneShare(samples, 1000)).toBeGreaterThan(0.99);
  });

  it('mixes stereo down and resamples 44.1 kHz to 8 kHz keeping the tone and dropping what 8 kHz cannot carry', () => {
    const rate = 44100;
    const left = sine(1000, rate, rate / 2);
    const right = sine(1000, rate, rate / 2);
    const interleaved = new Int16Array(left.length * 2);
    for (let i = 0; i < left.length; i++) {
      interleaved[2 * i] = left[i]!;
      interleaved[2 * i + 1] = right[i]!;
    }
    const samples = decodeAudioFile(encodeWav(interleaved, rate, 2));
    expect(samples.length).toBe(4000);
    expect(toneShare(samples.subarray(100, 3900), 1000)).toBeGreaterThan(0.98);
    // 6 kHz would alias to 2 kHz without the low-pass filter.
    const high = decodeAudioFile(encodeWav(sine(6000, rate, rate / 2), rate, 1));
    const energy = high.subarray(100, 3900).reduce((sum, sample) => sum + sample * sample, 0) / 3800;
    expect(Math.sqrt(energy)).toBeLessThan(100); // from 7071 rms
  });

  it.each([
    ['junk', Buffer.from('hello world, this is not audio')],
    ['an empty buffer', Buffer.alloc(0)],
    [
      'WAV without fmt',
      Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEdata'), Buffer.from([4, 0, 0, 0, 1, 2, 3, 4])]),
    ],
    ['WAV without data', wav(1, 16, 1, 8000, Buffer.alloc(0)).subarray(0, 12 + 24)],
    ['WAV 24-bit', wav(1, 24, 1, 8000, Buffer.alloc(30))],
    ['WAV with no channels', wav(1, 16, 0, 8000, pcm16le)],
    ['WAV at 1 Hz', wav(1, 16, 1, 1, pcm16le)],
    ['WAV without samples', wav(1, 16, 1, 8000, Buffer.alloc(1))],
    ['AU data offset beyond the file', Object.assign(au(1, 8000, 1, ulaw), { 4: 0x7f })],
    ['AU float samples', au(6, 8000, 1, Buffer.alloc(64))],
    [
      'WAV with a truncated fmt',
      Buffer.concat([
        wavHeader(8000, 1, 0).subarray(0, 12),
        Buffer.from('fmt '),
        Buffer.from([40, 0, 0, 0, 1, 0]),
      ]),
    ],
  ])('rejects %s', (_name, file) => {
    expect(() => decodeAudioFile(file)).toThrow(AudioFormatError);
  });

  it('reads a WAV whose data chunk claims more than the file holds', () => {
    const file = encodeWav(tone);
    file.writeUInt32LE(0x7fffffff, 40);
    expect(decodeAudioFile(file)).toEqual(tone);
  });

  it('prepares both G.711 laws of a clip', () => {
    const clip = clipFromSamples(tone);
    expect(clip.length).toBe(tone.length);
    expect(Buffer.from(clip.ulaw).equals(ulaw)).toBe(true);
    expect(Buffer.from(clip.alaw).equals(alaw)).toBe(true);
  });
});
