/**
 * Reads the audio files the engine plays (MOH, prompts): RIFF WAVE with PCM 16-bit, μ-law or
 * A-law samples (format tags 1, 7, 6, also inside WAVE_FORMAT_EXTENSIBLE), and Sun/NeXT AU
 * (encodings 1 μ-law, 3 linear 16-bit, 27 A-law). Everything is converted once, at load, to
 * 8 kHz mono linear audio and then to both G.711 laws, so playing costs a copy per frame.
 */
import { ALAW_DECODE, encodeFrame, ULAW_DECODE } from './g711.js';

export class AudioFormatError extends Error {
  override name = 'AudioFormatError';
}

type SampleEncoding = 'pcm16le' | 'pcm16be' | 'ulaw' | 'alaw';

interface RawAudio {
  encoding: SampleEncoding;
  sampleRate: number;
  channels: number;
  data: Uint8Array;
}

/** Longest audio accepted, after conversion to 8 kHz: one hour. */
const MAX_SAMPLES = 8000 * 3600;

/** Decodes a WAV or AU file into 8 kHz mono samples. */
export function decodeAudioFile(file: Uint8Array): Int16Array {
  const raw = isWav(file) ? readWav(file) : isAu(file) ? readAu(file) : null;
  if (!raw) throw new AudioFormatError('neither a RIFF WAVE nor a Sun AU file');
  if (!Number.isInteger(raw.sampleRate) || raw.sampleRate < 4000 || raw.sampleRate > 192000) {
    throw new AudioFormatError(`unsupported sample rate ${raw.sampleRate}`);
  }
  if (!Number.isInteger(raw.channels) || raw.channels < 1 || raw.channels > 8) {
    throw new AudioFormatError(`unsupported channel count ${raw.channels}`);
  }
  const mono = toMono(raw);
  if ((mono.length * 8000) / raw.sampleRate > MAX_SAMPLES)
    throw new AudioFormatError('audio longer than one hour');
  const samples = raw.sampleRate === 8000 ? mono : resampleTo8k(mono, raw.sampleRate);
  if (samples.length === 0) throw new AudioFormatError('no audio samples');
  return samples;
}

/** Audio ready to play: the same samples in both G.711 laws. */
export interface AudioClip {
  readonly ulaw: Uint8Array;
  readonly alaw: Uint8Array;
  readonly length: number;
}

export function clipFromSamples(samples: Int16Array): AudioClip {
  const ulaw = new Uint8Array(samples.length);
  const alaw = new Uint8Array(samples.length);
  encodeFrame('ulaw', samples, ulaw);
  encodeFrame('alaw', samples, alaw);
  return { ulaw, alaw, length: samples.length };
}

/** Whether `file` is a RIFF WAVE file. */
export function isWav(file: Uint8Array): boolean {
  return file.length >= 12 && ascii(file, 0, 4) === 'RIFF' && ascii(file, 8, 4) === 'WAVE';
}

/** Whether `file` is a Sun/NeXT AU file. */
export function isAu(file: Uint8Array): boolean {
  return file.length >= 24 && ascii(file, 0, 4) === '.snd';
}

/** A container's format fields and the bytes of its audio. */
export interface Container {
  /** WAV format tag (the sub-format's for WAVE_FORMAT_EXTENSIBLE) or AU encoding. */
  code: number;
  channels: number;
  sampleRate: number;
  /** WAV bits per sample; 0 for AU, whose encodings imply it. */
  bits: number;
  data: Uint8Array;
}

