/**
 * The checks a UAS (or proxy) makes on a well-formed request before processing it
 * (RFC 3261 §8.2, §16.3): the answers to RFC 4475 §3.3 messages that parse but cannot be served.
 */
import { parseBoundedInt } from './chars.js';
import { unquote } from './escape.js';
import { parseContacts } from './lists.js';
import { reasonPhrase } from './reason-phrases.js';
import type { SipRequest } from './types.js';

export interface SemanticsOptions {
  /** 'uas' (default) or 'proxy': a proxy checks Proxy-Require and Max-Forwards (RFC 3261 §16.3) instead of Require and bodies. */
  role?: 'uas' | 'proxy';
  /** Request-URI schemes served (RFC 3261 §8.2.2.1). Default sip and sips. */
  uriSchemes?: readonly string[];
  /** Option tags supported (RFC 3261 §8.2.2.3). Default none. */
  supported?: readonly string[];
  /** Body types understood (RFC 3261 §8.2.3), lower-case `type/subtype`. Default application/sdp. */
  contentTypes?: readonly string[];
  /** Content codings understood besides identity (RFC 3261 §8.2.3). Default none. */
  contentEncodings?: readonly string[];
  /** Body types a response to INVITE would carry, checked against Accept (RFC 3261 §21.4.7). Default application/sdp. */
  answerTypes?: readonly string[];
}

/** The response to send instead of processing the request. */
export interface Rejection {
  status: number;
  reason: string;
  /** Header fields the response must carry (Unsupported, Accept, Accept-Encoding). */
  headers: [string, string][];
}

/** RFC 3261 §25.1 delta-seconds fits 32 bits (RFC 4475 §3.1.2.4). */
const MAX_DELTA_SECONDS = 0xffffffff;
const DEFAULT_SCHEMES = ['sip', 'sips'];
const DEFAULT_TYPES = ['application/sdp'];

/**
 * Returns the rejection for a request this element must not process, or undefined to go on.
 * In order: 505 for a SIP version other than 2.0; 400 for malformed Date, Expires or Contact
 * (RFC 4475 §3.1.2.12, §3.1.2.13); 416 for an unsupported Request-URI scheme (§8.2.2.1);
 * a proxy: 483 for Max-Forwards 0 (§16.3 step 3) and 420 for Proxy-Require; a UAS: 420 with
 * Unsupported for Require (§8.2.2.3), 415 with Accept / Accept-Encoding for a body it cannot
 * read (§8.2.3), 406 when an INVITE's Accept rules out the answer (§21.4.7).
 * ACK is never answered (§17.2.3), so it only gets undefined. Never throws.
 */
export function checkRequestSemantics(
  request: SipRequest,
  options: SemanticsOptions = {},
): Rejection | undefined {
  if (request.method === 'ACK') return undefined;
  if (request.version !== 'SIP/2.0') return reject(505);
  const malformed = findMalformedHeader(request);
  if (malformed !== undefined) return reject(400, `Bad ${malformed}`);
  if (!(options.uriSchemes ?? DEFAULT_SCHEMES).includes(request.uri.scheme)) return reject(416);
  if (options.role === 'proxy') {
    if (parseBoundedInt(request.headers.get('Max-Forwards') ?? '70', 255) === 0) return reject(483);
    return checkRequire(request, 'Proxy-Require', options.supported);
  }
  if (request.method === 'CANCEL') return undefined;
  return (
    checkRequire(request, 'Require', options.supported) ??
    checkBody(request, options) ??
    checkAccept(request, options.answerTypes ?? DEFAULT_TYPES)
  );
}

function reject(status: number, reason = reasonPhrase(status), headers: [string, string][] = []): Rejection {
  return { status, reason, headers };
}

/** The name of the first header whose value breaks its grammar, for the 400 reason phrase. */
function findMalformedHeader(request: SipRequest): string | undefined {
  const date = request.headers.get('Date');
  if (date !== undefined && !SIP_DATE.test(date)) return 'Date';
  const expires = request.headers.get('Expires');
  if (expires !== undefined && parseBoundedInt(expires, MAX_DELTA_SECONDS) < 0) return 'Expires';
  const contacts = parseContacts(request);
  if (!contacts.ok) return 'Contact';
  for (const contact of contacts.value) {
    if (contact === '*') {
      // RFC 3261 §10.3 step 6: '*' only in a REGISTER that removes every binding.
      if (request.method !== 'REGISTER' || expires === undefined || parseBoundedInt(expires, 0) !== 0)
        return 'Contact';
      continue;
    }
    const value = contact.params.expires;
    if (value !== undefined && (value === null || parseBoundedInt(value, MAX_DELTA_SECONDS) < 0))
      return 'Contact';
  }
  return undefined;
}

/** SIP-date = rfc1123-date, always in GMT (RFC 3261 §20.17, §25.1). */
const SIP_DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

function checkRequire(
  request: SipRequest,
  header: string,
  supported: readonly string[] = [],
): Rejection | undefined {
  const unsupported = request.headers.getAll(header).filter((tag) => !supported.includes(tag));
  return unsupported.length === 0
    ? undefined
    : reject(420, undefined, [['Unsupported', unsupported.join(', ')]]);
}

function checkBody(request: SipRequest, options: SemanticsOptions): Rejection | undefined {
  if (request.body.length === 0) return undefined;
  const types = options.contentTypes ?? DEFAULT_TYPES;
  const contentType = request.headers.get('Content-Type');
  if (contentType === undefined || !types.includes(mediaType(contentType))) {
    return reject(415, undefined, [['Accept', types.join(', ')]]);
  }
  const encodings = options.contentEncodings ?? [];
  for (const coding of request.headers.getAll('Content-Encoding')) {
    const name = coding.toLowerCase();
    if (name !== 'identity' && !encodings.includes(name)) {
      return reject(415, undefined, [['Accept-Encoding', ['identity', ...encodings].join(', ')]]);
    }
  }
  return undefined;
}

/** RFC 3261 §20.1: no Accept means application/sdp; an Accept that rules out every answer type gets 406. */
function checkAccept(request: SipRequest, answerTypes: readonly string[]): Rejection | undefined {
  if (request.method !== 'INVITE' || !request.headers.has('Accept')) return undefined;
  const ranges = request.headers.getAll('Accept').filter((range) => !rangeRefused(range));
  if (ranges.length === 0 && request.headers.get('Accept') === '') return undefined;
  const acceptable = answerTypes.some((type) =>
    ranges.some((range) => mediaRangeMatches(mediaType(range), type)),
  );
  return acceptable ? undefined : reject(406);
}

function rangeRefused(range: string): boolean {
  const q = /;\s*q\s*=\s*"?([0-9.]+)/i.exec(range);
  return q !== null && Number(unquote(q[1] ?? '1')) === 0;
}

function mediaRangeMatches(range: string, type: string): boolean {
  if (range === '*/*' || range === type) return true;
  return range.endsWith('/*') && type.startsWith(range.slice(0, -1));
}

/** `type/subtype` of a media-type value, lower-cased, parameters dropped. */
function mediaType(value: string): string {
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
}
