/** name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1). */
import {
  GEN_VALUE,
  indexIn,
  isIn,
  isSpace,
  octetDelta,
  octetRunEnd,
  octetsOf,
  skipSpace,
  skipSpaceBack,
  TOKEN,
} from './chars.js';
import { quotedContent, quotedStringEnd, quoteString } from './escape.js';
import { lastReadFailure, lastReadMessage, refuse } from './failure.js';
import { MARK_CAPACITY, markEnd, markParam, marks, PARAM_RECORD, setMarkEnd } from './marks.js';
import { addLastParam, formatParams, readParam, setParam } from './params.js';
import type { NameAddr, Result } from './types.js';
import {
  emptyUri,
  formatUri,
  NOT_COMMON,
  readCommonSipUri,
  readUri,
  uriFromMarks,
  uriRecordEnd,
} from './uri.js';
import { lowerTokenAt } from './words.js';

/**
 * Parses `[display-name] <URI> *(;param)` or `addr-spec *(;param)`. In the addr-spec form
 * every parameter after the URI is a header parameter and the URI may not contain ',', '?'
 * or ';' (RFC 3261 §20.10; RFC 4475 §3.3.12, §3.1.2.13). Never throws.
 */
export function parseNameAddr(text: string): Result<NameAddr> {
  return parseNameAddrIn(text, 0, text.length);
}

/** parseNameAddr of s[start, end). */
export function parseNameAddrIn(s: string, start: number, end: number): Result<NameAddr> {
  const nameAddr = nameAddrIn(s, start, end);
  return nameAddr !== undefined ? { ok: true, value: nameAddr } : lastReadFailure();
}

/** The name-addr s[start, end), or undefined with `lastReadFailure` set when invalid. */
export function nameAddrIn(s: string, start: number, end: number): NameAddr | undefined {
  const nameAddr: NameAddr = { uri: emptyUri(), params: {} };
  return readNameAddr(s, start, end, nameAddr) ? nameAddr : undefined;
}

/** Entries of a name-addr record in `marks` before its URI record. */
const NAME_ADDR_RECORD = 2;

/**
 * Validates the name-addr s[start, end) when it is read from the received octets and has the
 * form nearly every sender writes: [quoted display name without quoted-pairs, LWS] "<" common
 * sip URI ">" and parameters without LWS, their values tokens, hosts or quoted strings without
 * quoted-pairs. Records it in `marks` for `nameAddrFromMarks` and returns where the record
 * starts; or returns -1 for anything else, valid or not, with nothing recorded: `nameAddrIn`
 * then reads it and words the failure.
 */
export function markNameAddr(s: string, start: number, end: number): number {
  const o = octetsOf(s);
  if (o === undefined) return -1;
  const at = markEnd();
  if (at + NAME_ADDR_RECORD > MARK_CAPACITY) return -1;
  const delta = octetDelta();
  const e = end + delta;
  let i = start + delta;
  while (i < e && (o[i] === 0x20 || o[i] === 0x09)) i++;
  marks[at] = -1;
  if (i < e && o[i] === 0x22) {
    const nameStart = i + 1;
    i = quotedEnd(o, i, e);
    if (i < 0) return -1;
    marks[at] = nameStart - delta;
    marks[at + 1] = i - 1 - delta;
    while (i < e && (o[i] === 0x20 || o[i] === 0x09)) i++;
  }
  if (i >= e || o[i] !== 0x3c) return -1;
  const uri = at + NAME_ADDR_RECORD;
  i = readCommonSipUri(o, delta, i + 1, e, uri);
  if (i === NOT_COMMON || i >= e || o[i] !== 0x3e) return -1;
  i++;
  const count = uriRecordEnd(marks, uri);
  let param = count + 1;
  if (param > MARK_CAPACITY) return -1;
  while (i < e && o[i] === 0x3b) {
    const nameStart = i + 1;
    const nameEnd = octetRunEnd(TOKEN, o, nameStart, e);
    if (nameEnd === nameStart) return -1;
    let valueStart = -1;
    i = nameEnd;
    if (i < e && o[i] === 0x3d) {
      valueStart = i + 1;
      i =
        valueStart < e && o[valueStart] === 0x22
          ? quotedEnd(o, valueStart, e)
          : octetRunEnd(GEN_VALUE, o, valueStart, e);
      if (i <= valueStart) return -1;
    }
    if (param + PARAM_RECORD > MARK_CAPACITY) return -1;
    markParam(param, nameStart - delta, nameEnd - delta, valueStart < 0 ? -1 : valueStart - delta, i - delta);
    param += PARAM_RECORD;
  }
  if (i !== e) return -1;
  marks[count] = (param - count - 1) / PARAM_RECORD;
  setMarkEnd(param);
  return at;
}

