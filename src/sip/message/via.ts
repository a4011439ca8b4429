/** The Via header field (RFC 3261 §20.42, §25.1 via-parm; RFC 3581 rport; RFC 5118 §4.5). */
import { isIPv4, isIPv6 } from 'node:net';
import {
  GEN_VALUE,
  HOST_CHAR,
  lowerRun,
  octetDelta,
  octetRunEnd,
  octetsOf,
  parseBoundedInt,
  runEnd,
  runHad,
  skipSpace,
  TOKEN,
  UPPER,
} from './chars.js';
import { fail, failAt, lastReadFailure, refuse } from './failure.js';
import { isIPv4In } from './ip.js';
import { MARK_CAPACITY, markEnd, marks, setMarkEnd } from './marks.js';
import { formatParams, lastParam, readParam, setParam } from './params.js';
import type { Result, Via } from './types.js';
import { lowerTokenAt, transportAt } from './words.js';

const RULE = 'Via';
const SIP_2_0 = 'SIP/2.0';

/** Parses one via-parm: `sent-protocol LWS sent-by *( SEMI via-params )`. Never throws. */
export function parseVia(text: string): Result<Via> {
  const via = emptyVia();
  const end = readViaParm(text, 0, text.length, via);
  if (end < 0) return lastReadFailure();
  if (end !== text.length) return fail(RULE, `unexpected character ${JSON.stringify(text[end])}`, end);
  return { ok: true, value: via };
}

/**
 * Parses a comma-separated list of via-parm (one Via header field). Empty elements are errors;
 * a comma can only separate elements, since outside a quoted-string no via-parm contains one.
 */
export function parseViaList(text: string): Result<Via[]> {
  return parseViaListIn(text, 0, text.length);
}

/** parseViaList of s[start, end). */
export function parseViaListIn(s: string, start: number, end: number): Result<Via[]> {
  const vias: Via[] = [];
  return readViaList(s, start, end, vias) ? { ok: true, value: vias } : lastReadFailure();
}

/**
 * Validates the Via field value s[start, end) and, when `out` is given, appends its via-parms.
 * False with `lastReadFailure` set when invalid.
 */
export function readViaList(s: string, start: number, end: number, out: Via[] | undefined): boolean {
  let i = start;
  for (;;) {
    const via = out === undefined ? undefined : emptyVia();
    i = readViaParm(s, i, end, via);
    if (i < 0) return false;
    if (via !== undefined) out!.push(via);
    if (i === end) return true;
    if (s.charCodeAt(i) !== 0x2c) return refuse(RULE, `unexpected character ${JSON.stringify(s[i])}`, i);
    i++;
  }
}

/** Entries of the record of one via-parm in `marks` (see readCommonViaParm). */
const VIA_RECORD = 11;

/**
 * Validates the Via field value s[start, end) when it is read from the received octets and
 * every via-parm in it has the common form (see readCommonViaParm). With `record`, records the
 * via-parms in `marks`, their count first, for `viasFromMarks`. Returns where the record
 * starts (without `record`, just a number >= 0), or -1 for any other value, valid or not, with
 * nothing recorded: `readViaList` then reads it and words the failure.
 */
export function markViaList(s: string, start: number, end: number, record: boolean): number {
  const o = octetsOf(s);
  if (o === undefined) return -1;
  const first = markEnd();
  let at = first + 1;
  let count = 0;
  let i = start;
  for (;;) {
    if (record && at + VIA_RECORD > MARK_CAPACITY) return -1;
    i = readCommonViaParm(s, o, i, end, record ? at : -1);
    if (i === NOT_COMMON) return -1;
    count++;
    at += VIA_RECORD;
    // The common reader stops only at the end or at a comma.
    if (i === end) break;
    i++;
  }
  if (record) {
    marks[first] = count;
    setMarkEnd(at);
  }
  return first;
}

/** The via-parms `markViaList` recorded at marks[at] for the Via field value in `s`. */
export function viasFromMarks(s: string, m: readonly number[], at: number): Via[] {
  const count = m[at]!;
  const vias: Via[] = [];
  for (let k = 0, r = at + 1; k < count; k++, r += VIA_RECORD) {
    const via = emptyVia();
    const host = s.slice(m[r + 2], m[r + 3]);
    via.host = m[r + 4] === 1 ? host.toLowerCase() : host;
    via.transport = transportAt(s, m[r]!, m[r + 1]!);
    const port = m[r + 5]!;
    if (port >= 0) via.port = port;
    if (m[r + 6]! >= 0) via.branch = s.slice(m[r + 6], m[r + 7]);
    if (m[r + 8]! >= 0) via.received = s.slice(m[r + 8], m[r + 9]);
    const rport = m[r + 10]!;
    if (rport !== ABSENT) via.rport = rport === NO_VALUE ? true : rport;
    vias.push(via);
  }
  return vias;
}

