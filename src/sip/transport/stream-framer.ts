/**
 * SIP message framing on a byte stream (TCP, TLS): RFC 3261 §18.3. A message is its header
 * section up to the empty line plus exactly Content-Length bytes of body; the header is
 * mandatory on streams (RFC 3261 §20.14). Between messages, RFC 5626 §3.5.1 keep-alives:
 * a double CRLF is a ping (to be answered with one CRLF), a lone CRLF (a pong) is ignored.
 */

const CR = 0x0d;
const LF = 0x0a;
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');

export type FramingFailure = 'message-too-large' | 'missing-content-length' | 'invalid-content-length';

export interface FramerSink {
  /** One complete message; the buffer is owned by the receiver. */
  message(bytes: Buffer): void;
  /** A double-CRLF keep-alive ping arrived between messages. */
  ping(): void;
  /**
   * The stream cannot be framed any more. `head` holds what was read of the failing message's
   * header section (at most the size limit), so that a response can still name its Via.
   */
  failure(kind: FramingFailure, head: Buffer): void;
}

/**
 * Incremental framer. `push` may be given any split of the stream; bytes are buffered only
 * while a message is incomplete, and never more than the size limit plus one read.
 * After a failure the framer ignores further input: the stream has lost its framing.
 */
export class StreamFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** Offset from `start` up to which the header section was already searched for its end. */
  private scanned = 0;
  /** Length of the message being received once its header section is complete, else 0. */
  private pendingTotal = 0;
  private failed = false;

  constructor(
    private readonly sink: FramerSink,
    private readonly maxMessageSize: number,
  ) {}

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.end - this.start;
  }

  push(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    if (this.start === this.end) {
      // Common case: nothing pending, frame straight from the socket's buffer (no copy).
      const consumed = this.frame(chunk, 0, chunk.length, false);
      if (!this.failed && consumed < chunk.length) this.keep(chunk, consumed);
      return;
    }
    this.append(chunk);
    const next = this.frame(this.buffer, this.start, this.end, true);
    if (this.failed) return;
    this.start = next;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
      // Do not hold on to a large buffer once the message that needed it is done.
      if (this.buffer.length > 16_384) this.buffer = Buffer.alloc(0);
    }
  }

  /** Frames as many messages as `data[from, to)` holds; returns the offset of the first unused byte. */
  private frame(buffer: Buffer, from: number, to: number, owned: boolean): number {
    // Our own buffer holds stale bytes past `to`: never search them.
    const data = to === buffer.length ? buffer : buffer.subarray(0, to);
    let at = from;
    while (at < to && !this.failed) {
      if (this.pendingTotal > 0) {
        if (to - at < this.pendingTotal) return at;
        at = this.emit(data, at, this.pendingTotal, owned);
        continue;
      }
      if (this.scanned === 0) {
        const skipped = this.skipKeepAlives(data, at, to);
        if (skipped < 0) return at; // an incomplete CRLF run: wait for more bytes
        at = skipped;
        if (at === to) break;
      }
      const searchFrom = at + Math.max(0, this.scanned - 3);
      const headerEnd = data.indexOf(HEADER_END, searchFrom);
      if (headerEnd < 0) {
        if (to - at > this.maxMessageSize) {
          this.fail('message-too-large', data.subarray(at, at + this.maxMessageSize));
          return to;
        }
        this.scanned = to - at;
        return at;
      }
      const headLength = headerEnd + 4 - at;
      if (headLength > this.maxMessageSize) {
        this.fail('message-too-large', data.subarray(at, at + this.maxMessageSize));
        return to;
      }
      const head = data.subarray(at, headerEnd + 2);
      const contentLength = readContentLength(head);
      if (contentLength < 0) {
        this.fail(contentLength === MISSING ? 'missing-content-length' : 'invalid-content-length', head);
        return to;
      }
      const total = headLength + contentLength;
      if (total > this.maxMessageSize) {
        this.fail('message-too-large', head);
        return to;
      }
      if (to - at < total) {
        this.pendingTotal = total;
        return at;
      }
      at = this.emit(data, at, total, owned);
    }
    return at;
  }

  private emit(data: Buffer, at: number, total: number, owned: boolean): number {
    const bytes = data.subarray(at, at + total);
    this.scanned = 0;
    this.pendingTotal = 0;
    // Bytes in our own buffer will be overwritten: hand out a copy.
    this.sink.message(owned ? Buffer.from(bytes) : bytes);
    return at + total;
  }

  /**
   * Consumes CRLFs before a message, reporting each double CRLF as a ping.
   * Returns the new offset, or -1 when the run may still become a ping and more bytes are needed.
   */
  private skipKeepAlives(data: Buffer, from: number, to: number): number {
    let at = from;
    while (at < to && data[at] === CR) {
      const available = to - at;
      if (available < 2) return -1;
      if (data[at + 1] !== LF) return at; // not a CRLF: let header framing see it
      if (available < 4) {
        if (available === 3 && data[at + 2] !== CR) {
          at += 2;
          continue;
        }
        return -1;
      }
      if (data[at + 2] === CR && data[at + 3] === LF) {
        at += 4;
        this.sink.ping();
      } else {
        at += 2;
      }
    }
    return at;
  }

  private keep(chunk: Buffer, from: number): void {
    const rest = chunk.length - from;
    if (this.buffer.length < rest) this.buffer = Buffer.allocUnsafe(Math.max(rest, 4096));
    chunk.copy(this.buffer, 0, from);
    this.start = 0;
    this.end = rest;
  }

  private append(chunk: Buffer): void {
    const pending = this.end - this.start;
    const needed = pending + chunk.length;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(grown, 0, this.start, this.end);
      this.buffer = grown;
    } else if (this.start > 0) {
      this.buffer.copyWithin(0, this.start, this.end);
    }
    this.start = 0;
    this.end = pending;
    chunk.copy(this.buffer, this.end);
    this.end += chunk.length;
  }

  private fail(kind: FramingFailure, head: Buffer): void {
    this.failed = true;
    const copy = Buffer.from(head);
    this.buffer = Buffer.alloc(0);
    this.start = 0;
    this.end = 0;
    this.sink.failure(kind, copy);
  }
}

