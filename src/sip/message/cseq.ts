/** CSeq (RFC 3261 §20.16, §8.1.1.5). */
import {
  allIn,
  isDigit,
  octetDelta,
  octetRunEnd,
  octetsOf,
  parseBoundedInt,
  skipSpace,
  skipSpaceBack,
  TOKEN,
} from './chars.js';
import { fail } from './failure.js';
import type { CSeq, Result } from './types.js';
import { knownMethodAt, knownMethodIn } from './words.js';

/** RFC 3261 §8.1.1.5: the sequence number MUST be expressible as a 32-bit unsigned integer. */
export const MAX_CSEQ = 0xffffffff;

/** The method of the CSeq that `readCSeq` last read, and where it starts. */
let method = '';
let methodStart = 0;

/**
 * Reads `1*DIGIT LWS Method` (LWS around it allowed); returns the sequence number, -1 for a
 * missing or overlarge number (RFC 4475 §3.1.2.4), or -2 for a missing or non-token method.
 */
function readCSeq(text: string, from: number, to: number): number {
  const start = skipSpace(text, from, to);
  const end = skipSpaceBack(text, to, start);
  let i = start;
  while (i < end && isDigit(text.charCodeAt(i))) i++;
  const seq = parseBoundedInt(text, MAX_CSEQ, start, i);
  if (seq < 0) return -1;
  methodStart = skipSpace(text, i, end);
  if (methodStart === i || methodStart === end) return -2;
  const known = knownMethodAt(text, methodStart, end);
  if (known === undefined && !allIn(TOKEN, text, methodStart, end)) return -2;
  method = known ?? text.slice(methodStart, end);
  return seq;
}

/** Parses `1*DIGIT LWS Method`; overlarge numbers are errors (RFC 4475 §3.1.2.4). Never throws. */
export function parseCSeq(text: string): Result<CSeq> {
  const seq = readCSeq(text, 0, text.length);
  if (seq === -1) return fail('CSeq', 'CSeq number is missing or larger than 2**32-1', 0, 'cseq');
  if (seq === -2) return fail('CSeq', 'CSeq method is missing or not a token', methodStart, 'cseq');
  return { ok: true, value: { seq, method } };
}

/** The CSeq s[start, end), or undefined when it is invalid (`parseCSeq` tells why). */
export function cseqIn(s: string, start: number, end: number): CSeq | undefined {
  const octets = octetsOf(s);
  if (octets !== undefined) {
    const common = commonCSeqIn(s, octets, start, end);
    if (common !== undefined) return common;
  }
  const seq = readCSeq(s, start, end);
  return seq < 0 ? undefined : { seq, method };
}

/** Digits of the longest sequence number the common reader reads: 2**32-1 has ten. */
const MAX_CSEQ_DIGITS = 10;

/**
 * The CSeq nearly every sender writes, read from the received octets o in one pass:
 * 1*10DIGIT SP method, without other LWS. Undefined for anything else, valid or not, which
 * `readCSeq` then reads.
 */
function commonCSeqIn(s: string, o: Uint8Array, start: number, end: number): CSeq | undefined {
  const delta = octetDelta();
  const e = end + delta;
  const digitsStart = start + delta;
  let i = digitsStart;
  let seq = 0;
  while (i < e && i - digitsStart < MAX_CSEQ_DIGITS && o[i]! >= 0x30 && o[i]! <= 0x39) {
    seq = seq * 10 + o[i++]! - 0x30;
  }
  if (i === digitsStart || seq > MAX_CSEQ || i + 1 >= e || o[i] !== 0x20) return undefined;
  const methodStart = i + 1;
  if (octetRunEnd(TOKEN, o, methodStart, e) !== e) return undefined;
  const known = knownMethodIn(o, methodStart, e);
  return { seq, method: known ?? s.slice(methodStart - delta, end) };
}

export function formatCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}
