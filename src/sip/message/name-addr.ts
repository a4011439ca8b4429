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
import { addLastParam, formatParams, readParam, setParam } from './params.js';
import type { NameAddr, Result } from './types.js';
import { emptyUri, formatUri, NOT_COMMON, readCommonSipUri, readUri } from './uri.js';
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
  const octets = octetsOf(s);
  if (octets !== undefined) {
    const common: NameAddr = { uri: emptyUri(), params: {} };
    if (readCommonNameAddr(s, octets, start, end, common)) return common;
  }
  const nameAddr: NameAddr = { uri: emptyUri(), params: {} };
  return readNameAddr(s, start, end, nameAddr) ? nameAddr : undefined;
}

/**
 * The name-addr nearly every sender writes, read from the received octets o in one pass:
 * [quoted display name without quoted-pairs, LWS] "<" common sip URI ">" and parameters without
 * LWS, their values tokens, hosts or quoted strings without quoted-pairs. Fills `nameAddr` as
 * `readNameAddr` would and returns true, or returns false for anything else, valid or not
 * (`nameAddr` then partly filled), which `readNameAddr` reads and words the failure of.
 */
function readCommonNameAddr(
  s: string,
  o: Uint8Array,
  start: number,
  end: number,
  nameAddr: NameAddr,
): boolean {
  const delta = octetDelta();
  const e = end + delta;
  let i = start + delta;
  while (i < e && (o[i] === 0x20 || o[i] === 0x09)) i++;
  if (i < e && o[i] === 0x22) {
    const nameStart = i + 1;
    i = quotedEnd(o, i, e);
    if (i < 0) return false;
    nameAddr.displayName = s.slice(nameStart - delta, i - 1 - delta);
    while (i < e && (o[i] === 0x20 || o[i] === 0x09)) i++;
  }
  if (i >= e || o[i] !== 0x3c) return false;
  i = readCommonSipUri(s, o, delta, i + 1, e, nameAddr.uri);
  if (i === NOT_COMMON || i >= e || o[i] !== 0x3e) return false;
  i++;
  let count = 0;
  while (i < e && o[i] === 0x3b) {
    const nameStart = i + 1;
    const nameEnd = octetRunEnd(TOKEN, o, nameStart, e);
    if (nameEnd === nameStart) return false;
    let value: string | null = null;
    i = nameEnd;
    if (i < e && o[i] === 0x3d) {
      const valueStart = i + 1;
      i =
        valueStart < e && o[valueStart] === 0x22
          ? quotedEnd(o, valueStart, e)
          : octetRunEnd(GEN_VALUE, o, valueStart, e);
      if (i <= valueStart) return false;
      value = s.slice(valueStart - delta, i - delta);
    }
    const name = lowerTokenAt(s, nameStart - delta, nameEnd - delta);
    // A lone tag (nearly every From and To) as a literal: a keyed store of a varying name costs more.
    if (count++ === 0 && name === 'tag') nameAddr.params = { tag: value };
    else setParam(nameAddr.params, name, value);
  }
  return i === e;
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