function emptyVia(): Via {
  return { protocol: SIP_2_0, transport: '', host: '', params: {} };
}

/** A via-param value's position: not present, present without value, or [start, end). */
const ABSENT = -2;
const NO_VALUE = -1;

/**
 * Reads one via-parm from s[start] (LWS first allowed) through its parameters and the LWS
 * after them, within s[.., end): validates it and, when `via` is given, fills it. Returns the
 * index reached or -1 (see `lastReadFailure`).
 */
function readViaParm(s: string, start: number, end: number, via: Via | undefined): number {
  let i = skipSpace(s, start, end);
  if (i + 8 <= end && s.startsWith('SIP/2.0/', i)) {
    i += 8;
  } else {
    // sent-protocol = protocol-name SLASH protocol-version SLASH transport, SLASH = SWS "/" SWS
    const nameStart = i;
    const nameEnd = tokenEnd(s, i, end);
    i = skipSpace(s, nameEnd, end);
    if (nameEnd === nameStart || i >= end || s.charCodeAt(i) !== 0x2f) {
      return failAt(RULE, 'bad sent-protocol name', i);
    }
    const versionStart = skipSpace(s, i + 1, end);
    const versionEnd = tokenEnd(s, versionStart, end);
    i = skipSpace(s, versionEnd, end);
    if (versionEnd === versionStart || i >= end || s.charCodeAt(i) !== 0x2f) {
      return failAt(RULE, 'bad sent-protocol version', i);
    }
    if (via !== undefined) {
      via.protocol = `${s.slice(nameStart, nameEnd).toUpperCase()}/${s.slice(versionStart, versionEnd)}`;
    }
    i = skipSpace(s, i + 1, end);
  }
  const transportStart = i;
  const transportEnd = tokenEnd(s, i, end);
  if (transportEnd === transportStart) return failAt(RULE, 'missing transport', transportEnd);
  const hostStart = skipSpace(s, transportEnd, end);
  if (hostStart === transportEnd) return failAt(RULE, 'missing LWS before sent-by', hostStart);
  let hostEnd: number;
  if (hostStart < end && s.charCodeAt(hostStart) === 0x5b) {
    const close = s.indexOf(']', hostStart);
    if (close < 0 || close >= end || !isIPv6(s.slice(hostStart + 1, close))) {
      return failAt(RULE, 'invalid IPv6 reference', hostStart);
    }
    hostEnd = close + 1;
    if (via !== undefined) via.host = s.slice(hostStart, hostEnd).toLowerCase();
  } else {
    hostEnd = runEnd(HOST_CHAR, s, hostStart, end);
    if (hostEnd === hostStart) return failAt(RULE, 'missing sent-by host', hostStart);
    if (via !== undefined) via.host = lowerRun(s, hostStart, hostEnd);
  }
  if (via !== undefined) via.transport = transportAt(s, transportStart, transportEnd);
  i = skipSpace(s, hostEnd, end);
  if (i < end && s.charCodeAt(i) === 0x3a) {
    const portStart = skipSpace(s, i + 1, end);
    let portEnd = portStart;
    while (portEnd < end && s.charCodeAt(portEnd) >= 0x30 && s.charCodeAt(portEnd) <= 0x39) portEnd++;
    const port = parseBoundedInt(s, 65535, portStart, portEnd);
    if (port < 0) return failAt(RULE, 'invalid port', portStart);
    if (via !== undefined) via.port = port;
    i = skipSpace(s, portEnd, end);
  }
  return readViaParams(s, i, end, via);
}

/** `readCommonViaParm`'s answer for a via-parm it leaves to the full reader. */
const NOT_COMMON = -2;

/**
 * The via-parm nearly every sender writes, read from the received octets o in one pass:
 * `SIP/2.0/` transport SP host [":" port] and only branch, received and rport parameters,
 * without LWS inside. Returns the index reached (at `end` or a comma), having recorded at
 * marks[at] (unless `at` is -1) what `viasFromMarks` builds the via-parm from, as `readViaParm`
 * would fill it; or NOT_COMMON for anything else, valid or not, which the full reader then
 * reads and words the failure of.
 */
