/** The start line of a received message: Request-Line or Status-Line (RFC 3261 §7.1, §7.2). */
import { allIn, isDigit, octetDelta, octetsOf, parseBoundedInt, TOKEN } from './chars.js';
import { lastReadMessage } from './failure.js';
import type { SipParseError } from './types.js';
import { readUri, URI_WITH_HEADERS } from './uri.js';
import { knownMethodAt } from './words.js';

export const SIP_2_0 = 'SIP/2.0';

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT in s[start, end), written back upper-case. */
export function versionAt(s: string, start: number, end: number): string | undefined {
  const length = end - start;
  if (length === 7 && s.startsWith(SIP_2_0, start)) return SIP_2_0;
  if (length < 7 || !startsWithSipSlash(s, start)) return undefined;
  const dot = s.indexOf('.', start + 4);
  if (dot <= start + 4 || dot >= end - 1) return undefined;
  for (let i = start + 4; i < end; i++) if (i !== dot && !isDigit(s.charCodeAt(i))) return undefined;
  const text = s.slice(start, end);
  return s.startsWith('SIP', start) ? text : `SIP/${text.slice(4)}`;
}

/** Whether s at `start` begins with "SIP/" in any letter case. */
function startsWithSipSlash(s: string, start: number): boolean {
  return (
    (s.charCodeAt(start) | 0x20) === 0x73 &&
    (s.charCodeAt(start + 1) | 0x20) === 0x69 &&
    (s.charCodeAt(start + 2) | 0x20) === 0x70 &&
    s.charCodeAt(start + 3) === 0x2f
  );
}

/** Whether the start line head[0, end) is a Status-Line rather than a Request-Line. */
export function isStatusLine(head: string, end: number): boolean {
  return end >= 4 && startsWithSipSlash(head, 0);
}

/**
 * What `checkRequestLine` or `checkStatusLine` last accepted, so that the start line is read
 * once (checking is synchronous, so one record serves every call): the version, and the method
 * and where the Request-URI lies, or the status and where the Reason-Phrase starts.
 */
export const startLine = { version: SIP_2_0, method: '', uriStart: 0, uriEnd: 0, status: 0, reasonStart: 0 };

/**
 * Request-Line = Method SP Request-URI SP SIP-Version in head[0, end), single SPs only
 * (RFC 4475 §3.1.2.9–10). Returns the failure, or undefined with `startLine` set.
 */
export function checkRequestLine(
  head: string,
  end: number,
  hasHighBytes: boolean,
): SipParseError | undefined {
  const sp1 = head.indexOf(' ');
  const sp2 = sp1 < 0 || sp1 >= end ? -1 : head.indexOf(' ', sp1 + 1);
  const malformed =
    sp1 <= 0 ||
    sp2 < 0 ||
    sp2 >= end ||
    sp2 === sp1 + 1 ||
    isBefore(head.indexOf(' ', sp2 + 1), end) ||
    isBefore(head.indexOf('\t'), end);
  if (malformed) {
    return { rule: 'Request-Line', message: 'Request-Line is not Method SP Request-URI SP SIP-Version' };
  }
  const known = knownMethodAt(head, 0, sp1);
  if (known === undefined && !allIn(TOKEN, head, 0, sp1)) {
    return { rule: 'Method', message: 'method is not a token' };
  }
  const version = versionAt(head, sp2 + 1, end);
  if (version === undefined) return { rule: 'SIP-Version', message: 'bad SIP-Version in Request-Line' };
  if (hasHighBytes && !isAscii(head, sp1 + 1, sp2)) {
    return { rule: 'Request-URI', message: 'raw non-ASCII octets in Request-URI' };
  }
  const uri = readUri(head, sp1 + 1, sp2, undefined);
  if (uri < 0) return { rule: 'Request-URI', message: `Request-URI: ${lastReadMessage()}` };
  // RFC 3261 §19.1.1 (table): headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
  if (uri === URI_WITH_HEADERS)
    return { rule: 'Request-URI', message: 'Request-URI must not contain headers' };
  startLine.version = version;
  startLine.method = known ?? head.slice(0, sp1);
  startLine.uriStart = sp1 + 1;
  startLine.uriEnd = sp2;
  return undefined;
}

/**
 * Status-Line = SIP-Version SP Status-Code SP Reason-Phrase in head[0, end); Status-Code is
 * 3DIGIT 100-699. Returns the failure, or undefined with `startLine` set.
 */
export function checkStatusLine(head: string, end: number): SipParseError | undefined {
  const octets = octetsOf(head);
  if (octets !== undefined && isCommonStatusLine(octets, octetDelta(), end)) return undefined;
  const sp1 = head.indexOf(' ');
  const version = sp1 < 0 || sp1 >= end ? undefined : versionAt(head, 0, sp1);
  if (version === undefined) return { rule: 'SIP-Version', message: 'bad SIP-Version in Status-Line' };
  const codeEnd = sp1 + 4;
  const status = codeEnd <= end ? parseBoundedInt(head, 699, sp1 + 1, codeEnd) : -1;
  if (status < 100 || (codeEnd < end && head.charCodeAt(codeEnd) !== 0x20)) {
    return { rule: 'Status-Code', message: 'Status-Code is not three digits from 100 to 699' };
  }
  startLine.version = version;
  startLine.status = status;
  startLine.reasonStart = Math.min(codeEnd + 1, end);
  return undefined;
}

/** Where the Reason-Phrase of a common Status-Line starts: after "SIP/2.0 " and three digits and SP. */
const COMMON_REASON_START = 12;

/**
 * Whether the Status-Line o[delta, delta + end) has the form nearly every sender writes,
 * "SIP/2.0" SP 3DIGIT (100-699) and SP or its end, read from the received octets; if so,
 * `startLine` is set as `checkStatusLine` sets it. Any other line is left to the full check.
 */
function isCommonStatusLine(o: Uint8Array, delta: number, end: number): boolean {
  const at = delta + 8;
  if (end < COMMON_REASON_START - 1 || (end >= COMMON_REASON_START && o[at + 3] !== 0x20)) return false;
  for (let i = 0; i < 8; i++) if (o[delta + i] !== SIP_2_0_SP[i]) return false;
  const d0 = o[at]! - 0x30;
  const d1 = o[at + 1]! - 0x30;
  const d2 = o[at + 2]! - 0x30;
  if (d0 < 1 || d0 > 6 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return false;
  startLine.version = SIP_2_0;
  startLine.status = d0 * 100 + d1 * 10 + d2;
  startLine.reasonStart = Math.min(COMMON_REASON_START, end);
  return true;
}

const SIP_2_0_SP = Buffer.from('SIP/2.0 ');

/** Whether the index `found` (-1: not found) lies before `end`. */
function isBefore(found: number, end: number): boolean {
  return found >= 0 && found < end;
}

function isAscii(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
