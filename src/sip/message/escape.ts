/** RFC 3261 §25.1 `escaped` (%HEX HEX) in URIs, and quoted-string (§25.1) encoding. */
import { isUtf8 } from 'node:buffer';
import { indexIn, isIn } from './chars.js';

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Whether every '%' in s[start, end) begins an `escaped` (%HEX HEX), so that `unescapeUri` succeeds. */
export function escapesValid(s: string, start: number, end: number): boolean {
  for (let i = s.indexOf('%', start); i >= 0 && i < end; i = s.indexOf('%', i + 3)) {
    if (i + 2 >= end) return false;
    if (hexValue(s.charCodeAt(i + 1)) < 0 || hexValue(s.charCodeAt(i + 2)) < 0) return false;
  }
  return true;
}

/**
 * Decodes %XX escapes. The octets are read as UTF-8 when they form valid UTF-8 and as Latin-1
 * otherwise, so that no escaped octet is lost. Returns undefined for a malformed escape.
 */
export function unescapeUri(s: string): string | undefined {
  const first = s.indexOf('%');
  if (first < 0) return s;
  const bytes = Buffer.allocUnsafe(s.length * 3);
  let n = bytes.write(s.slice(0, first), 'utf8');
  for (let i = first; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return undefined;
      bytes[n++] = hi * 16 + lo;
      i += 2;
    } else if (c < 0x80) {
      bytes[n++] = c;
    } else {
      n += bytes.write(s[i]!, n, 'utf8');
    }
  }
  const decoded = bytes.subarray(0, n);
  return decoded.toString(isUtf8(decoded) ? 'utf8' : 'latin1');
}

const HEX = '0123456789ABCDEF';

/** Escapes every character outside `allowed` (and every '%') as %XX of its UTF-8 octets. */
export function escapeUri(s: string, allowed: Uint8Array): string {
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 0x25 || !isIn(allowed, c)) break;
    i++;
  }
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (const octet of Buffer.from(s.slice(i), 'utf8')) {
    if (octet !== 0x25 && isIn(allowed, octet)) out += String.fromCharCode(octet);
    else out += `%${HEX[octet >> 4]}${HEX[octet & 15]}`;
  }
  return out;
}

/**
 * The index after the quoted-string that starts at s[start] === '"' and closes before `end`,
 * or -1 when it is unterminated (RFC 4475 §3.1.2.6). quoted-pair = "\\" (%x00-09 / %x0B-0C / %x0E-7F).
 */
export function quotedStringEnd(s: string, start: number, end: number): number {
  let i = start + 1;
  for (;;) {
    const quote = s.indexOf('"', i);
    if (quote < 0 || quote >= end) return -1;
    const backslash = indexIn(s, 0x5c, i, quote);
    if (backslash < 0) return quote + 1;
    if (backslash + 1 >= end) return -1;
    i = backslash + 2;
  }
}

/**
 * Reads a quoted-string starting at s[start] === '"'. Returns the unescaped content and the
 * index after the closing quote, or undefined when the string is unterminated.
 */
export function readQuotedString(s: string, start: number): { text: string; end: number } | undefined {
  const end = quotedStringEnd(s, start, s.length);
  return end < 0 ? undefined : { text: quotedContent(s, start, end), end };
}

/** The content of the quoted-string s[start, end) (as delimited by `quotedStringEnd`), quoted-pairs unescaped. */
export function quotedContent(s: string, start: number, end: number): string {
  const close = end - 1;
  let backslash = indexIn(s, 0x5c, start + 1, close);
  if (backslash < 0) return s.slice(start + 1, close);
  let text = '';
  let chunk = start + 1;
  while (backslash >= 0) {
    text += s.slice(chunk, backslash);
    chunk = backslash + 1;
    backslash = indexIn(s, 0x5c, backslash + 2, close);
  }
  return text + s.slice(chunk, close);
}

/** Encodes text as a quoted-string, escaping '"' and '\' (RFC 3261 §25.1 quoted-pair). */
export function quoteString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"' || ch === '\\') out += '\\';
    // A bare CR or LF would end the header field: they cannot be carried, not even escaped.
    out += ch === '\r' || ch === '\n' ? ' ' : ch;
  }
  return `${out}"`;
}

/** Removes the quotes and quoted-pair escapes of a parameter value written as a quoted-string. */
export function unquote(value: string): string {
  if (value.length < 2 || value.charCodeAt(0) !== 0x22) return value;
  return readQuotedString(value, 0)?.text ?? value;
}
