/** SIP, SIPS, tel and other absolute URIs (RFC 3261 §19.1, §25.1; RFC 3966; RFC 5118). */
import { isIPv6 } from 'node:net';
import {
  allIn,
  HEADER_CHAR,
  HOST_CHAR,
  indexIn,
  isIn,
  lowerRun,
  octetDelta,
  octetRunEnd,
  octetsOf,
  PARAM_CHAR,
  PASSWORD,
  PERCENT,
  parseBoundedInt,
  runEnd,
  runHad,
  SCHEME,
  TEL_CHAR,
  UPPER,
  URIC,
  USER,
} from './chars.js';
import { escapesValid, escapeUri, unescapeUri } from './escape.js';
import { failAt, lastReadFailure } from './failure.js';
import { MARK_CAPACITY, markParam, marks, PARAM_RECORD } from './marks.js';
import { setParam } from './params.js';
import type { Result, Uri } from './types.js';
import { lowerTokenAt } from './words.js';

const RULE = 'URI';

/** `readUri` results besides -1 (invalid): whether the URI has a `?` headers part. */
export const URI_WITHOUT_HEADERS = 0;
export const URI_WITH_HEADERS = 1;

/**
 * Parses a URI as it appears in a Request-URI or inside `<…>`. sip/sips URIs are fully
 * decomposed; tel: keeps the number in `user`; any other scheme keeps the text after the
 * colon in `opaque` (RFC 3261 §19.1.1 absoluteURI). Never throws.
 */
export function parseUri(text: string): Result<Uri> {
  const uri = emptyUri();
  if (readUri(text, 0, text.length, uri) < 0) return lastReadFailure();
  return { ok: true, value: uri };
}

/** A Uri to be filled by `readUri`. */
export function emptyUri(): Uri {
  return { scheme: '', host: '', params: {}, headers: {} };
}

/**
 * Reads the URI s[start, end): validates it and, when `uri` is given, fills it. Returns
 * URI_WITHOUT_HEADERS, URI_WITH_HEADERS, or -1 (see `lastReadFailure`).
 */
export function readUri(s: string, start: number, end: number, uri: Uri | undefined): number {
  // Validating only (a Request-URI): the common form is read in one pass over the octets.
  const octets = uri === undefined ? octetsOf(s) : undefined;
  if (octets !== undefined) {
    const delta = octetDelta();
    if (readCommonSipUri(octets, delta, start + delta, end + delta, -1) === end + delta) {
      return URI_WITHOUT_HEADERS;
    }
  }
  const colon = s.indexOf(':', start);
  if (colon <= start || colon >= end) return failAt(RULE, 'URI has no scheme', start);
  const first = s.charCodeAt(start) | 0x20;
  if (first < 0x61 || first > 0x7a || !allIn(SCHEME, s, start, colon)) {
    return failAt(RULE, 'URI scheme is not a valid scheme name', start);
  }
  const scheme = schemeKind(s, start, colon);
  if (uri !== undefined) uri.scheme = scheme === OTHER ? s.slice(start, colon).toLowerCase() : scheme;
  if (scheme === 'sip' || scheme === 'sips') return readSipUri(s, colon + 1, end, uri);
  if (scheme === 'tel') return readTelUri(s, colon + 1, end, uri);
  if (colon + 1 >= end || !allIn(URIC, s, colon + 1, end)) {
    return failAt(RULE, `${s.slice(start, colon).toLowerCase()}: URI has characters outside uric`, colon + 1);
  }
  if (uri !== undefined) uri.opaque = s.slice(colon + 1, end);
  return URI_WITHOUT_HEADERS;
}

const OTHER = '';

/** `readCommonSipUri`'s answer for a URI it leaves to the full reader. */
export const NOT_COMMON = -2;

/**
 * The sip: or sips: URI nearly every sender writes, read from the received octets o in one
 * pass from o[start] up to the first octet that cannot continue it, before `end`: lower-case
 * scheme, [user "@"] hostname or IPv4 [":" port] and URI parameters, without escapes, password
 * or headers. `delta` maps an index of o to one of the string it was read as (see `octetsOf`). Returns the index of
 * o reached, having recorded at marks[at] (unless `at` is -1) what `uriFromMarks` builds the
 * URI from, as `readUri` would fill it (`uriRecordEnd` tells where the record ends); or
 * NOT_COMMON for anything else, valid or not, or a record that would not fit: the caller then
 * hands the URI to `readUri`.
 */
