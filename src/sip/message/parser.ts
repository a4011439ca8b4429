/** Parsing one whole SIP message: a UDP datagram or one framed stream message (RFC 3261 §7, §18.3). */
import { isAscii } from 'node:buffer';
import { forgetOctets, mirrorTextOctets } from './chars.js';
import { block, decodeUtf8, splitHeaderBlock } from './header-block.js';
import { HeaderFields } from './headers.js';
import { keepMarks } from './marks.js';
import { Request, Response } from './message.js';
import { built, checkRequiredHeaders } from './required-headers.js';
import { checkRequestLine, checkStatusLine, isStatusLine, startLine } from './start-line.js';
import type { ParseFailure, Result, SipMessage, SipParseError } from './types.js';

/** Largest message accepted unless the caller says otherwise: the largest UDP payload. */
export const DEFAULT_MAX_MESSAGE_SIZE = 65535;

export interface ParseOptions {
  /** Messages longer than this many bytes are rejected before any parsing. */
  maxSize?: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

/**
 * Parses one whole SIP message. Never throws. The body (and the fast serialisation path of an
 * unchanged message) share memory with `data`.
 *
 * Leading CRLFs are skipped (RFC 3261 §7.5). The body is exactly Content-Length octets: extra
 * octets of a datagram are discarded, fewer are an error (RFC 3261 §18.3, RFC 4475 §3.1.2.2);
 * without Content-Length the body is the rest of the datagram. The start line and the headers
 * every layer needs (Via, From, To, Call-ID, CSeq, and Max-Forwards when present) are validated;
 * a request whose CSeq method differs from its method is rejected (RFC 4475 §3.1.2.17–18).
 * The first Via field, From, To, Call-ID and CSeq are built as they are validated; the
 * Request-URI and later Via fields are built on first read, other values sliced on first read.
 * A failure carries `isRequest` and, when the header block could be split, `headers`, so that a
 * stateless 400 can be answered (see `createResponseFromHeaders`).
 */
export function parseMessage(data: Buffer, options?: ParseOptions): Result<SipMessage, ParseFailure> {
  let parsed: Request | Response | ParseFailure;
  try {
    parsed = readMessage(data, options?.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE);
  } finally {
    // Views read later must not scan `data`, which the caller may reuse once it has the message.
    forgetOctets();
  }
  return parsed instanceof Request || parsed instanceof Response
    ? { ok: true, value: parsed }
    : { ok: false, error: parsed };
}

function readMessage(data: Buffer, maxSize: number): Request | Response | ParseFailure {
  if (data.length > maxSize) return { rule: 'message-size', message: `message larger than ${maxSize} bytes` };
  let start = 0;
  while (start < data.length && (data[start] === 0x0d || data[start] === 0x0a)) start++;
  if (start === data.length) return { rule: 'start-line', message: 'empty message' };
  // The header block ends with the empty line: `headEnd` (counted, like every offset, from
  // `start`) excludes it, the body follows it. The text holds the body too, so that the header
  // block needs no second search.
  let text = data.toString('latin1', start);
  mirrorTextOctets(text, data, start);
  let headEnd = crlfHeadEnd(text, data, start);
  let bodyStart = headEnd + 2;
  let complete = true;
  if (headEnd < 0) {
    // Bare LF line ends (a common implementation bug) are tolerated when there is no CRLFCRLF
    // at all; without an empty line a datagram is complete by definition, so its headers end
    // with it.
    const crlf = data.indexOf(CRLFCRLF, start);
    const lf = crlf < 0 ? data.indexOf(LFLF, start) : -1;
    complete = crlf >= 0 || lf >= 0;
    headEnd = crlf >= 0 ? crlf + 2 - start : lf >= 0 ? lf + 1 - start : text.length;
    bodyStart = crlf >= 0 ? headEnd + 2 : lf >= 0 ? headEnd + 1 : text.length;
    // RFC 3261 §7.3.1, §25.1: CR only ever ends a line; a bare CR would split lines differently
    // in every other parser, and must not reach a Reason-Phrase or header value.
    for (let cr = text.indexOf('\r'); cr >= 0 && cr < headEnd; cr = text.indexOf('\r', cr + 2)) {
      if (cr + 1 >= headEnd || text.charCodeAt(cr + 1) !== 0x0a) {
        return { rule: 'message-header', message: 'bare CR in the header block', offset: cr };
      }
    }
  }
  if (text.length - headEnd > RETAINED_BODY_TEXT) {
    // The header fields keep the text: a large body is not kept twice, as octets and as text.
    text = data.toString('latin1', start, start + headEnd);
    mirrorTextOctets(text, data, start);
  }
  let lineEnd = text.indexOf('\n');
  if (lineEnd < 0 || lineEnd > headEnd) lineEnd = headEnd;
  const startLineEnd = lineEnd > 0 && data[start + lineEnd - 1] === 0x0d ? lineEnd - 1 : lineEnd;
  const isRequest = !isStatusLine(text, startLineEnd);
  // A Latin-1 string's UTF-8 length exceeds its length exactly when it has octets above 0x7f.
  const hasHighBytes = !isAscii(data) && Buffer.byteLength(text.slice(0, headEnd), 'utf8') !== headEnd;
  const splitFailure = splitHeaderBlock(data, start, text, lineEnd + 1, headEnd, hasHighBytes);
  if (splitFailure !== undefined) return { ...splitFailure, isRequest };
  const fields = new HeaderFields(block.names, block.values, block.keys, text, block.ranges);

  const lineFailure = isRequest
    ? checkRequestLine(text, startLineEnd, hasHighBytes)
    : checkStatusLine(text, startLineEnd);
  if (lineFailure !== undefined) return rejected(lineFailure, isRequest, fields);
  const contentLength = checkRequiredHeaders(fields, block);
  if (typeof contentLength !== 'number') return rejected(contentLength, isRequest, fields);

  bodyStart += start;
  let bodyEnd = data.length;
  if (contentLength >= 0) {
    if (bodyStart + contentLength > data.length) {
      const error = { rule: 'Content-Length', message: 'Content-Length is larger than the body received' };
      return rejected({ ...error, header: 'content-length' }, isRequest, fields);
    }
    bodyEnd = bodyStart + contentLength;
  }
  const body = bodyStart === bodyEnd ? EMPTY_BODY : data.subarray(bodyStart, bodyEnd);
  const cseq = built.cseq!;
  let message: Request | Response;
  if (isRequest) {
    const { method, uriStart, uriEnd } = startLine;
    if (cseq.method !== method) {
      const message = `CSeq method ${cseq.method} does not match request method ${method}`;
      return rejected({ rule: 'CSeq', message, header: 'cseq' }, isRequest, fields);
    }
    message = new Request(method, undefined, startLine.version, fields, body, text.slice(uriStart, uriEnd));
  } else {
    const reason = text.slice(startLine.reasonStart, startLineEnd);
    const decoded = hasHighBytes ? decodeUtf8(reason) : reason;
    message = new Response(startLine.status, decoded, startLine.version, fields, body);
  }
  message.adoptViews(
    fields,
    keepMarks(text) ? text : undefined,
    built.topVias,
    built.from,
    built.to,
    built.callId,
    cseq,
  );
  if (contentLength >= 0 && complete && !block.bareLf) {
    message.received = {
      data,
      start,
      end: bodyEnd,
      startLine: text.slice(0, startLineEnd),
      headersVersion: fields.version,
      body,
    };
  }
  return message;
}

/**
 * Where the header block of `text` (data[start..] read as Latin-1) ends, after the CRLF of its
 * last line, when it is closed by CRLFCRLF and every CR before that ends a line; else -1, and
 * the caller looks closer. One search per line finds both; the octets around each CR are read
 * in `data`.
 */
function crlfHeadEnd(text: string, data: Uint8Array, start: number): number {
  for (let cr = text.indexOf('\r'); cr >= 0; cr = text.indexOf('\r', cr + 2)) {
    const at = start + cr;
    if (data[at + 1] !== 0x0a) return -1;
    if (data[at + 2] === 0x0d && data[at + 3] === 0x0a) return cr + 2;
  }
  return -1;
}

/** Above this many octets after the header block, the text of the header fields is decoded again without them. */
const RETAINED_BODY_TEXT = 1024;

/** A message without body shares this one: nothing can be written into zero octets. */
const EMPTY_BODY = Buffer.alloc(0);

/** Only a request is answered (with a stateless 400), so only its failure carries the header fields; a bad response is dropped (RFC 3261 §18.1.2). */
function rejected(error: SipParseError, isRequest: boolean, fields: HeaderFields): ParseFailure {
  return isRequest ? { ...error, isRequest, headers: fields } : { ...error, isRequest };
}
