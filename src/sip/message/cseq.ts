/** CSeq (RFC 3261 §20.16, §8.1.1.5). */
import { allIn, isDigit, parseBoundedInt, skipSpace, TOKEN, trimSpace } from './chars.js';
import { fail } from './failure.js';
import type { CSeq, Result } from './types.js';

/** RFC 3261 §8.1.1.5: the sequence number MUST be expressible as a 32-bit unsigned integer. */
export const MAX_CSEQ = 0xffffffff;

/** Parses `1*DIGIT LWS Method`; overlarge numbers are errors (RFC 4475 §3.1.2.4). Never throws. */
export function parseCSeq(text: string): Result<CSeq> {
  const value = trimSpace(text);
  let i = 0;
  while (i < value.length && isDigit(value.charCodeAt(i))) i++;
  const seq = parseBoundedInt(value, MAX_CSEQ, 0, i);
  if (seq < 0) return fail('CSeq', 'CSeq number is missing or larger than 2**32-1', 0, 'cseq');
  const methodStart = skipSpace(value, i);
  if (methodStart === i || methodStart === value.length || !allIn(TOKEN, value, methodStart)) {
    return fail('CSeq', 'CSeq method is missing or not a token', methodStart, 'cseq');
  }
  return { ok: true, value: { seq, method: value.slice(methodStart) } };
}

export function formatCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}
