/** Parsing one whole SIP message: a UDP datagram or one framed stream message (RFC 3261 §7, §18.3). */
import { isUtf8 } from 'node:buffer';
import { allIn, isDigit, isSpace, parseBoundedInt, skipSpace, skipSpaceBack, TOKEN } from './chars.js';
import { cseqMethodIs, isCSeq, parseCSeq } from './cseq.js';
import { lastReadMessage } from './failure.js';
import { keyByLowerCase, knownFieldAt, knownSpellingKey } from './header-names.js';
import { HeaderFields } from './headers.js';
import { Request, Response } from './message.js';
import { isNameAddr, parseNameAddr } from './name-addr.js';
import type { ParseFailure, Result, SipMessage } from './types.js';
import { readUri, URI_WITH_HEADERS } from './uri.js';
import { isViaList, parseViaList } from './via.js';

/** Largest message accepted unless the caller says otherwise: the largest UDP payload. */
export const DEFAULT_MAX_MESSAGE_SIZE = 65535;

/** RFC 3261 §20.22: Max-Forwards is an integer in the range 0-255. */
const MAX_FORWARDS_LIMIT = 255;

export interface ParseOptions {
  /** Messages longer than this many bytes are rejected before any parsing. */
  maxSize?: number;
}

type Failed = { ok: false; error: ParseFailure };