/** The fmt and data chunks of a RIFF WAVE file. */
export function readWavContainer(file: Uint8Array): Container {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let format: Omit<Container, 'data'> | null = null;
  let data: Uint8Array | null = null;
  let offset = 12;
  while (offset + 8 <= file.length) {
    const id = ascii(file, offset, 4);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    // A truncated last chunk (common for data written by a recorder that stopped early) is
    // read as far as it goes.
    const end = Math.min(file.length, body + size);
    if (id === 'fmt ') {
      if (end - body < 16) throw new AudioFormatError('fmt chunk too short');
      let code = view.getUint16(body, true);
      if (code === 0xfffe) {
        // WAVE_FORMAT_EXTENSIBLE: the real tag is the first two bytes of the sub-format GUID.
        if (end - body < 26) throw new AudioFormatError('extensible fmt chunk too short');
        code = view.getUint16(body + 24, true);
      }
      format = {
        code,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      data = file.subarray(body, end);
    }
    offset = body + size + (size % 2); // chunks are padded to even length
  }
  if (!format) throw new AudioFormatError('WAV file without fmt chunk');
  if (!data) throw new AudioFormatError('WAV file without data chunk');
  return { ...format, data };
}

/** The header fields and the data of a Sun/NeXT AU file. */
export function readAuContainer(file: Uint8Array): Container {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const dataOffset = view.getUint32(4, false);
  const dataSize = view.getUint32(8, false);
  if (dataOffset < 24 || dataOffset > file.length)
    throw new AudioFormatError('AU data offset outside the file');
  // 0xffffffff means "unknown size": the data runs to the end of the file.
  const end = dataSize === 0xffffffff ? file.length : Math.min(file.length, dataOffset + dataSize);
  return {
    code: view.getUint32(12, false),
    sampleRate: view.getUint32(16, false),
    channels: view.getUint32(20, false),
    bits: 0,
    data: file.subarray(dataOffset, end),
  };
}

function readWav(file: Uint8Array): RawAudio {
  const { code, bits, channels, sampleRate, data } = readWavContainer(file);
  let encoding: SampleEncoding;
  if (code === 1 && bits === 16) encoding = 'pcm16le';
  else if (code === 7 && bits === 8) encoding = 'ulaw';
  else if (code === 6 && bits === 8) encoding = 'alaw';
  else throw new AudioFormatError(`unsupported WAV format tag ${code} with ${bits} bits`);
  return { encoding, sampleRate, channels, data };
}

const AU_ENCODINGS: Readonly<Record<number, SampleEncoding>> = { 1: 'ulaw', 3: 'pcm16be', 27: 'alaw' };

function readAu(file: Uint8Array): RawAudio {
  const { code, sampleRate, channels, data } = readAuContainer(file);
  const encoding = AU_ENCODINGS[code];
  if (!encoding) throw new AudioFormatError(`unsupported AU encoding ${code}`);
  return { encoding, sampleRate, channels, data };
}

function toMono(raw: RawAudio): Int16Array {
  const bytesPerSample = raw.encoding === 'pcm16le' || raw.encoding === 'pcm16be' ? 2 : 1;
  const frameBytes = bytesPerSample * raw.channels;
  const frames = Math.floor(raw.data.length / frameBytes);
  const out = new Int16Array(frames);
  const data = raw.data;
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < raw.channels; channel++) {
      const at = frame * frameBytes + channel * bytesPerSample;
      switch (raw.encoding) {
        case 'pcm16le':
          sum += ((data[at + 1]! << 24) >> 16) | data[at]!;
          break;
        case 'pcm16be':
          sum += ((data[at]! << 24) >> 16) | data[at + 1]!;
          break;
        case 'ulaw':
          sum += ULAW_DECODE[data[at]!]!;
          break;
        case 'alaw':
          sum += ALAW_DECODE[data[at]!]!;
          break;
      }
    }
    out[frame] = Math.round(sum / raw.channels);
  }
  return out;
}

/**
 * Converts to 8 kHz: a windowed-sinc low-pass below the new Nyquist frequency (when
 * decimating), then linear interpolation at the new sample instants.
 */
function resampleTo8k(samples: Int16Array, sampleRate: number): Int16Array {
  const filtered = sampleRate > 8000 ? lowPass(samples, 3600 / sampleRate) : samples;
  const length = Math.floor((samples.length * 8000) / sampleRate);
  const out = new Int16Array(length);
  const step = sampleRate / 8000;
  for (let i = 0; i < length; i++) {
    const position = i * step;
    const index = Math.floor(position);
    const fraction = position - index;
    const a = filtered[index] ?? 0;
    const b = filtered[index + 1] ?? a;
    out[i] = Math.round(a + (b - a) * fraction);
  }
  return out;
}

/** Windowed-sinc FIR (Blackman window, 63 taps); `cutoff` as a fraction of the sample rate. */
function lowPass(samples: Int16Array, cutoff: number): Float32Array {
  const taps = 63;
  const half = (taps - 1) / 2;
  const kernel = new Float32Array(taps);
  let sum = 0;
  for (let i = 0; i < taps; i++) {
    const n = i - half;
    const sinc = n === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * n) / (Math.PI * n);
    const window =
      0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (taps - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (taps - 1));
    kernel[i] = sinc * window;
    sum += kernel[i]!;
  }
  for (let i = 0; i < taps; i++) kernel[i] = kernel[i]! / sum;
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    let acc = 0;
    for (let k = 0; k < taps; k++) acc += kernel[k]! * (samples[i + k - half] ?? 0);
    out[i] = acc;
  }
  return out;
}

function ascii(data: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...data.subarray(offset, offset + length));
}
