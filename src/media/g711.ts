/**
 * ITU-T G.711 μ-law and A-law companding. Encoding goes through full 64 Ki-entry tables and
 * decoding through 256-entry tables, so the per-sample cost on the hot path is one lookup.
 * The segment arithmetic follows the reference implementation that accompanies G.711
 * (G.191 software tools); μ-law ⇄ A-law conversion is decode-then-encode through a 256-byte table.
 */

export type G711Law = 'ulaw' | 'alaw';

/** μ-law: the 14-bit magnitude is biased by 33 (0x84 >> 2) before the segment search. */
function linearToUlaw(sample: number): number {
  let value = sample >> 2;
  let mask = 0xff;
  if (value < 0) {
    value = -value;
    mask = 0x7f;
  }
  if (value > 8159) value = 8159;
  value += 33;
  let segment = 0;
  while (segment < 8 && value > (0x40 << segment) - 1) segment++;
  if (segment >= 8) return 0x7f ^ mask;
  return (((segment << 4) | ((value >> (segment + 1)) & 0x0f)) ^ mask) & 0xff;
}

function ulawToLinear(code: number): number {
  const inverted = ~code & 0xff;
  let magnitude = ((inverted & 0x0f) << 3) + 0x84;
  magnitude <<= (inverted & 0x70) >> 4;
  return inverted & 0x80 ? 0x84 - magnitude : magnitude - 0x84;
}

/** A-law: 13-bit magnitude; even bits are inverted on the line (the 0x55 mask). */
function linearToAlaw(sample: number): number {
  let value = sample >> 3;
  let mask: number;
  if (value >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    value = -value - 1;
  }
  let segment = 0;
  while (segment < 8 && value > (0x20 << segment) - 1) segment++;
  if (segment >= 8) return 0x7f ^ mask;
  const quantised = segment < 2 ? (value >> 1) & 0x0f : (value >> segment) & 0x0f;
  return ((segment << 4) | quantised) ^ mask;
}

function alawToLinear(code: number): number {
  const value = code ^ 0x55;
  let magnitude = (value & 0x0f) << 4;
  const segment = (value & 0x70) >> 4;
  if (segment === 0) magnitude += 8;
  else magnitude = (magnitude + 0x108) << (segment - 1);
  return value & 0x80 ? magnitude : -magnitude;
}

function buildEncodeTable(encode: (sample: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = encode(i - 32768);
  return table;
}

function buildDecodeTable(decode: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let i = 0; i < 256; i++) table[i] = decode(i);
  return table;
}

const ULAW_ENCODE = buildEncodeTable(linearToUlaw);
const ALAW_ENCODE = buildEncodeTable(linearToAlaw);
/** Decoded linear sample for each code byte. */
export const ULAW_DECODE: Readonly<Int16Array> = buildDecodeTable(ulawToLinear);
export const ALAW_DECODE: Readonly<Int16Array> = buildDecodeTable(alawToLinear);

function buildTranscodeTable(decode: Int16Array, encode: Uint8Array): Uint8Array {
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) table[i] = encode[decode[i]! + 32768]!;
  return table;
}

const ULAW_TO_ALAW = buildTranscodeTable(ULAW_DECODE, ALAW_ENCODE);
const ALAW_TO_ULAW = buildTranscodeTable(ALAW_DECODE, ULAW_ENCODE);

export function encodeSample(law: G711Law, sample: number): number {
  const clamped = sample > 32767 ? 32767 : sample < -32768 ? -32768 : sample | 0;
  return (law === 'ulaw' ? ULAW_ENCODE : ALAW_ENCODE)[clamped + 32768]!;
}

export function decodeSample(law: G711Law, code: number): number {
  return (law === 'ulaw' ? ULAW_DECODE : ALAW_DECODE)[code & 0xff]!;
}

/** Encodes `samples` into `out` (same length or longer); samples outside 16 bits are clipped. */
export function encodeFrame(law: G711Law, samples: ArrayLike<number>, out: Uint8Array, outOffset = 0): void {
  const table = law === 'ulaw' ? ULAW_ENCODE : ALAW_ENCODE;
  const count = Math.min(samples.length, out.length - outOffset);
  for (let i = 0; i < count; i++) {
    const sample = samples[i]!;
    const clamped = sample > 32767 ? 32767 : sample < -32768 ? -32768 : sample | 0;
    out[outOffset + i] = table[clamped + 32768]!;
  }
}

/** Decodes `length` code bytes from `codes` at `offset` into `out` (which must be long enough). */
export function decodeFrame(
  law: G711Law,
  codes: Uint8Array,
  offset: number,
  length: number,
  out: Int16Array,
): void {
  const table = law === 'ulaw' ? ULAW_DECODE : ALAW_DECODE;
  const count = Math.min(length, out.length);
  for (let i = 0; i < count; i++) out[i] = table[codes[offset + i]!]!;
}

/** Converts G.711 bytes between laws in place. */
export function transcodeInPlace(
  from: G711Law,
  to: G711Law,
  data: Uint8Array,
  offset: number,
  length: number,
): void {
  if (from === to) return;
  const table = from === 'ulaw' ? ULAW_TO_ALAW : ALAW_TO_ULAW;
  const end = Math.min(offset + length, data.length);
  for (let i = offset; i < end; i++) data[i] = table[data[i]!]!;
}

/** The code byte for digital silence (linear 0) in each law. */
export function silenceCode(law: G711Law): number {
  return law === 'ulaw' ? 0xff : 0xd5;
}
