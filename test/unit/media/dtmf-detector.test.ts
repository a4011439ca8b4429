import { describe, expect, it } from 'vitest';
import { DtmfDetector } from '../../../src/media/dtmf-detector.js';
import { type DtmfDigit, decodeFrame, encodeFrame } from '../../../src/media/index.js';
import { dtmfFrequencies, dtmfTone, synthesize } from '../../../src/media/tone-generator.js';

const ALL_DIGITS: DtmfDigit[] = [
  '1',
  '2',
  '3',
  'A',
  '4',
  '5',
  '6',
  'B',
  '7',
  '8',
  '9',
  'C',
  '*',
  '0',
  '#',
  'D',
];

type Report = [DtmfDigit, 'begin' | 'end', number | undefined];

function detect(audio: Int16Array, throughG711 = true): Report[] {
  const reports: Report[] = [];
  const detector = new DtmfDetector((digit, state, durationMs) => reports.push([digit, state, durationMs]));
  let signal = audio;
  if (throughG711) {
    const codes = new Uint8Array(audio.length);
    encodeFrame('ulaw', audio, codes);
    signal = new Int16Array(audio.length);
    decodeFrame('ulaw', codes, 0, codes.length, signal);
  }
  // Odd packet sizes: blocks must not depend on packet boundaries.
  for (let offset = 0; offset < signal.length; offset += 80)
    detector.process(signal.subarray(offset, offset + 80));
  return reports;
}

function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const silence = (ms: number) => new Int16Array(ms * 8);

function twoTones(low: number, high: number, lowDbm0: number, highDbm0: number, ms: number): Int16Array {
  const out = new Int16Array(ms * 8);
  synthesize(
    [
      { frequency: low, dbm0: lowDbm0 },
      { frequency: high, dbm0: highDbm0 },
    ],
    out,
  );
  return out;
}

describe('Goertzel DTMF detector', () => {
  it('detects all 16 digits in sequence through μ-law', () => {
    const audio = concat(...ALL_DIGITS.flatMap((digit) => [dtmfTone(digit, 100), silence(60)]));
    const reports = detect(audio);
    expect(reports.filter(([, state]) => state === 'begin').map(([digit]) => digit)).toEqual(ALL_DIGITS);
    expect(reports.filter(([, state]) => state === 'end').map(([digit]) => digit)).toEqual(ALL_DIGITS);
    for (const [, state, duration] of reports)
      if (state === 'end') expect(duration).toBeGreaterThanOrEqual(80);
  });

  it('detects tones off the nominal frequency by 1.5% and at -25 dBm0', () => {
    const [low, high] = dtmfFrequencies('5');
    const audio = concat(twoTones(low * 1.015, high * 0.985, -25, -25, 100), silence(60));
    expect(detect(audio).map(([digit, state]) => `${digit}${state}`)).toEqual(['5begin', '5end']);
  });

  it('rejects a single tone of each frequency', () => {
    for (const frequency of [697, 770, 852, 941, 1209, 1336, 1477, 1633]) {
      const audio = new Int16Array(800);
      synthesize([{ frequency, dbm0: -6 }], audio);
      expect(detect(audio)).toEqual([]);
    }
  });

  it('enforces twist: high group 8 dB weaker or 4 dB stronger at most', () => {
    const [low, high] = dtmfFrequencies('8');
    const begins = (lowDbm0: number, highDbm0: number) =>
      detect(concat(twoTones(low, high, lowDbm0, highDbm0, 100), silence(60))).filter(
        ([, state]) => state === 'begin',
      ).length;
    expect(begins(-10, -17)).toBe(1); // 7 dB normal twist
    expect(begins(-10, -20)).toBe(0); // 10 dB normal twist
    expect(begins(-10, -7)).toBe(1); // 3 dB reverse twist
    expect(begins(-10, -4)).toBe(0); // 6 dB reverse twist
  });

  it('rejects white noise and a speech-like harmonic signal', () => {
    let seed = 7;
    const noise = new Int16Array(8000).map(() => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed % 16000) - 8000;
    });
    expect(detect(noise)).toEqual([]);
    // A voiced sound: harmonics of a gliding 110–180 Hz fundamental with a formant-like envelope.
    const speech = new Int16Array(16000);
    let phase = 0;
    for (let i = 0; i < speech.length; i++) {
      const fundamental = 110 + 70 * Math.sin((2 * Math.PI * i) / 8000);
      phase += (2 * Math.PI * fundamental) / 8000;
      let value = 0;
      for (let harmonic = 1; harmonic <= 20; harmonic++) {
        const frequency = fundamental * harmonic;
        const envelope =
          Math.exp(-(((frequency - 700) / 300) ** 2)) + 0.6 * Math.exp(-(((frequency - 1200) / 250) ** 2));
        value += envelope * Math.sin(phase * harmonic);
      }
      speech[i] = Math.round(value * 4000);
    }
    expect(detect(speech)).toEqual([]);
  });

  it('needs 40 ms to begin a digit and bridges a single lost block', () => {
    expect(detect(concat(dtmfTone('1', 20), silence(100)))).toEqual([]);
    const broken = concat(dtmfTone('9', 100), silence(20), dtmfTone('9', 100), silence(60));
    const reports = detect(broken, false);
    expect(reports.map(([digit, state]) => `${digit}${state}`)).toEqual(['9begin', '9end']);
  });

  it('separates two digits with a short pause', () => {
    const audio = concat(dtmfTone('1', 60), silence(40), dtmfTone('1', 60), silence(60));
    expect(detect(audio, false).filter(([, state]) => state === 'begin')).toHaveLength(2);
  });
});