export function readCommonSipUri(
  o: Uint8Array,
  delta: number,
  start: number,
  end: number,
  at: number,
): number {
  let i = start + 4;
  if (i >= end || o[start] !== 0x73 || o[start + 1] !== 0x69 || o[start + 2] !== 0x70) return NOT_COMMON;
  let sips = 0;
  if (o[start + 3] === 0x73) {
    sips = 1;
    i++;
  }
  if (o[i - 1] !== 0x3a) return NOT_COMMON;
  // userinfo is told from host by its "@": a user run that stops elsewhere was the host.
  const userStart = i;
  const userEnd = octetRunEnd(USER, o, userStart, end);
  let hostStart = userStart;
  if (userEnd < end && o[userEnd] === 0x40) {
    if (userEnd === userStart || runHad(PERCENT)) return NOT_COMMON;
    hostStart = userEnd + 1;
  }
  const hostEnd = octetRunEnd(HOST_CHAR, o, hostStart, end);
  if (hostEnd === hostStart) return NOT_COMMON;
  const hostUpper = runHad(UPPER);
  i = hostEnd;
  let port = -1;
  if (i < end && o[i] === 0x3a) {
    const portStart = ++i;
    port = 0;
    while (i < end && i - portStart < 5 && o[i]! >= 0x30 && o[i]! <= 0x39) port = port * 10 + o[i++]! - 0x30;
    if (i === portStart || port > 65535) return NOT_COMMON;
  }
  let param = at + URI_RECORD;
  while (i < end && o[i] === 0x3b) {
    const nameStart = i + 1;
    const nameEnd = octetRunEnd(PARAM_CHAR, o, nameStart, end);
    if (nameEnd === nameStart || runHad(PERCENT)) return NOT_COMMON;
    let valueStart = -1;
    i = nameEnd;
    if (i < end && o[i] === 0x3d) {
      valueStart = nameEnd + 1;
      i = octetRunEnd(PARAM_CHAR, o, valueStart, end);
      if (i === valueStart || runHad(PERCENT)) return NOT_COMMON;
    }
    if (at >= 0) {
      if (param + PARAM_RECORD > MARK_CAPACITY) return NOT_COMMON;
      markParam(
        param,
        nameStart - delta,
        nameEnd - delta,
        valueStart < 0 ? -1 : valueStart - delta,
        i - delta,
      );
      param += PARAM_RECORD;
    }
  }
  if (at >= 0) {
    if (at + URI_RECORD > MARK_CAPACITY) return NOT_COMMON;
    // Positions in s, the string the view is later sliced from.
    marks[at] = sips;
    marks[at + 1] = hostStart > userStart ? userStart - delta : -1;
    marks[at + 2] = userEnd - delta;
    marks[at + 3] = hostStart - delta;
    marks[at + 4] = hostEnd - delta;
    marks[at + 5] = hostUpper ? 1 : 0;
    marks[at + 6] = port;
    marks[at + 7] = (param - at - URI_RECORD) / PARAM_RECORD;
  }
  return i;
}

/** Entries of a URI record in `marks` before its parameters. */
const URI_RECORD = 8;

/** Where the URI record at marks[at] ends. */
export function uriRecordEnd(m: readonly number[], at: number): number {
  return at + URI_RECORD + m[at + 7]! * PARAM_RECORD;
}

/** Fills `uri` from the record `readCommonSipUri` made at marks[at] of a URI in `s`. */
export function uriFromMarks(s: string, m: readonly number[], at: number, uri: Uri): void {
  uri.scheme = m[at] === 1 ? 'sips' : 'sip';
  const userStart = m[at + 1]!;
  if (userStart >= 0) uri.user = s.slice(userStart, m[at + 2]);
  const host = s.slice(m[at + 3], m[at + 4]);
  uri.host = m[at + 5] === 1 ? host.toLowerCase() : host;
  const port = m[at + 6]!;
  if (port >= 0) uri.port = port;
  const paramsEnd = uriRecordEnd(m, at);
  for (let p = at + URI_RECORD; p < paramsEnd; p += PARAM_RECORD) {
    const valueStart = m[p + 2]!;
    const value = valueStart < 0 ? null : s.slice(valueStart, m[p + 3]);
    setParam(uri.params, lowerTokenAt(s, m[p]!, m[p + 1]!), value);
  }
}