function failure(rule: string, message: string, extra?: Partial<ParseFailure>): Failed {
  return { ok: false, error: { rule, message, ...extra } };
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

/**
 * Header block split into fields, before any header is interpreted. A value that lies in the
 * header block as it is (neither folded nor decoded) is not sliced: `values[i]` is undefined
 * and head[ranges[2i], ranges[2i + 1]) is the value. The other values are strings, their range
 * start -1. Validating in place also reads the flat header block rather than a sliced string,
 * which is markedly faster.
 */
interface SplitHeaders {
  names: string[];
  values: Array<string | undefined>;
  keys: string[];
  ranges: number[];
  bareLf: boolean;
}

/**
 * Splits the header lines after the start line into fields: unfolds continuation lines
 * (RFC 3261 §7.3.1), allows SP/HTAB before the colon (HCOLON), trims values. A name spelt a
 * known way is a token by construction, so only other names are checked character by character.
 */
function splitHeaderLines(
  head: string,
  pos: number,
  hasHighBytes: boolean,
): Result<SplitHeaders, ParseFailure> {
  const names: string[] = [];
  const values: Array<string | undefined> = [];
  const keys: string[] = [];
  const ranges: number[] = [];
  let bareLf = false;
  while (pos < head.length) {
    let nl = head.indexOf('\n', pos);
    if (nl < 0) nl = head.length;
    let end = nl;
    if (end > pos && head.charCodeAt(end - 1) === 0x0d) end--;
    else if (nl < head.length) bareLf = true;
    if (isSpace(head.charCodeAt(pos))) {
      const last = values.length - 1;
      if (last < 0) {
        return failure('message-header', 'continuation line before the first header field', { offset: pos });
      }
      const pieceStart = skipSpace(head, pos, end);
      if (pieceStart < end) {
        const piece = head.slice(pieceStart, skipSpaceBack(head, end, pieceStart));
        const value = values[last] ?? head.slice(ranges[2 * last], ranges[2 * last + 1]);
        values[last] = value.length === 0 ? piece : `${value} ${piece}`;
        ranges[2 * last] = -1;
      }
    } else {
      const colon = head.indexOf(':', pos);
      const nameEnd = colon < 0 || colon >= end ? pos : skipSpaceBack(head, colon, pos);
      if (nameEnd === pos) return headerLineFailure(head, pos, end);
      const known = knownFieldAt(head, pos, nameEnd);
      if (known !== undefined) {
        names.push(known.name);
        keys.push(known.key);
      } else {
        const name = head.slice(pos, nameEnd);
        let key = knownSpellingKey(name);
        if (key === undefined) {
          if (!allIn(TOKEN, name))
            return failure('header-name', 'header field name is not a token', { offset: pos });
          key = keyByLowerCase(name);
        }
        names.push(name);
        keys.push(key);
      }
      const valueStart = skipSpace(head, colon + 1, end);
      ranges.push(valueStart, skipSpaceBack(head, end, valueStart));
      values.push(undefined);
    }
    pos = nl + 1;
  }
  // Decoded once unfolded, so that a value is read as UTF-8 or as Latin-1 as a whole.
  if (hasHighBytes) {
    for (let i = 0; i < values.length; i++) {
      values[i] = decodeUtf8(values[i] ?? head.slice(ranges[2 * i], ranges[2 * i + 1]));
      ranges[2 * i] = -1;
    }
  }
  return { ok: true, value: { names, values, keys, ranges, bareLf } };
}

/** Why a header line without a name before a colon was refused. */
function headerLineFailure(head: string, pos: number, end: number): Failed {
  if (end === pos) return failure('message-header', 'empty line inside the header block', { offset: pos });
  const colon = head.indexOf(':', pos);
  if (colon < 0 || colon >= end)
    return failure('message-header', 'header line without a colon', { offset: pos });
  return failure('header-name', 'header field name is not a token', { offset: pos });
}

/** Header values are UTF-8 (RFC 3261 §7.3.1); invalid UTF-8 is kept as Latin-1 so that no octet is lost. */
function decodeUtf8(latin1: string): string {
  if (!/[\x80-\xff]/.test(latin1)) return latin1;
  const bytes = Buffer.from(latin1, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : latin1;
}

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT in line[start, end), written back upper-case. */
function versionAt(line: string, start: number, end: number): string | undefined {
  const length = end - start;
  if (length === 7 && line.startsWith(SIP_2_0, start)) return SIP_2_0;
  const text = line.slice(start, end);
  if (length < 7 || text.slice(0, 4).toUpperCase() !== 'SIP/') return undefined;
  const dot = text.indexOf('.', 4);
  if (dot <= 4 || dot === text.length - 1) return undefined;
  for (let i = 4; i < text.length; i++) if (i !== dot && !isDigit(text.charCodeAt(i))) return undefined;
  return text.charCodeAt(0) === 0x53 && text.charCodeAt(1) === 0x49 && text.charCodeAt(2) === 0x50
    ? text
    : `SIP/${text.slice(4)}`;
}

const SIP_2_0 = 'SIP/2.0';

function looksLikeResponse(line: string): boolean {
  return line.length >= 4 && line.slice(0, 4).toUpperCase() === 'SIP/';
}

/**
 * Parses one whole SIP message. Never throws. The body (and the fast serialisation path of an
 * unchanged message) share memory with `data`.
 *
 * Leading CRLFs are skipped (RFC 3261 §7.5). The body is exactly Content-Length octets: extra
 * octets of a datagram are discarded, fewer are an error (RFC 3261 §18.3, RFC 4475 §3.1.2.2);
 * without Content-Length the body is the rest of the datagram. The start line and the headers
 * every layer needs (Via, From, To, Call-ID, CSeq, and Max-Forwards when present) are validated;
 * a request whose CSeq method differs from its method is rejected (RFC 4475 §3.1.2.17–18).
 * Validating builds nothing: the Request-URI and the typed views are parsed on first read.
 * A failure carries `isRequest` and, when the header block could be split, `headers`, so that a
 * stateless 400 can be answered (see `createResponseFromHeaders`).
 */
export function parseMessage(data: Buffer, options?: ParseOptions): Result<SipMessage, ParseFailure> {
  const maxSize = options?.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  if (data.length > maxSize) return failure('message-size', `message larger than ${maxSize} bytes`);
  let start = 0;
  while (start < data.length && (data[start] === 0x0d || data[start] === 0x0a)) start++;
  if (start === data.length) return failure('start-line', 'empty message');
  // The header block ends with the empty line: `headEnd` excludes it, the body follows it. Bare
  // LF line ends (a common implementation bug) are tolerated when there is no CRLFCRLF at all;
  // without an empty line a datagram is complete by definition, so its headers end with it.
  let headEnd = data.length;
  let bodyStart = data.length;
  const crlf = data.indexOf(CRLFCRLF, start);
  const lf = crlf < 0 ? data.indexOf(LFLF, start) : -1;
  if (crlf >= 0) {
    headEnd = crlf + 2;
    bodyStart = crlf + 4;
  } else if (lf >= 0) {
    headEnd = lf + 1;
    bodyStart = lf + 2;
  }
  const complete = crlf >= 0 || lf >= 0;
  const head = data.toString('latin1', start, headEnd);
  // RFC 3261 §7.3.1, §25.1: CR only ever ends a line; a bare CR would split lines differently
  // in every other parser, and must not reach a Reason-Phrase or header value.
  for (let cr = head.indexOf('\r'); cr >= 0; cr = head.indexOf('\r', cr + 2)) {
    if (head.charCodeAt(cr + 1) !== 0x0a)
      return failure('message-header', 'bare CR in the header block', { offset: cr });
  }
  let lineEnd = head.indexOf('\n');
  if (lineEnd < 0) lineEnd = head.length;
  const startLine = head.slice(
    0,
    lineEnd > 0 && head.charCodeAt(lineEnd - 1) === 0x0d ? lineEnd - 1 : lineEnd,
  );
  const isRequest = !looksLikeResponse(startLine);
  // A Latin-1 string's UTF-8 length exceeds its length exactly when it has octets above 0x7f.
  const hasHighBytes = Buffer.byteLength(head, 'utf8') !== head.length;
  const split = splitHeaderLines(head, lineEnd + 1, hasHighBytes);
  if (!split.ok) return { ok: false, error: { ...split.error, isRequest } };
  const { names, values, keys, ranges } = split.value;
  const fields = new HeaderFields(names, values, keys, head, ranges);

  const lineFailure = isRequest ? checkRequestLine(startLine, hasHighBytes) : checkStatusLine(startLine);
  if (lineFailure !== undefined) return rejected(lineFailure, isRequest, fields);
  const contentLength = checkHeaders(fields, head, keys, ranges);
  if (typeof contentLength !== 'number') return rejected(contentLength, isRequest, fields);

  let bodyEnd = data.length;
  if (contentLength >= 0) {
    if (bodyStart + contentLength > data.length) {
      const error = { rule: 'Content-Length', message: 'Content-Length is larger than the body received' };
      return rejected({ ...error, header: 'content-length' }, isRequest, fields);
    }
    bodyEnd = bodyStart + contentLength;
  }
  const body = bodyStart === bodyEnd ? EMPTY_BODY : data.subarray(bodyStart, bodyEnd);
  let message: Request | Response;
  if (isRequest) {
    const sp1 = startLine.indexOf(' ');
    const sp2 = startLine.indexOf(' ', sp1 + 1);
    const method = startLine.slice(0, sp1);
    const cseq = fields.get('CSeq')!;
    if (!cseqMethodIs(cseq, method)) {
      const named = parseCSeq(cseq);
      const message = `CSeq method ${named.ok ? named.value.method : ''} does not match request method ${method}`;
      return rejected({ rule: 'CSeq', message, header: 'cseq' }, isRequest, fields);
    }
    const version = versionAt(startLine, sp2 + 1, startLine.length)!;
    message = new Request(method, undefined, version, fields, body, startLine.slice(sp1 + 1, sp2));
  } else {
    const sp1 = startLine.indexOf(' ');
    const reason = startLine.slice(Math.min(sp1 + 5, startLine.length));
    message = new Response(
      parseBoundedInt(startLine, 699, sp1 + 1, sp1 + 4),
      hasHighBytes ? decodeUtf8(reason) : reason,
      versionAt(startLine, 0, sp1)!,
      fields,
      body,
    );
  }
  if (contentLength >= 0 && complete && !split.value.bareLf) {
    message.received = {
      data,
      start,
      end: bodyEnd,
      startLine,
      headersVersion: fields.version,
      body,
    };
  }
  return { ok: true, value: message };
}

/** A message without body shares this one: nothing can be written into zero octets. */
const EMPTY_BODY = Buffer.alloc(0);

/** Only a request is answered (with a stateless 400), so only its failure carries the header fields; a bad response is dropped (RFC 3261 §18.1.2). */
function rejected(error: ParseError, isRequest: boolean, fields: HeaderFields): Failed {
  return { ok: false, error: isRequest ? { ...error, isRequest, headers: fields } : { ...error, isRequest } };
}

/** A failure before the salvage (`isRequest`, `headers`) is added. */
type ParseError = { rule: string; message: string; header?: string };

/**
 * The headers every layer relies on must be present, single where the grammar allows only
 * one value (RFC 4475 §3.3.8, §3.3.9) and well-formed (RFC 3261 §8.1.1, §20). Returns the
 * Content-Length (-1 when absent) or the failure. The values are only validated; the typed
 * views are built when first read, by the same grammar.
 */
function checkHeaders(
  fields: HeaderFields,
  head: string,
  keys: string[],
  ranges: number[],
): number | ParseError {
  let via = -1;
  let from = -1;
  let to = -1;
  let callId = -1;
  let cseq = -1;
  let contentLength = -1;
  let maxForwards = -1;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    let duplicate = false;
    switch (key) {
      case 'via':
        if (via < 0) via = i;
        break;
      case 'from':
        duplicate = from >= 0;
        from = i;
        break;
      case 'to':
        duplicate = to >= 0;
        to = i;
        break;
      case 'call-id':
        duplicate = callId >= 0;
        callId = i;
        break;
      case 'cseq':
        duplicate = cseq >= 0;
        cseq = i;
        break;
      case 'content-length':
        duplicate = contentLength >= 0;
        contentLength = i;
        break;
      case 'max-forwards':
        duplicate = maxForwards >= 0;
        maxForwards = i;
        break;
    }
    if (duplicate)
      return { rule: headerRule(key), message: `more than one ${key} header field`, header: key };
  }
  if (via < 0) return missing('via');
  if (from < 0) return missing('from');
  if (to < 0) return missing('to');
  if (callId < 0) return missing('call-id');
  if (cseq < 0) return missing('cseq');

  for (let i = via; i < keys.length; i++) {
    if (keys[i] === 'via' && !isValid(VIA, fields, head, ranges, i)) {
      return headerFailure(parseViaList(fields.valueAt(i)), 'via');
    }
  }
  if (!isValid(NAME_ADDR, fields, head, ranges, from)) {
    return headerFailure(parseNameAddr(fields.valueAt(from)), 'from');
  }
  if (!isValid(NAME_ADDR, fields, head, ranges, to))
    return headerFailure(parseNameAddr(fields.valueAt(to)), 'to');
  if (!isValid(CALL_ID, fields, head, ranges, callId)) {
    return { rule: 'Call-ID', message: 'Call-ID is empty or has spaces', header: 'call-id' };
  }
  if (!isValid(CSEQ, fields, head, ranges, cseq))
    return headerFailure(parseCSeq(fields.valueAt(cseq)), 'cseq');
  if (maxForwards >= 0 && fieldInteger(fields, head, ranges, maxForwards, MAX_FORWARDS_LIMIT) < 0) {
    return {
      rule: 'Max-Forwards',
      message: 'Max-Forwards is not an integer from 0 to 255',
      header: 'max-forwards',
    };
  }
  if (contentLength < 0) return -1;
  // Content-Length can never exceed the datagram, so the bound also keeps it a safe integer.
  const length = fieldInteger(fields, head, ranges, contentLength, 0x7fffffff);
  if (length < 0) {
    return {
      rule: 'Content-Length',
      message: 'Content-Length is not a non-negative integer',
      header: 'content-length',
    };
  }
  return length;
}

const VIA = 0;
const NAME_ADDR = 1;
const CALL_ID = 2;
const CSEQ = 3;

/** Whether field `field` is valid as `grammar`, read in place in the header block when it lies there. */
function isValid(
  grammar: number,
  fields: HeaderFields,
  head: string,
  ranges: number[],
  field: number,
): boolean {
  let s = head;
  let start = ranges[2 * field]!;
  let end = ranges[2 * field + 1]!;
  if (start < 0) {
    s = fields.valueAt(field);
    start = 0;
    end = s.length;
  }
  switch (grammar) {
    case VIA:
      return isViaList(s, start, end);
    case NAME_ADDR:
      return isNameAddr(s, start, end);
    case CALL_ID:
      return isCallId(s, start, end);
    default:
      return isCSeq(s, start, end);
  }
}

/** The 1*DIGIT value of field `field` if no greater than `max`, else -1; read in place when it lies in the header block. */
function fieldInteger(
  fields: HeaderFields,
  head: string,
  ranges: number[],
  field: number,
  max: number,
): number {
  const start = ranges[2 * field]!;
  if (start < 0) return parseBoundedInt(fields.valueAt(field), max);
  return parseBoundedInt(head, max, start, ranges[2 * field + 1]);
}

/** callid = word [ "@" word ]; characters beyond `word` are tolerated, spaces and controls are not. */
function isCallId(s: string, start: number, end: number): boolean {
  if (start === end) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return false;
  }
  return true;
}

