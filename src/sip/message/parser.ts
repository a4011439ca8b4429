/** Parsing one whole SIP message: a UDP datagram or one framed stream message (RFC 3261 §7, §18.3). */
import { isUtf8 } from 'node:buffer';
import { allIn, isDigit, isSpace, parseBoundedInt, skipSpace, skipSpaceBack, TOKEN } from './chars.js';
import { parseCSeq } from './cseq.js';
import { headerKey } from './header-names.js';
import { HeaderFields } from './headers.js';
import { Request, Response } from './message.js';
import { parseNameAddr } from './name-addr.js';
import type { NameAddr, ParseFailure, Result, SipMessage, Uri, Via } from './types.js';
import { parseUri } from './uri.js';
import { parseViaList } from './via.js';

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

/** Where the header block ends: `headEnd` excludes the empty line, `bodyStart` follows it. */
function findHeadEnd(data: Buffer, start: number): { headEnd: number; bodyStart: number; complete: boolean } {
  const crlf = data.indexOf(CRLFCRLF, start);
  if (crlf >= 0) return { headEnd: crlf + 2, bodyStart: crlf + 4, complete: true };
  // Tolerate bare LF line ends (a common implementation bug) when there is no CRLFCRLF at all.
  const lf = data.indexOf(LFLF, start);
  if (lf >= 0) return { headEnd: lf + 1, bodyStart: lf + 2, complete: true };
  // No empty line: a datagram is complete by definition, so its headers end with it.
  return { headEnd: data.length, bodyStart: data.length, complete: false };
}

/** Header block split into fields, before any header is interpreted. */
interface SplitHeaders {
  names: string[];
  values: string[];
  keys: string[];
  bareLf: boolean;
}

/**
 * Splits the header lines after the start line into fields: unfolds continuation lines
 * (RFC 3261 §7.3.1), allows SP/HTAB before the colon (HCOLON), trims values.
 */
function splitHeaderLines(
  head: string,
  pos: number,
  hasHighBytes: boolean,
): Result<SplitHeaders, ParseFailure> {
  const names: string[] = [];
  const values: string[] = [];
  const keys: string[] = [];
  let bareLf = false;
  let value: string | undefined;
  while (pos < head.length) {
    let nl = head.indexOf('\n', pos);
    if (nl < 0) nl = head.length;
    let end = nl;
    if (end > pos && head.charCodeAt(end - 1) === 0x0d) end--;
    else if (nl < head.length) bareLf = true;
    const first = head.charCodeAt(pos);
    if (isSpace(first)) {
      if (value === undefined) {
        return failure('message-header', 'continuation line before the first header field', { offset: pos });
      }
      const pieceStart = skipSpace(head, pos, end);
      if (pieceStart < end) {
        const piece = head.slice(pieceStart, skipSpaceBack(head, end, pieceStart));
        value = value.length === 0 ? piece : `${value} ${piece}`;
      }
    } else {
      if (end === pos)
        return failure('message-header', 'empty line inside the header block', { offset: pos });
      const colon = head.indexOf(':', pos);
      if (colon < 0 || colon >= end)
        return failure('message-header', 'header line without a colon', { offset: pos });
      const nameEnd = skipSpaceBack(head, colon, pos);
      if (nameEnd === pos || !allIn(TOKEN, head, pos, nameEnd)) {
        return failure('header-name', 'header field name is not a token', { offset: pos });
      }
      if (value !== undefined) values.push(hasHighBytes ? decodeUtf8(value) : value);
      const name = head.slice(pos, nameEnd);
      names.push(name);
      keys.push(headerKey(name));
      const valueStart = skipSpace(head, colon + 1, end);
      value = head.slice(valueStart, skipSpaceBack(head, end, valueStart));
    }
    pos = nl + 1;
  }
  if (value !== undefined) values.push(hasHighBytes ? decodeUtf8(value) : value);
  return { ok: true, value: { names, values, keys, bareLf } };
}