const MISSING = -1;
const INVALID = -2;

/**
 * Reads Content-Length (or its compact form `l`, RFC 3261 §7.3.3) from a header section that ends
 * with CRLF. Header names are case-insensitive; HCOLON allows whitespace before the colon; a
 * field may continue on lines starting with whitespace (§7.3.1). Repeated fields must agree.
 * Returns the length, MISSING or INVALID.
 */
export function readContentLength(head: Buffer): number {
  const text = head.toString('latin1');
  let found = MISSING;
  let lineStart = text.indexOf('\r\n') + 2; // skip the start line
  if (lineStart < 2) return MISSING;
  while (lineStart < text.length) {
    let lineEnd = text.indexOf('\r\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    const colon = text.indexOf(':', lineStart);
    if (colon > lineStart && colon < lineEnd) {
      const name = text.slice(lineStart, colon).trimEnd().toLowerCase();
      if (name === 'content-length' || name === 'l') {
        let valueEnd = lineEnd;
        while (valueEnd + 2 < text.length && (text[valueEnd + 2] === ' ' || text[valueEnd + 2] === '\t')) {
          const next = text.indexOf('\r\n', valueEnd + 2);
          valueEnd = next < 0 ? text.length : next;
        }
        const value = parseDecimal(text.slice(colon + 1, valueEnd).trim());
        if (value < 0 || (found >= 0 && found !== value)) return INVALID;
        found = value;
        lineEnd = valueEnd;
      }
    }
    lineStart = lineEnd + 2;
  }
  return found;
}

/** 1*DIGIT, at most 10 digits (anything larger is over every size limit anyway). */
function parseDecimal(text: string): number {
  if (text.length === 0 || text.length > 10) return INVALID;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return INVALID;
    value = value * 10 + digit;
  }
  return value;
}
