/**
 * The header fields every layer relies on (RFC 3261 §8.1.1, §20): checked in a received
 * message, and the views the transaction and dialog layers read on every message built while
 * they are checked.
 */
import { controlIndex, parseBoundedInt } from './chars.js';
import { cseqIn, parseCSeq } from './cseq.js';
import type { HeaderBlock } from './header-block.js';
import {
  canonicalName,
  FIELD_CALL_ID,
  FIELD_CONTENT_LENGTH,
  FIELD_CSEQ,
  FIELD_FROM,
  FIELD_MAX_FORWARDS,
  FIELD_OTHER,
  FIELD_TO,
  FIELD_VIA,
  keyOfField,
} from './header-names.js';
import type { HeaderFields } from './headers.js';
import { clearMarks, FROM_MARK, markView, TO_MARK, VIA_MARK } from './marks.js';
import { markNameAddr, nameAddrIn, parseNameAddr } from './name-addr.js';
import type { CSeq, NameAddr, Result, SipParseError, Via } from './types.js';
import { markViaList, parseViaList, readViaList } from './via.js';

/** RFC 3261 §20.22: Max-Forwards is an integer in the range 0-255. */
const MAX_FORWARDS_LIMIT = 255;

/**
 * What `checkRequiredHeaders` built; valid after it returned a length (checking is
 * synchronous). A view recorded in the marks (see marks.ts) is left undefined here.
 */
export const built: {
  /** The via-parms of the first Via field: the top Via first. */
  topVias: Via[] | undefined;
  from: NameAddr | undefined;
  to: NameAddr | undefined;
  callId: string;
  cseq: CSeq | undefined;
} = { topVias: undefined, from: undefined, to: undefined, callId: '', cseq: undefined };

/**
 * Checks that the required headers are present, single where the grammar allows only one
 * value (RFC 4475 §3.3.8, §3.3.9) and well-formed; every Via field is checked, not only the
 * top one. The first Via field, From and To are recorded in the marks as they are read when
 * they have the common form, else built into `built`, and Call-ID and CSeq built, so none is
 * read twice; later Via fields are only validated (a proxy forwards them untouched). Returns
 * the Content-Length (-1 when absent) or the failure.
 */