/** Header values are UTF-8 (RFC 3261 §7.3.1); invalid UTF-8 is kept as Latin-1 so that no octet is lost. */
function decodeUtf8(latin1: string): string {
  if (!/[\x80-\xff]/.test(latin1)) return latin1;
  const bytes = Buffer.from(latin1, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : latin1;
}

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, written back upper-case. */
function parseVersion(text: string): string | undefined {
  if (text.length < 7 || text.slice(0, 4).toUpperCase() !== 'SIP/') return undefined;
  const dot = text.indexOf('.', 4);
  if (dot <= 4 || dot === text.length - 1) return undefined;
  for (let i = 4; i < text.length; i++) if (i !== dot && !isDigit(text.charCodeAt(i))) return undefined;
  return text.charCodeAt(0) === 0x53 && text.charCodeAt(1) === 0x49 && text.charCodeAt(2) === 0x50
    ? text
    : `SIP/${text.slice(4)}`;
}

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
 * A failure carries `isRequest` and, when the header block could be split, `headers`, so that a
 * stateless 400 can be answered (see `createResponseFromHeaders`).
 */
export function parseMessage(data: Buffer, options?: ParseOptions): Result<SipMessage, ParseFailure> {
  const maxSize = options?.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  if (data.length > maxSize) return failure('message-size', `message larger than ${maxSize} bytes`);
  let start = 0;
  while (start < data.length && (data[start] === 0x0d || data[start] === 0x0a)) start++;
  if (start === data.length) return failure('start-line', 'empty message');
  const { headEnd, bodyStart, complete } = findHeadEnd(data, start);
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
  const fields = new HeaderFields(split.value.names, split.value.values, split.value.keys);
  // Only a request is answered (with a stateless 400); a bad response is dropped (RFC 3261 §18.1.2).
  const salvage: Partial<ParseFailure> = isRequest ? { isRequest, headers: fields } : { isRequest };

  const line = isRequest
    ? parseRequestLine(startLine, hasHighBytes)
    : parseStatusLine(startLine, hasHighBytes);
  if (!line.ok) return { ok: false, error: { ...line.error, ...salvage } };
  const checked = checkHeaders(split.value, salvage);
  if (!checked.ok) return checked;
  const { via, from, to, callId, cseq, contentLength } = checked.value;

  let bodyEnd = data.length;
  if (contentLength >= 0) {
    if (bodyStart + contentLength > data.length) {
      return failure('Content-Length', 'Content-Length is larger than the body received', {
        ...salvage,
        header: 'content-length',
      });
    }
    bodyEnd = bodyStart + contentLength;
  }
  const body = data.subarray(bodyStart, bodyEnd);
  let message: Request | Response;
  if ('method' in line.value) {
    const { method, uri, uriText, version } = line.value;
    if (cseq.method !== method) {
      return failure('CSeq', `CSeq method ${cseq.method} does not match request method ${method}`, {
        ...salvage,
        header: 'cseq',
      });
    }
    message = new Request(method, uri, version, fields, body, uriText);
  } else {
    message = new Response(line.value.status, line.value.reason, line.value.version, fields, body);
  }
  message.primeViews(via, from, to, callId, cseq);
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

interface CheckedHeaders {
  via: Via[];
  from: NameAddr;
  to: NameAddr;
  callId: string;
  cseq: { seq: number; method: string };
  /** -1 when absent. */
  contentLength: number;
}

/**
 * The headers every layer relies on must be present, single where the grammar allows only
 * one value (RFC 4475 §3.3.8, §3.3.9) and well-formed (RFC 3261 §8.1.1, §20).
 */
function checkHeaders(
  split: SplitHeaders,
  salvage: Partial<ParseFailure>,
): Result<CheckedHeaders, ParseFailure> {
  let from = -1;
  let to = -1;
  let callId = -1;
  let cseq = -1;
  let contentLength = -1;
  let maxForwards = -1;
  const vias: number[] = [];
  const { keys, values } = split;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    let duplicate = false;
    switch (key) {
      case 'via':
        vias.push(i);
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
    if (duplicate) {
      return failure(headerRule(key), `more than one ${key} header field`, { ...salvage, header: key });
    }
  }
  if (vias.length === 0) return missing('via', salvage);
  if (from < 0) return missing('from', salvage);
  if (to < 0) return missing('to', salvage);
  if (callId < 0) return missing('call-id', salvage);
  if (cseq < 0) return missing('cseq', salvage);

  const via: Via[] = [];
  for (const index of vias) {
    const parsed = parseViaList(values[index]!);
    if (!parsed.ok) return headerFailure(parsed.error, 'via', salvage);
    for (const one of parsed.value) via.push(one);
  }
  const fromValue = parseNameAddr(values[from]!);
  if (!fromValue.ok) return headerFailure(fromValue.error, 'from', salvage);
  const toValue = parseNameAddr(values[to]!);
  if (!toValue.ok) return headerFailure(toValue.error, 'to', salvage);
  const callIdValue = values[callId]!;
  if (!isCallId(callIdValue))
    return failure('Call-ID', 'Call-ID is empty or has spaces', { ...salvage, header: 'call-id' });
  const cseqValue = parseCSeq(values[cseq]!);
  if (!cseqValue.ok) return headerFailure(cseqValue.error, 'cseq', salvage);
  if (maxForwards >= 0 && parseBoundedInt(values[maxForwards]!, MAX_FORWARDS_LIMIT) < 0) {
    return failure('Max-Forwards', 'Max-Forwards is not an integer from 0 to 255', {
      ...salvage,
      header: 'max-forwards',
    });
  }
  let length = -1;
  if (contentLength >= 0) {
    // Content-Length can never exceed the datagram, so the bound also keeps it a safe integer.
    length = parseBoundedInt(values[contentLength]!, 0x7fffffff);
    if (length < 0) {
      return failure('Content-Length', 'Content-Length is not a non-negative integer', {
        ...salvage,
        header: 'content-length',
      });
    }
  }
  return {
    ok: true,
    value: {
      via,
      from: fromValue.value,
      to: toValue.value,
      callId: callIdValue,
      cseq: cseqValue.value,
      contentLength: length,
    },
  };
}

/** callid = word [ "@" word ]; characters beyond `word` are tolerated, spaces and controls are not. */
function isCallId(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
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

function missing(key: string, salvage: Partial<ParseFailure>): Failed {
  return failure('missing-header', `mandatory header ${headerRule(key)} is missing`, {
    ...salvage,
    header: key,
  });
}

function headerFailure(
  error: { rule: string; message: string },
  key: string,
  salvage: Partial<ParseFailure>,
): Failed {
  return failure(error.rule, `${headerRule(key)}: ${error.message}`, { ...salvage, header: key });
}

interface RequestLine {
  method: string;
  uri: Uri;
  uriText: string;
  version: string;
}

/** Request-Line = Method SP Request-URI SP SIP-Version, single SPs only (RFC 4475 §3.1.2.9–10). */
function parseRequestLine(line: string, hasHighBytes: boolean): Result<RequestLine, ParseFailure> {
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || sp2 === sp1 + 1 || line.indexOf(' ', sp2 + 1) >= 0 || line.indexOf('\t') >= 0) {
    return failure('Request-Line', 'Request-Line is not Method SP Request-URI SP SIP-Version');
  }
  if (!allIn(TOKEN, line, 0, sp1)) return failure('Method', 'method is not a token');
  const version = parseVersion(line.slice(sp2 + 1));
  if (version === undefined) return failure('SIP-Version', 'bad SIP-Version in Request-Line');
  const uriText = line.slice(sp1 + 1, sp2);
  if (hasHighBytes && /[\x80-\xff]/.test(uriText))
    return failure('Request-URI', 'raw non-ASCII octets in Request-URI');
  const uri = parseUri(uriText);
  if (!uri.ok) return failure('Request-URI', `Request-URI: ${uri.error.message}`);
  // RFC 3261 §19.1.1 (table): headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
  for (const _ in uri.value.headers) return failure('Request-URI', 'Request-URI must not contain headers');
  return { ok: true, value: { method: line.slice(0, sp1), uri: uri.value, uriText, version } };
}

/** Status-Line = SIP-Version SP Status-Code SP Reason-Phrase; Status-Code is 3DIGIT 100-699. */
function parseStatusLine(
  line: string,
  hasHighBytes: boolean,
): Result<{ version: string; status: number; reason: string }, ParseFailure> {
  const sp1 = line.indexOf(' ');
  const version = sp1 < 0 ? undefined : parseVersion(line.slice(0, sp1));
  if (version === undefined) return failure('SIP-Version', 'bad SIP-Version in Status-Line');
  const codeEnd = sp1 + 4;
  const status = codeEnd <= line.length ? parseBoundedInt(line, 699, sp1 + 1, codeEnd) : -1;
  if (status < 100 || (codeEnd < line.length && line.charCodeAt(codeEnd) !== 0x20)) {
    return failure('Status-Code', 'Status-Code is not three digits from 100 to 699');
  }
  const reason = line.slice(Math.min(codeEnd + 1, line.length));
  return { ok: true, value: { version, status, reason: hasHighBytes ? decodeUtf8(reason) : reason } };
}
