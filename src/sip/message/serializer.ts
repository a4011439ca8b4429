/** Writing a message to the wire (RFC 3261 §7). */
import { headerKey } from './header-names.js';
import { HeaderFields } from './headers.js';
import { Request, Response } from './message.js';
import type { SipMessage } from './types.js';
import { formatUri } from './uri.js';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const COLON = 0x3a;

/**
 * The head of the message being written. Writing each part here and copying the head once into
 * a Buffer of its exact size leaves one allocation per message, where joining the head into a
 * string made a string per field, a flattened copy and a second pass to count its UTF-8 bytes.
 * A head that outgrew KEPT_SCRATCH does not keep its larger buffer.
 */
const KEPT_SCRATCH = 16 * 1024;
let scratch = Buffer.allocUnsafe(KEPT_SCRATCH);
/** Set while a head is written, so that a re-entrant call (a SipHeaders of a caller's own) gets a buffer of its own. */
let writing = false;

function startLineOf(message: SipMessage): string {
  return message.kind === 'request'
    ? `${message.method} ${message instanceof Request ? message.uriText() : formatUri(message.uri)} ${message.version}`
    : `${message.version} ${message.status} ${message.reason}`;
}

/** Room for `bytes` more after `at`, keeping what was written. */
function reserve(at: number, bytes: number): void {
  if (at + bytes <= scratch.length) return;
  const larger = Buffer.allocUnsafe(Math.max(2 * scratch.length, at + bytes));
  scratch.copy(larger, 0, 0, at);
  scratch = larger;
}

/** Writes `text` at `at` and returns where it ends. */
function put(text: string, at: number): number {
  reserve(at, room(text));
  return copyText(text, at);
}

/** Room `text` may take: a UTF-16 unit is at most 3 octets of UTF-8 (a surrogate pair, 4 for 2). */
function room(text: string): number {
  return 3 * text.length;
}

/** Copies `text` into room reserved at `at`: ASCII octet by octet, anything else as UTF-8. */
function copyText(text: string, at: number): number {
  const out = scratch;
  const start = at;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return start + out.write(text, start, 'utf8');
    out[at++] = code;
  }
  return at;
}

function putField(name: string, value: string, at: number): number {
  reserve(at, room(name) + room(value) + 4);
  at = copyText(name, at);
  scratch[at++] = COLON;
  scratch[at++] = SP;
  at = copyText(value, at);
  scratch[at++] = CR;
  scratch[at++] = LF;
  return at;
}

/**
 * Serialises a message: start line, header fields in order (names as written), a correct
 * Content-Length (the first Content-Length field is rewritten in place, others dropped; one is
 * added at the end when there was none), the empty line and the body. A received message
 * whose start line, headers and body are unchanged is returned as the received octets, without
 * copying (the result shares memory with the parsed datagram).
 */
export function serializeMessage(message: SipMessage): Buffer {
  if (message instanceof Request || message instanceof Response) {
    const received = message.headersAndBodyUnchanged();
    if (received !== undefined && received.startLine === startLineOf(message)) {
      return received.data.subarray(received.start, received.end);
    }
  }
  if (writing) return withOwnScratch(message);
  writing = true;
  try {
    return writeMessage(message);
  } finally {
    writing = false;
    if (scratch.length > KEPT_SCRATCH) scratch = Buffer.allocUnsafe(KEPT_SCRATCH);
  }
}

function withOwnScratch(message: SipMessage): Buffer {
  const outer = scratch;
  scratch = Buffer.allocUnsafe(KEPT_SCRATCH);
  try {
    return writeMessage(message);
  } finally {
    scratch = outer;
  }
}

function writeMessage(message: SipMessage): Buffer {
  let at = 0;
  if (message.kind === 'request') {
    at = put(message.method, at);
    at = put(' ', at);
    at = put(message instanceof Request ? message.uriText() : formatUri(message.uri), at);
    at = put(' ', at);
    at = put(message.version, at);
  } else {
    at = put(message.version, at);
    at = put(' ', at);
    at = put(String(message.status), at);
    at = put(' ', at);
    at = put(message.reason, at);
  }
  // No octet of a multi-octet UTF-8 sequence is CR or LF: the octets tell.
  for (let i = 0; i < at; i++) {
    const octet = scratch[i];
    if (octet === CR || octet === LF) throw new TypeError('SIP start line contains CR or LF');
  }
  at = put('\r\n', at);
  const body = message.body;
  const length = String(body.length);
  let wroteLength = false;
  const headers = message.headers;
  if (headers instanceof HeaderFields) {
    for (let i = 0; i < headers.size; i++) {
      if (headers.keyAt(i) !== 'content-length') at = putField(headers.nameAt(i), headers.valueAt(i), at);
      else if (!wroteLength) {
        at = putField(headers.nameAt(i), length, at);
        wroteLength = true;
      }
    }
  } else {
    for (const { name, value } of headers.fields()) {
      if (headerKey(name) !== 'content-length') at = putField(name, value, at);
      else if (!wroteLength) {
        at = putField(name, length, at);
        wroteLength = true;
      }
    }
  }
  if (!wroteLength) at = putField('Content-Length', length, at);
  at = put('\r\n', at);
  const out = Buffer.allocUnsafe(at + body.length);
  scratch.copy(out, 0, 0, at);
  body.copy(out, at);
  return out;
}