/** The name-addr `markNameAddr` recorded at marks[at] for a value in `s`. */
export function nameAddrFromMarks(s: string, m: readonly number[], at: number): NameAddr {
  const nameAddr: NameAddr = { uri: emptyUri(), params: {} };
  const displayStart = m[at]!;
  if (displayStart >= 0) nameAddr.displayName = s.slice(displayStart, m[at + 1]);
  const uri = at + NAME_ADDR_RECORD;
  uriFromMarks(s, m, uri, nameAddr.uri);
  const count = uriRecordEnd(m, uri);
  const paramsEnd = count + 1 + m[count]! * PARAM_RECORD;
  for (let p = count + 1; p < paramsEnd; p += PARAM_RECORD) {
    const valueStart = m[p + 2]!;
    const value = valueStart < 0 ? null : s.slice(valueStart, m[p + 3]);
    const name = lowerTokenAt(s, m[p]!, m[p + 1]!);
    // A lone tag (nearly every From and To) as a literal: a keyed store of a varying name costs more.
    if (p === count + 1 && name === 'tag') nameAddr.params = { tag: value };
    else setParam(nameAddr.params, name, value);
  }
  return nameAddr;
}

/** The index after the quoted-string at o[start] === '"' closing before `end`, or -1 when it is unterminated or has a quoted-pair. */
function quotedEnd(o: Uint8Array, start: number, end: number): number {
  for (let i = start + 1; i < end; i++) {
    const c = o[i];
    if (c === 0x22) return i + 1;
    if (c === 0x5c) return -1;
  }
  return -1;
}

/** Validates s[start, end) and fills `nameAddr`. False with `lastReadFailure` set when invalid. */
function readNameAddr(s: string, start: number, end: number, nameAddr: NameAddr): boolean {
  let i = skipSpace(s, start, end);
  if (i < end && s.charCodeAt(i) === 0x22) {
    const close = quotedStringEnd(s, i, end);
    if (close < 0) return refuse('display-name', 'unterminated quoted string in display name', i);
    nameAddr.displayName = quotedContent(s, i, close);
    i = skipSpace(s, close, end);
    if (i >= end || s.charCodeAt(i) !== 0x3c) {
      return refuse('name-addr', 'a quoted display name must be followed by <URI>', i);
    }
  } else {
    const lt = indexIn(s, 0x3c, i, end);
    if (lt >= 0) {
      // display-name = *(token LWS) / quoted-string; a bare comma or '.'-less junk must be quoted.
      const nameEnd = skipSpaceBack(s, lt, i);
      for (let k = i; k < nameEnd; k++) {
        const c = s.charCodeAt(k);
        if (!isIn(TOKEN, c) && !isSpace(c)) {
          return refuse('display-name', 'display name has characters that are only allowed when quoted', k);
        }
      }
      if (nameEnd > i) nameAddr.displayName = s.slice(i, nameEnd);
      i = lt;
    }
  }
  let uriStart: number;
  let uriEnd: number;
  let rule: string;
  if (i < end && s.charCodeAt(i) === 0x3c) {
    const gt = s.indexOf('>', i + 1);
    if (gt < 0 || gt >= end) return refuse('name-addr', 'missing > after URI', i);
    uriStart = i + 1;
    uriEnd = gt;
    rule = 'name-addr';
    i = gt + 1;
  } else {
    uriStart = i;
    while (i < end && s.charCodeAt(i) !== 0x3b && !isSpace(s.charCodeAt(i))) i++;
    uriEnd = i;
    rule = 'addr-spec';
    if (indexIn(s, 0x3f, uriStart, uriEnd) >= 0 || indexIn(s, 0x2c, uriStart, uriEnd) >= 0) {
      return refuse('addr-spec', 'a URI with "?" or "," must be enclosed in <> (RFC 3261 §20.10)', uriStart);
    }
  }
  if (readUri(s, uriStart, uriEnd, nameAddr.uri) < 0) {
    const excerpt = JSON.stringify(s.slice(uriStart, Math.min(uriEnd, uriStart + 64)));
    return refuse(rule, `${lastReadMessage()} in ${excerpt}`, i);
  }
  i = skipSpace(s, i, end);
  while (i < end && s.charCodeAt(i) === 0x3b) {
    i = readParam(s, i, end, rule);
    if (i < 0) return false;
    addLastParam(s, nameAddr.params);
  }
  if (i !== end) return refuse(rule, `unexpected character ${JSON.stringify(s[i])} after URI`, i);
  return true;
}

/** Formats the name-addr form (always with <>, so any URI is safe), quoting the display name. */
export function formatNameAddr(nameAddr: NameAddr): string {
  const uri = `<${formatUri(nameAddr.uri)}>${formatParams(nameAddr.params)}`;
  return nameAddr.displayName === undefined ? uri : `${quoteString(nameAddr.displayName)} ${uri}`;
}