/** 'sip', 'sips' or 'tel' for those schemes in any letter case, else OTHER. */
function schemeKind(s: string, start: number, colon: number): string {
  const length = colon - start;
  if (length < 3 || length > 4) return OTHER;
  const c0 = s.charCodeAt(start) | 0x20;
  const c1 = s.charCodeAt(start + 1) | 0x20;
  const c2 = s.charCodeAt(start + 2) | 0x20;
  if (c0 === 0x73 && c1 === 0x69 && c2 === 0x70) {
    if (length === 3) return 'sip';
    return (s.charCodeAt(start + 3) | 0x20) === 0x73 ? 'sips' : OTHER;
  }
  return length === 3 && c0 === 0x74 && c1 === 0x65 && c2 === 0x6c ? 'tel' : OTHER;
}

function readSipUri(s: string, start: number, end: number, uri: Uri | undefined): number {
  let i = start;
  const at = indexIn(s, 0x40, start, end);
  if (at >= 0) {
    // userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
    const passColon = s.indexOf(':', start);
    const userEnd = passColon >= 0 && passColon < at ? passColon : at;
    if (userEnd === start || runEnd(USER, s, start, userEnd) !== userEnd) {
      return failAt(RULE, 'invalid user part', start);
    }
    const userEscaped = runHad(PERCENT);
    if (userEscaped && !escapesValid(s, start, userEnd)) {
      return failAt(RULE, 'malformed escape in user part', start);
    }
    if (userEnd < at) {
      if (!allIn(PASSWORD, s, userEnd + 1, at)) return failAt(RULE, 'invalid password', userEnd + 1);
      if (!escapesValid(s, userEnd + 1, at)) return failAt(RULE, 'malformed escape in password', userEnd + 1);
    }
    if (uri !== undefined) {
      const user = s.slice(start, userEnd);
      uri.user = userEscaped ? unescapeUri(user)! : user;
      if (userEnd < at) uri.password = unescapeUri(s.slice(userEnd + 1, at))!;
    }
    i = at + 1;
  }
  const hostEnd = hostEndAt(s, i, end);
  if (hostEnd < 0) return failAt(RULE, 'invalid host', i);
  if (uri !== undefined) {
    uri.host = s.charCodeAt(i) === 0x5b ? s.slice(i, hostEnd).toLowerCase() : lowerRun(s, i, hostEnd);
  }
  i = hostEnd;
  if (i < end && s.charCodeAt(i) === 0x3a) {
    const portStart = i + 1;
    i = portStart;
    while (i < end && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    const port = parseBoundedInt(s, 65535, portStart, i);
    if (port < 0) return failAt(RULE, 'invalid port', portStart);
    if (uri !== undefined) uri.port = port;
  }
  return readUriTail(s, i, end, uri);
}

/** The end of the host at s[start]: hostname / IPv4address / IPv6reference, or -1. */
function hostEndAt(s: string, start: number, end: number): number {
  if (start < end && s.charCodeAt(start) === 0x5b) {
    // IPv6reference = "[" IPv6address "]" (RFC 5118 §4.10: three colons are not IPv6)
    const close = s.indexOf(']', start);
    if (close < 0 || close >= end || !isIPv6(s.slice(start + 1, close))) return -1;
    return close + 1;
  }
  const i = runEnd(HOST_CHAR, s, start, end);
  return i === start ? -1 : i;
}

/** uri-parameters and headers: `*( ";" uri-parameter ) [ "?" header *( "&" header ) ]`. */
function readUriTail(s: string, start: number, end: number, uri: Uri | undefined): number {
  let i = start;
  while (i < end && s.charCodeAt(i) === 0x3b) {
    const nameStart = i + 1;
    i = runEnd(PARAM_CHAR, s, nameStart, end);
    const nameEnd = i;
    const nameEscaped = runHad(PERCENT);
    let valueStart = -1;
    let valueEscaped = false;
    if (i < end && s.charCodeAt(i) === 0x3d) {
      valueStart = i + 1;
      i = runEnd(PARAM_CHAR, s, valueStart, end);
      valueEscaped = runHad(PERCENT);
      if (i === valueStart) {
        return failAt(RULE, `empty value of URI parameter ${s.slice(nameStart, nameEnd)}`, i);
      }
    }
    if (nameEnd === nameStart) return failAt(RULE, 'empty URI parameter name', nameStart);
    if ((nameEscaped || valueEscaped) && !escapesValid(s, nameStart, i)) {
      return failAt(RULE, 'malformed escape in URI parameter', nameStart);
    }
    if (uri !== undefined) {
      const name = nameEscaped
        ? unescapeUri(s.slice(nameStart, nameEnd))!.toLowerCase()
        : lowerTokenAt(s, nameStart, nameEnd);
      let value: string | null = null;
      if (valueStart >= 0) {
        value = s.slice(valueStart, i);
        if (valueEscaped) value = unescapeUri(value)!;
      }
      setParam(uri.params, name, value);
    }
  }
  if (i < end && s.charCodeAt(i) === 0x3f) return readUriHeaders(s, i + 1, end, uri);
  if (i !== end) return failAt(RULE, `unexpected character ${JSON.stringify(s[i])} in URI`, i);
  return URI_WITHOUT_HEADERS;
}

/** headers = header *( "&" header ); header = hname "=" hvalue (hvalue may be empty). */
function readUriHeaders(s: string, start: number, end: number, uri: Uri | undefined): number {
  let headerStart = start;
  for (;;) {
    let headerEnd = indexIn(s, 0x26, headerStart, end);
    if (headerEnd < 0) headerEnd = end;
    const eq = indexIn(s, 0x3d, headerStart, headerEnd);
    if (
      eq <= headerStart ||
      eq >= headerEnd ||
      !allIn(HEADER_CHAR, s, headerStart, eq) ||
      !allIn(HEADER_CHAR, s, eq + 1, headerEnd)
    ) {
      return failAt(RULE, 'invalid URI header', headerStart);
    }
    if (!escapesValid(s, headerStart, headerEnd))
      return failAt(RULE, 'malformed escape in URI header', headerStart);
    if (uri !== undefined) {
      setParam(uri.headers, unescapeUri(s.slice(headerStart, eq))!, unescapeUri(s.slice(eq + 1, headerEnd))!);
    }
    if (headerEnd === end) return URI_WITH_HEADERS;
    headerStart = headerEnd + 1;
  }
}

function readTelUri(s: string, start: number, end: number, uri: Uri | undefined): number {
  let i = start;
  while (i < end && isIn(TEL_CHAR, s.charCodeAt(i))) i++;
  if (i === start) return failAt(RULE, 'tel: URI has no number', start);
  if (!escapesValid(s, start, i)) return failAt(RULE, 'malformed escape in tel: number', start);
  if (uri !== undefined) uri.user = unescapeUri(s.slice(start, i))!;
  return readUriTail(s, i, end, uri);
}

/** Formats a URI, escaping each component per its RFC 3261 §25.1 character set. */
export function formatUri(uri: Uri): string {
  if (uri.opaque !== undefined && uri.scheme !== 'sip' && uri.scheme !== 'sips' && uri.scheme !== 'tel') {
    return `${uri.scheme}:${uri.opaque}`;
  }
  let out = `${uri.scheme}:`;
  if (uri.scheme === 'tel') {
    out += escapeUri(uri.user ?? '', TEL_CHAR);
  } else {
    if (uri.user !== undefined && uri.user !== '') {
      out += escapeUri(uri.user, USER);
      if (uri.password !== undefined) out += `:${escapeUri(uri.password, PASSWORD)}`;
      out += '@';
    }
    out += uri.host;
    if (uri.port !== undefined) out += `:${uri.port}`;
  }
  for (const name in uri.params) {
    const value = uri.params[name];
    out += `;${escapeUri(name, PARAM_CHAR)}`;
    if (value !== null && value !== undefined) out += `=${escapeUri(value, PARAM_CHAR)}`;
  }
  let separator = '?';
  for (const name in uri.headers) {
    out += `${separator}${escapeUri(name, HEADER_CHAR)}=${escapeUri(uri.headers[name] ?? '', HEADER_CHAR)}`;
    separator = '&';
  }
  return out;
}
