/** Generic header parameters (RFC 3261 §25.1 generic-param) and comma-list splitting. */
import { GEN_VALUE, runEnd, skipSpace, skipSpaceBack, TOKEN } from './chars.js';
import { quotedStringEnd } from './escape.js';
import { failAt, lastReadFailure } from './failure.js';
import type { Result } from './types.js';
import { lowerTokenAt } from './words.js';

export type Params = Record<string, string | null>;

export interface ParamsParse {
  params: Params;
  /** Index of the first character that is not part of the parameter list. */
  end: number;
}

/**
 * Where the parameter that `readParam` last read lies in its string. One record reused by
 * every call (reading is synchronous), so that validating a parameter allocates nothing.
 */
export const lastParam = { nameStart: 0, nameEnd: 0, valueStart: -1, valueEnd: -1 };

/**
 * Reads one `SEMI generic-param` at s[i] === ';', and the LWS after it, within s[.., end);
 * returns the index reached, or -1 (see `lastReadFailure`). generic-param = token [ EQUAL
 * gen-value ]; gen-value = token / host / quoted-string. LWS around ';' and '=' is allowed
 * (RFC 3261 §25.1 SEMI, EQUAL). A quoted value keeps its quotes so that it formats back unchanged.
 */
export function readParam(s: string, i: number, end: number, rule: string): number {
  i = skipSpace(s, i + 1, end);
  const nameStart = i;
  i = runEnd(TOKEN, s, i, end);
  if (i === nameStart) return failAt(rule, 'empty parameter name', i);
  const nameEnd = i;
  i = skipSpace(s, i, end);
  let valueStart = -1;
  let valueEnd = -1;
  if (i < end && s.charCodeAt(i) === 0x3d) {
    i = skipSpace(s, i + 1, end);
    valueStart = i;
    if (i < end && s.charCodeAt(i) === 0x22) {
      i = quotedStringEnd(s, i, end);
      if (i < 0) {
        const name = s.slice(nameStart, nameEnd).toLowerCase();
        return failAt(rule, `unterminated quoted value of parameter ${name}`, valueStart);
      }
    } else {
      i = runEnd(GEN_VALUE, s, i, end);
      if (i === valueStart) {
        const name = s.slice(nameStart, nameEnd).toLowerCase();
        return failAt(rule, `empty value of parameter ${name}`, i);
      }
    }
    valueEnd = i;
    i = skipSpace(s, i, end);
  }
  lastParam.nameStart = nameStart;
  lastParam.nameEnd = nameEnd;
  lastParam.valueStart = valueStart;
  lastParam.valueEnd = valueEnd;
  return i;
}

/** Adds the parameter `readParam` last read to `params`: name lower-cased, a later value replacing an earlier one. */
export function addLastParam(s: string, params: Params): void {
  const { nameStart, nameEnd, valueStart, valueEnd } = lastParam;
  setParam(
    params,
    lowerTokenAt(s, nameStart, nameEnd),
    valueStart < 0 ? null : s.slice(valueStart, valueEnd),
  );
}

/** `record[name] = value`, also for a name such as `__proto__` that plain assignment would not store. */
export function setParam<T>(record: Record<string, T>, name: string, value: T): void {
  if (name === '__proto__')
    Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  else record[name] = value;
}

/**
 * Parses `*( SEMI generic-param )` starting at s[start] (which should be ';' or the end), see
 * `readParam`; names are lower-cased. Parsing stops at the first character that cannot
 * continue the list (e.g. ',').
 */
export function parseParams(s: string, start: number, rule: string): Result<ParamsParse> {
  const params: Params = {};
  let i = skipSpace(s, start);
  while (i < s.length && s.charCodeAt(i) === 0x3b) {
    i = readParam(s, i, s.length, rule);
    if (i < 0) return lastReadFailure();
    addLastParam(s, params);
  }
  return { ok: true, value: { params, end: i } };
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
  const ranges: number[] = [];
  if (!commaListRanges(value, 0, value.length, ranges)) return undefined;
  const parts: string[] = [];
  for (let i = 0; i < ranges.length; i += 2) parts.push(value.slice(ranges[i], ranges[i + 1]));
  return parts;
}

/**
 * The elements of the comma list s[start, end) as `splitCommaList` splits it, appended to `out`
 * as trimmed [start, end) pairs, so that they can be read in place. False when a quote or angle
 * bracket is unbalanced.
 */
export function commaListRanges(s: string, start: number, end: number, out: number[]): boolean {
  let element = start;
  let inQuote = false;
  let inAngle = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) {
      pushTrimmed(s, element, i, out);
      element = i + 1;
    }
  }
  if (inQuote || inAngle) return false;
  pushTrimmed(s, element, end, out);
  return true;
}

function pushTrimmed(s: string, start: number, end: number, out: number[]): void {
  const from = skipSpace(s, start, end);
  out.push(from, skipSpaceBack(s, end, from));
}
