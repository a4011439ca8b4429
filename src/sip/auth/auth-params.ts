/**
 * Splits an authentication header value into its scheme and auth-params (RFC 3261 §25.1
 * `challenge` / `credentials`, RFC 7235 §2.1). Tolerant of LWS around `=` and `,`, empty list
 * elements and case in the scheme and parameter names; strict where leniency would let a value
 * be read two ways (unbalanced quotes, duplicate parameters, control characters).
 */
import type { Result, SipParseError } from '../message/types.js';

export interface AuthParams {
  /** The scheme as written, e.g. 'Digest'. Compare case-insensitively. */
  scheme: string;
  /** Parameter names lower-cased; quoted values unquoted and unescaped. */
  params: Map<string, string>;
}

/** A hostile header must not make us build an unbounded map. */
const MAX_PARAMS = 32;

const TAB = 0x09;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;
const DELETE = 0x7f;

function isWhitespace(code: number): boolean {
  return code === SPACE || code === TAB;
}

function isControl(code: number): boolean {
  return (code < SPACE && code !== TAB) || code === DELETE;
}

/** RFC 3261 §25.1 token characters: alphanum and -.!%*_+`'~ */
function isTokenChar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    code === 0x2d ||
    code === 0x2e ||
    code === 0x21 ||
    code === 0x25 ||
    code === 0x2a ||
    code === 0x5f ||
    code === 0x2b ||
    code === 0x60 ||
    code === 0x27 ||
    code === 0x7e
  );
}

/**
 * An unquoted value: RFC 3261 allows only a token, but deployed clients send bare values such
 * as base64 nonces (`/`, `=`) or URIs (`:`, `@`); anything up to the next separator is kept.
 */
function isBareValueChar(code: number): boolean {
  return code > SPACE && code < DELETE && code !== COMMA && code !== QUOTE;
}

function failure(rule: string, message: string, offset: number): { ok: false; error: SipParseError } {
  return { ok: false, error: { rule, message, offset } };
}

function skipWhitespace(text: string, at: number): number {
  let i = at;
  while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

/** Reads a quoted-string starting at the opening quote; returns the unescaped content and the index after the closing quote. */
function readQuoted(text: string, start: number): Result<{ value: string; end: number }> {
  let value = '';
  let runStart = start + 1;
  for (let i = start + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) return { ok: true, value: { value: value + text.slice(runStart, i), end: i + 1 } };
    if (code === BACKSLASH) {
      // RFC 3261 §25.1 quoted-pair excludes CR and LF; other control characters are refused
      // as well, escaped or not, so that no value we echo can smuggle them into a header.
      const next = text.charCodeAt(i + 1);
      if (Number.isNaN(next)) return failure('quoted-pair', 'Backslash at the end of a quoted string', i);
      if (isControl(next)) return failure('quoted-pair', 'Escaped control character in a quoted string', i);
      value += text.slice(runStart, i);
      runStart = i + 1;
      i++;
      continue;
    }
    if (isControl(code)) {
      return failure('quoted-string', 'Control character inside a quoted string', i);
    }
  }
  return failure('quoted-string', 'Quoted string is not closed', start);
}

/** Receives one auth-param: its name lower-cased, its value unquoted and unescaped. */
export type AuthParamVisitor = (name: string, value: string) => void;

/**
 * Reads `scheme param=value, param="value", …`, handing each parameter to `visit` in order, and
 * returns the scheme; the parameters a caller does not keep cost no map. Every parameter is
 * visited before the value is known to be well-formed to its end: on failure, drop what was
 * visited. Never throws.
 */
export function readAuthParams(text: string, visit: AuthParamVisitor): Result<string> {
  let i = skipWhitespace(text, 0);
  const schemeStart = i;
  while (i < text.length && isTokenChar(text.charCodeAt(i))) i++;
  if (i === schemeStart) return failure('auth-scheme', 'Missing authentication scheme', schemeStart);
  const scheme = text.slice(schemeStart, i);
  if (i < text.length && !isWhitespace(text.charCodeAt(i))) {
    return failure('auth-scheme', 'Authentication scheme must be followed by whitespace', i);
  }

  // Names seen so far, for the duplicate check: a handful, so a scan beats a set.
  const names: string[] = [];
  for (;;) {
    i = skipWhitespace(text, i);
    // RFC 7235 §7: recipients accept empty list elements ("a=1, , b=2").
    while (i < text.length && text.charCodeAt(i) === COMMA) i = skipWhitespace(text, i + 1);
    if (i >= text.length) break;

    const nameStart = i;
    while (i < text.length && isTokenChar(text.charCodeAt(i))) i++;
    if (i === nameStart) return failure('auth-param', 'Expected a parameter name', nameStart);
    const name = text.slice(nameStart, i).toLowerCase();
    i = skipWhitespace(text, i);
    if (text.charCodeAt(i) !== EQUALS) return failure('auth-param', `Parameter "${name}" has no value`, i);
    i = skipWhitespace(text, i + 1);

    let value: string;
    if (text.charCodeAt(i) === QUOTE) {
      const quoted = readQuoted(text, i);
      if (!quoted.ok) return quoted;
      value = quoted.value.value;
      i = quoted.value.end;
    } else {
      const valueStart = i;
      while (i < text.length && isBareValueChar(text.charCodeAt(i))) i++;
      if (i === valueStart)
        return failure('auth-param', `Parameter "${name}" has an empty value`, valueStart);
      value = text.slice(valueStart, i);
    }

    // RFC 7235 §2.1: each parameter name occurs at most once.
    if (names.includes(name)) return failure('auth-param', `Parameter "${name}" appears twice`, nameStart);
    if (names.length >= MAX_PARAMS) return failure('auth-param', 'Too many parameters', nameStart);
    names.push(name);
    visit(name, value);

    i = skipWhitespace(text, i);
    if (i >= text.length) break;
    if (text.charCodeAt(i) !== COMMA) return failure('auth-param', 'Expected "," between parameters', i);
    i++;
  }
  return { ok: true, value: scheme };
}

/** Parses `scheme param=value, param="value", …` into a map of its parameters. Never throws. */
export function parseAuthParams(text: string): Result<AuthParams> {
  const params = new Map<string, string>();
  const scheme = readAuthParams(text, (name, value) => params.set(name, value));
  return scheme.ok ? { ok: true, value: { scheme: scheme.value, params } } : scheme;
}

/** The scheme of an authentication header value, without parsing its parameters. */
export function authScheme(text: string): string {
  const start = skipWhitespace(text, 0);
  let end = start;
  while (end < text.length && isTokenChar(text.charCodeAt(end))) end++;
  return text.slice(start, end);
}

/** Whether a value can travel in a quoted-string as this module writes and reads it: no control characters but HTAB. */
export function isQuotable(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    if (isControl(value.charCodeAt(i))) return false;
  }
  return true;
}
