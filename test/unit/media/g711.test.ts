import { describe, expect, it } from 'vitest';
import {
  ALAW_DECODE,
  decodeSample,
  encodeFrame,
  encodeSample,
  silenceCode,
  transcodeInPlace,
  ULAW_DECODE,
} from '../../../src/media/index.js';

describe('G.711 μ-law', () => {
  it('matches the reference values', () => {
    expect(encodeSample('ulaw', 0)).toBe(0xff);
    expect(decodeSample('ulaw', 0xff)).toBe(0);
    expect(decodeSample('ulaw', 0x7f)).toBe(0); // negative zero
    expect(decodeSample('ulaw', 0x80)).toBe(32124);
    expect(decodeSample('ulaw', 0x00)).toBe(-32124);
    expect(encodeSample('ulaw', 32767)).toBe(0x80);
    expect(encodeSample('ulaw', -32768)).toBe(0x00);
    expect(encodeSample('ulaw', 1000)).toBe(0xce);
    expect(decodeSample('ulaw', 0xce)).toBe(988);
    expect(silenceCode('ulaw')).toBe(0xff);
  });

  it('round-trips every code except negative zero', () => {
    for (let code = 0; code < 256; code++) {
      const expected = code === 0x7f ? 0xff : code;
      expect(encodeSample('ulaw', ULAW_DECODE[code]!)).toBe(expected);
    }
  });

  it('is monotonic and odd-symmetric', () => {
    let previous = -Infinity;
    for (let sample = -32768; sample <= 32767; sample += 7) {
      const decoded = decodeSample('ulaw', encodeSample('ulaw', sample));
      expect(decoded).toBeGreaterThanOrEqual(previous);
      previous = decoded;
    }
    for (let code = 0; code < 128; code++) expect(ULAW_DECODE[code]! + ULAW_DECODE[code | 0x80]!).toBe(0);
  });
});

describe('G.711 A-law', () => {
  it('matches the reference values', () => {
    expect(encodeSample('alaw', 0)).toBe(0xd5);
    expect(decodeSample('alaw', 0xd5)).toBe(8);
    expect(decodeSample('alaw', 0x55)).toBe(-8);
    expect(decodeSample('alaw', 0xaa)).toBe(32256);
    expect(decodeSample('alaw', 0x2a)).toBe(-32256);
    expect(encodeSample('alaw', 32767)).toBe(0xaa);
    expect(encodeSample('alaw', -32768)).toBe(0x2a);
    expect(encodeSample('alaw', 1000)).toBe(0xfa);
    expect(decodeSample('alaw', 0xfa)).toBe(1008);
    expect(silenceCode('alaw')).toBe(0xd5);
  });

  it('round-trips every code', () => {
    for (let code = 0; code < 256; code++) expect(encodeSample('alaw', ALAW_DECODE[code]!)).toBe(code);
  });
});

describe('G.711 frames and transcoding', () => {
  it('clips out-of-range samples when encoding a frame', () => {
    const out = new Uint8Array(3);
    encodeFrame('ulaw', [100000, -100000, 0], out);
    expect([...out]).toEqual([0x80, 0x00, 0xff]);
  });

  it('converts μ-law to A-law within one A-law step', () => {
    const data = new Uint8Array(256).map((_, i) => i);
    transcodeInPlace('ulaw', 'alaw', data, 0, 256);
    for (let code = 0; code < 256; code++) {
      const original = ULAW_DECODE[code]!;
      const converted = ALAW_DECODE[data[code]!]!;
      // The A-law step at a magnitude is at most 1/16 of it (plus the 16-unit smallest step).
      expect(Math.abs(converted - original)).toBeLessThanOrEqual(Math.abs(original) / 16 + 16);
    }
  });

  it('leaves bytes outside the range untouched', () => {
    const data = new Uint8Array([1, 2, 3, 4]);
    transcodeInPlace('alaw', 'ulaw', data, 1, 2);
    expect(data[0]).toBe(1);
    expect(data[3]).toBe(4);
    transcodeInPlace('alaw', 'ulaw', data, 3, 100);
    expect(data.length).toBe(4);
  });
});