const RULES: Record<string, string> = {
  via: 'Via',
  from: 'From',
  to: 'To',
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'content-length': 'Content-Length',
  'max-forwards': 'Max-Forwards',
};

function headerRule(key: string): string {
  return RULES[key] ?? key;
}

function missing(key: string): ParseError {
  return { rule: 'missing-header', message: `mandatory header ${headerRule(key)} is missing`, header: key };
}

/** The failure of a header value that its validator refused, as the full parser words it. */
function headerFailure(parsed: Result<unknown>, key: string): ParseError {
  const error = parsed.ok ? { rule: headerRule(key), message: 'invalid' } : parsed.error;
  return { rule: error.rule, message: `${headerRule(key)}: ${error.message}`, header: key };
}

/** Request-Line = Method SP Request-URI SP SIP-Version, single SPs only (RFC 4475 §3.1.2.9–10). */
function checkRequestLine(line: string, hasHighBytes: boolean): ParseError | undefined {
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || sp2 === sp1 + 1 || line.indexOf(' ', sp2 + 1) >= 0 || line.indexOf('\t') >= 0) {
    return { rule: 'Request-Line', message: 'Request-Line is not Method SP Request-URI SP SIP-Version' };
  }
  if (!allIn(TOKEN, line, 0, sp1)) return { rule: 'Method', message: 'method is not a token' };
  if (versionAt(line, sp2 + 1, line.length) === undefined)
    return { rule: 'SIP-Version', message: 'bad SIP-Version in Request-Line' };
  if (hasHighBytes && /[\x80-\xff]/.test(line.slice(sp1 + 1, sp2))) {
    return { rule: 'Request-URI', message: 'raw non-ASCII octets in Request-URI' };
  }
  const uri = readUri(line, sp1 + 1, sp2, undefined);
  if (uri < 0) return { rule: 'Request-URI', message: `Request-URI: ${lastReadMessage()}` };
  // RFC 3261 §19.1.1 (table): headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
  if (uri === URI_WITH_HEADERS)
    return { rule: 'Request-URI', message: 'Request-URI must not contain headers' };
  return undefined;
}

/** Status-Line = SIP-Version SP Status-Code SP Reason-Phrase; Status-Code is 3DIGIT 100-699. */
function checkStatusLine(line: string): ParseError | undefined {
  const sp1 = line.indexOf(' ');
  if (sp1 < 0 || versionAt(line, 0, sp1) === undefined) {
    return { rule: 'SIP-Version', message: 'bad SIP-Version in Status-Line' };
  }
  const codeEnd = sp1 + 4;
  const status = codeEnd <= line.length ? parseBoundedInt(line, 699, sp1 + 1, codeEnd) : -1;
  if (status < 100 || (codeEnd < line.length && line.charCodeAt(codeEnd) !== 0x20)) {
    return { rule: 'Status-Code', message: 'Status-Code is not three digits from 100 to 699' };
  }
  return undefined;
}