function readCommonViaParm(s: string, o: Uint8Array, start: number, end: number, at: number): number {
  const delta = octetDelta();
  const e = end + delta;
  let i = start + delta;
  while (i < e && (o[i] === 0x20 || o[i] === 0x09)) i++;
  if (
    i + 8 >= e ||
    o[i] !== 0x53 ||
    o[i + 1] !== 0x49 ||
    o[i + 2] !== 0x50 ||
    o[i + 3] !== 0x2f ||
    o[i + 4] !== 0x32 ||
    o[i + 5] !== 0x2e ||
    o[i + 6] !== 0x30 ||
    o[i + 7] !== 0x2f
  ) {
    return NOT_COMMON;
  }
  const transportStart = i + 8;
  const transportEnd = octetRunEnd(TOKEN, o, transportStart, e);
  const hostStart = transportEnd + 1;
  if (transportEnd === transportStart || o[transportEnd] !== 0x20 || hostStart >= e) return NOT_COMMON;
  const hostEnd = octetRunEnd(HOST_CHAR, o, hostStart, e);
  if (hostEnd === hostStart) return NOT_COMMON;
  const hostUpper = runHad(UPPER);
  i = hostEnd;
  let port = -1;
  if (i < e && o[i] === 0x3a) {
    const portStart = ++i;
    port = 0;
    while (i < e && i - portStart < 5 && o[i]! >= 0x30 && o[i]! <= 0x39) port = port * 10 + o[i++]! - 0x30;
    if (i === portStart || port > 65535) return NOT_COMMON;
  }
  let branch = ABSENT;
  let branchEnd = 0;
  let received = ABSENT;
  let receivedEnd = 0;
  let rport = ABSENT;
  let rportEnd = 0;
  while (i < e && o[i] === 0x3b) {
    const nameStart = i + 1;
    const nameEnd = octetRunEnd(TOKEN, o, nameStart, e);
    let valueStart = NO_VALUE;
    i = nameEnd;
    if (i < e && o[i] === 0x3d) {
      valueStart = i + 1;
      i = octetRunEnd(GEN_VALUE, o, valueStart, e);
      if (i === valueStart) return NOT_COMMON;
    }
    const length = nameEnd - nameStart;
    const first = o[nameStart]! | 0x20;
    if (length === 6 && first === 0x62 && spellsLowerIn(o, nameStart, BRANCH)) {
      branch = valueStart;
      branchEnd = i;
    } else if (length === 8 && first === 0x72 && spellsLowerIn(o, nameStart, RECEIVED)) {
      received = valueStart;
      receivedEnd = i;
    } else if (length === 5 && first === 0x72 && spellsLowerIn(o, nameStart, RPORT)) {
      rport = valueStart;
      rportEnd = i;
    } else {
      return NOT_COMMON;
    }
  }
  if (i < e && o[i] !== 0x2c) return NOT_COMMON;
  // A branch or received without value, an IPv6 or bracketed received, an odd rport: the full
  // reader words the failure or reads the rarer form.
  if (branch === NO_VALUE || received === NO_VALUE) return NOT_COMMON;
  if (received >= 0 && !isIPv4In(o, received, receivedEnd)) return NOT_COMMON;
  // Recorded as the view's rport: ABSENT, NO_VALUE (true) or the number.
  let rportValue = rport;
  if (rport >= 0) {
    rportValue = parseBoundedInt(s, 65535, rport - delta, rportEnd - delta);
    if (rportValue < 0) return NOT_COMMON;
  }
  if (at >= 0) {
    // Positions in s, the string the view is later sliced from.
    marks[at] = transportStart - delta;
    marks[at + 1] = transportEnd - delta;
    marks[at + 2] = hostStart - delta;
    marks[at + 3] = hostEnd - delta;
    marks[at + 4] = hostUpper ? 1 : 0;
    marks[at + 5] = port;
    marks[at + 6] = branch < 0 ? -1 : branch - delta;
    marks[at + 7] = branchEnd - delta;
    marks[at + 8] = received < 0 ? -1 : received - delta;
    marks[at + 9] = receivedEnd - delta;
    marks[at + 10] = rportValue;
  }
  return i - delta;
}

