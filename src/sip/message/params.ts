/** Generic header parameters (RFC 3261 §25.1 generic-param) and comma-list splitting. */
import { GEN_VALUE, isIn, isSpace, skipSpace, skipSpaceBack, TOKEN } from './chars.js';
import { readQuotedString } from './escape.js';
import { type Failure, fail } from './failure.js';
import type { Result } from './types.js';

export type Params = Record<string, string | null>;

export interface ParamsParse {
  params: Params;
  /** Index of the first character that is not part of the parameter list. */
  end: number;
}

/**
 * Parses `*( SEMI generic-param )` starting at s[start] (which should be ';' or the end).
 * generic-param = token [ EQUAL gen-value ]; gen-value = token / host / quoted-string.
 * LWS around ';' and '=' is allowed (RFC 3261 §25.1 SEMI, EQUAL). Names are lower-cased;
 * quoted values keep their quotes so that they format back unchanged (see `unquote`).
 * Parsing stops at the first character that cannot continue the list (e.g. ',').
 */
export function parseParams(s: string, start: number, rule: string): Result<ParamsParse> {
  const params: Params = {};
  let i = skipSpace(s, start);
  while (i < s.length && s.charCodeAt(i) === 0x3b) {
    i = skipSpace(s, i + 1);
    const nameStart = i;
    while (i < s.length && isIn(TOKEN, s.charCodeAt(i))) i++;
    if (i === nameStart) return paramError(rule, 'empty parameter name', i);
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipSpace(s, i);
    let value: string | null = null;
    if (i < s.length && s.charCodeAt(i) === 0x3d) {
      i = skipSpace(s, i + 1);
      if (s.charCodeAt(i) === 0x22) {
        const quoted = readQuotedString(s, i);
        if (quoted === undefined)
          return paramError(rule, `unterminated quoted value of parameter ${name}`, i);
        value = s.slice(i, quoted.end);
        i = quoted.end;
      } else {
        const valueStart = i;
        while (i < s.length && isIn(GEN_VALUE, s.charCodeAt(i))) i++;
        if (i === valueStart) return paramError(rule, `empty value of parameter ${name}`, i);
        value = s.slice(valueStart, i);
      }
      i = skipSpace(s, i);
    }
    params[name] = value;
  }
  return { ok: true, value: { params, end: i } };
}

function paramError(rule: string, message: string, offset: number): Failure {
  return fail(rule, message, offset);
}

/** Formats parameters as `;name=value` / `;name`, in insertion order. */
export function formatParams(params: Params): string {
  let out = '';
  for (const name in params) {
    const value = params[name];
    out += value === null || value === undefined ? `;${name}` : `;${name}=${value}`;
  }
  return out;
}

/**
 * Splits a header value at the commas that separate list elements (RFC 3261 §7.3.1), ignoring
 * commas inside quoted strings and <…>. Elements are trimmed and may be empty (callers that
 * follow a grammar reject those). Returns undefined for an unbalanced quote or angle bracket.
 */
export function splitCommaList(value: string): string[] | undefined {
  if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('<') < 0) return [value];
  const parts: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) {
      parts.push(trimRange(value, start, i));
      start = i + 1;
    }
  }
  if (inQuote || inAngle) return undefined;
  parts.push(trimRange(value, start, value.length));
  return parts;
}

function trimRange(s: string, start: number, end: number): string {
  while (start < end && isSpace(s.charCodeAt(start))) start++;
  return s.slice(start, skipSpaceBack(s, end, start));
}