export function checkRequiredHeaders(fields: HeaderFields, block: HeaderBlock): number | SipParseError {
  const first = block.first;
  if (block.repeated !== FIELD_OTHER) {
    const key = keyOfField(block.repeated);
    return { rule: ruleOf(block.repeated), message: `more than one ${key} header field`, header: key };
  }
  for (const field of PRESENT_FIRST) if (first[field]! < 0) return missing(field);

  clearMarks();
  const via = first[FIELD_VIA]!;
  let topVias: Via[] | undefined;
  const viaMark = markViaList(fields.textOf(via), fields.valueStart(via), fields.valueEnd(via), true);
  if (viaMark >= 0) {
    markView(VIA_MARK, viaMark);
  } else {
    topVias = [];
    if (!readViaList(fields.textOf(via), fields.valueStart(via), fields.valueEnd(via), topVias)) {
      return headerFailure(parseViaList(fields.valueAt(via)), FIELD_VIA);
    }
  }
  const keys = block.keys;
  for (let i = via + 1; i < keys.length; i++) {
    if (keys[i] !== 'via') continue;
    const text = fields.textOf(i);
    const start = fields.valueStart(i);
    const end = fields.valueEnd(i);
    if (markViaList(text, start, end, false) < 0 && !readViaList(text, start, end, undefined)) {
      return headerFailure(parseViaList(fields.valueAt(i)), FIELD_VIA);
    }
  }
  const from = nameAddrView(fields, first[FIELD_FROM]!, FROM_MARK);
  if (from === INVALID) return headerFailure(parseNameAddr(fields.valueAt(first[FIELD_FROM]!)), FIELD_FROM);
  const to = nameAddrView(fields, first[FIELD_TO]!, TO_MARK);
  if (to === INVALID) return headerFailure(parseNameAddr(fields.valueAt(first[FIELD_TO]!)), FIELD_TO);
  const callIdField = first[FIELD_CALL_ID]!;
  if (!isCallId(fields.textOf(callIdField), fields.valueStart(callIdField), fields.valueEnd(callIdField))) {
    return { rule: 'Call-ID', message: 'Call-ID is empty or has spaces', header: 'call-id' };
  }
  const cseqField = first[FIELD_CSEQ]!;
  const cseq = cseqIn(fields.textOf(cseqField), fields.valueStart(cseqField), fields.valueEnd(cseqField));
  if (cseq === undefined) return headerFailure(parseCSeq(fields.valueAt(cseqField)), FIELD_CSEQ);
  const maxForwards = first[FIELD_MAX_FORWARDS]!;
  if (maxForwards >= 0 && fieldInteger(fields, maxForwards, MAX_FORWARDS_LIMIT) < 0) {
    return {
      rule: 'Max-Forwards',
      message: 'Max-Forwards is not an integer from 0 to 255',
      header: 'max-forwards',
    };
  }
  const contentLength = first[FIELD_CONTENT_LENGTH]!;
  // Content-Length can never exceed the datagram, so the bound also keeps it a safe integer.
  const length = contentLength < 0 ? -1 : fieldInteger(fields, contentLength, 0x7fffffff);
  if (contentLength >= 0 && length < 0) {
    return {
      rule: 'Content-Length',
      message: 'Content-Length is not a non-negative integer',
      header: 'content-length',
    };
  }
  built.topVias = topVias;
  built.from = from;
  built.to = to;
  // Sliced directly rather than through the fields, which would create their value list for it.
  built.callId = fields
    .textOf(callIdField)
    .slice(fields.valueStart(callIdField), fields.valueEnd(callIdField));
  built.cseq = cseq;
  return length;
}

/** `nameAddrView`'s answer for an invalid name-addr. */
const INVALID = null;

/**
 * Validates the name-addr of field `field`: recorded in the marks under `head` when it has the
 * common form (undefined is returned then), else built by the full reader, or INVALID.
 */
function nameAddrView(
  fields: HeaderFields,
  field: number,
  head: number,
): NameAddr | undefined | typeof INVALID {
  const text = fields.textOf(field);
  const start = fields.valueStart(field);
  const end = fields.valueEnd(field);
  const mark = markNameAddr(text, start, end);
  if (mark >= 0) {
    markView(head, mark);
    return undefined;
  }
  return nameAddrIn(text, start, end) ?? INVALID;
}

/** The required headers in the order their absence is reported. */
const PRESENT_FIRST = [FIELD_VIA, FIELD_FROM, FIELD_TO, FIELD_CALL_ID, FIELD_CSEQ];

/** The 1*DIGIT value of field `field` if no greater than `max`, else -1; read in place when it lies in the header block. */
function fieldInteger(fields: HeaderFields, field: number, max: number): number {
  return parseBoundedInt(fields.textOf(field), max, fields.valueStart(field), fields.valueEnd(field));
}

/** callid = word [ "@" word ]; characters beyond `word` are tolerated, spaces and controls are not. */
function isCallId(s: string, start: number, end: number): boolean {
  return start < end && controlIndex(s, start, end) < 0;
}

/** The rule a failure of field number `field` names: the header's canonical spelling. */
function ruleOf(field: number): string {
  return canonicalName(keyOfField(field));
}

function missing(field: number): SipParseError {
  return {
    rule: 'missing-header',
    message: `mandatory header ${ruleOf(field)} is missing`,
    header: keyOfField(field),
  };
}

/** The failure of a header value that its reader refused, as the full parser words it. */
function headerFailure(parsed: Result<unknown>, field: number): SipParseError {
  const rule = ruleOf(field);
  const error = parsed.ok ? { rule, message: 'invalid' } : parsed.error;
  return { rule: error.rule, message: `${rule}: ${error.message}`, header: keyOfField(field) };
}