/** Whether o at `start` spells the lower-case letters `lower` in any letter case (o holds token characters). */
function spellsLowerIn(o: Uint8Array, start: number, lower: Uint8Array): boolean {
  for (let i = 1; i < lower.length; i++) if ((o[start + i]! | 0x20) !== lower[i]) return false;
  return true;
}

/** The via-params the common reader knows, as octets like the received ones it compares them with. */
const BRANCH = Buffer.from('branch');
const RECEIVED = Buffer.from('received');
const RPORT = Buffer.from('rport');

/**
 * via-params after sent-by. branch, received and rport are checked (RFC 3261 §20.42, RFC 3581)
 * as they finally stand: when one is repeated, the last one counts.
 */
function readViaParams(s: string, start: number, end: number, via: Via | undefined): number {
  let branch = ABSENT;
  let branchEnd = 0;
  let received = ABSENT;
  let receivedEnd = 0;
  let rport = ABSENT;
  let rportEnd = 0;
  let i = start;
  while (i < end && s.charCodeAt(i) === 0x3b) {
    i = readParam(s, i, end, RULE);
    if (i < 0) return -1;
    const { nameStart, nameEnd, valueStart, valueEnd } = lastParam;
    switch (viaParamName(s, nameStart, nameEnd)) {
      case 'branch':
        branch = valueStart;
        branchEnd = valueEnd;
        break;
      case 'received':
        received = valueStart;
        receivedEnd = valueEnd;
        break;
      case 'rport':
        rport = valueStart;
        rportEnd = valueEnd;
        break;
      default:
        if (via !== undefined) {
          const name = lowerTokenAt(s, nameStart, nameEnd);
          setParam(via.params, name, valueStart < 0 ? null : s.slice(valueStart, valueEnd));
        }
    }
  }
  if (branch === NO_VALUE) return failAt(RULE, 'branch without value', start);
  if (received !== ABSENT) {
    // RFC 3261 grammar writes IPv6 bare; RFC 5118 §4.5 asks to accept brackets too.
    if (received !== NO_VALUE && s.charCodeAt(received) === 0x5b) {
      received++;
      receivedEnd--;
    }
    if (received === NO_VALUE || !isIpAddress(s, received, receivedEnd)) {
      return failAt(RULE, 'received is not an IP address', start);
    }
  }
  let rportValue: number | true = true;
  if (rport >= 0) {
    rportValue = parseBoundedInt(s, 65535, rport, rportEnd);
    if (rportValue < 0) return failAt(RULE, 'invalid rport', rport);
  }
  if (via !== undefined) {
    if (branch >= 0) via.branch = s.slice(branch, branchEnd);
    if (received >= 0) via.received = s.slice(received, receivedEnd);
    if (rport !== ABSENT) via.rport = rportValue;
  }
  return i;
}

/** 'branch', 'received' or 'rport' when s[start, end) is that name in any letter case, else ''. */
function viaParamName(s: string, start: number, end: number): string {
  const length = end - start;
  const first = s.charCodeAt(start) | 0x20;
  if (length === 6 && first === 0x62) return equalsLowerAt(s, start, 'branch') ? 'branch' : '';
  if (first !== 0x72) return '';
  if (length === 8) return equalsLowerAt(s, start, 'received') ? 'received' : '';
  if (length === 5) return equalsLowerAt(s, start, 'rport') ? 'rport' : '';
  return '';
}

/** Whether s at `start` spells the lower-case letters `lower` in any letter case (s holds token characters). */
function equalsLowerAt(s: string, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++)
    if ((s.charCodeAt(start + i) | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

/** Whether s[start, end) is an IPv4 or IPv6 address, as `net.isIP` judges it. */
function isIpAddress(s: string, start: number, end: number): boolean {
  if (start >= end) return false;
  const colon = s.indexOf(':', start);
  const address = s.slice(start, end);
  return colon >= 0 && colon < end ? isIPv6(address) : isIPv4(address);
}

function tokenEnd(s: string, start: number, end: number): number {
  return runEnd(TOKEN, s, start, end);
}

/** Formats one via-parm: branch first, then other parameters, received and rport. */
export function formatVia(via: Via): string {
  let out = `${via.protocol}/${via.transport} ${via.host}`;
  if (via.port !== undefined) out += `:${via.port}`;
  if (via.branch !== undefined) out += `;branch=${via.branch}`;
  out += formatParams(via.params);
  if (via.received !== undefined) out += `;received=${via.received}`;
  if (via.rport === true) out += ';rport';
  else if (via.rport !== undefined) out += `;rport=${via.rport}`;
  return out;
}
