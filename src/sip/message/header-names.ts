/** Header field names: compact forms (RFC 3261 §7.3.3 and later RFCs) and canonical spellings. */

/** Compact form → canonical lower-case long name. */
const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event', // RFC 6665
  u: 'allow-events', // RFC 6665
  r: 'refer-to', // RFC 3515
  b: 'referred-by', // RFC 3892
  x: 'session-expires', // RFC 4028
  y: 'identity', // RFC 8224
  a: 'accept-contact', // RFC 3841
  j: 'reject-contact', // RFC 3841
  d: 'request-disposition', // RFC 3841
  n: 'identity-info', // RFC 4474
};

/** Canonical spellings used when the stack adds a field (RFC 3261 §20 capitalisation). */
const CANONICAL = [
  'Accept',
  'Accept-Contact',
  'Accept-Encoding',
  'Accept-Language',
  'Alert-Info',
  'Allow',
  'Allow-Events',
  'Authentication-Info',
  'Authorization',
  'Call-ID',
  'Call-Info',
  'Contact',
  'Content-Disposition',
  'Content-Encoding',
  'Content-Language',
  'Content-Length',
  'Content-Type',
  'CSeq',
  'Date',
  'Error-Info',
  'Event',
  'Expires',
  'From',
  'Identity',
  'Identity-Info',
  'In-Reply-To',
  'Max-Forwards',
  'Min-Expires',
  'Min-SE',
  'MIME-Version',
  'Organization',
  'P-Asserted-Identity',
  'P-Preferred-Identity',
  'Path',
  'Priority',
  'Privacy',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Proxy-Require',
  'RAck',
  'Reason',
  'Record-Route',
  'Refer-To',
  'Referred-By',
  'Reject-Contact',
  'Replaces',
  'Reply-To',
  'Request-Disposition',
  'Require',
  'Retry-After',
  'Route',
  'RSeq',
  'Server',
  'Service-Route',
  'Session-Expires',
  'Subject',
  'Subscription-State',
  'Supported',
  'Timestamp',
  'To',
  'Unsupported',
  'User-Agent',
  'Via',
  'Warning',
  'WWW-Authenticate',
];

/**
 * Exact spellings seen on the wire → key, pre-filled so that the common case costs one map
 * lookup and no allocation. Never grows at run time (hostile names cannot inflate it).
 */
const KEYS = new Map<string, string>();
const SPELLING = new Map<string, string>();

/**
 * The fields the parser checks itself, numbered so that the header block is scanned without
 * comparing strings; every other field is FIELD_OTHER.
 */
export const FIELD_OTHER = 0;
export const FIELD_VIA = 1;
export const FIELD_FROM = 2;
export const FIELD_TO = 3;
export const FIELD_CALL_ID = 4;
export const FIELD_CSEQ = 5;
export const FIELD_CONTENT_LENGTH = 6;
export const FIELD_MAX_FORWARDS = 7;
/** How many field numbers there are. */
export const FIELD_COUNT = 8;

const FIELD_KEYS = ['', 'via', 'from', 'to', 'call-id', 'cseq', 'content-length', 'max-forwards'];

/** The field number of a comparison key. */
export function fieldOfKey(key: string): number {
  const field = FIELD_KEYS.indexOf(key);
  return field < 0 ? FIELD_OTHER : field;
}

/** The comparison key of a field number other than FIELD_OTHER. */
export function keyOfField(field: number): string {
  return FIELD_KEYS[field]!;
}

/** A spelling written by nearly every sender (canonical, or a lower-case compact letter), its key and field number. */
export interface KnownField {
  name: string;
  key: string;
  field: number;
  /** The spelling as octets: comparing octets in the received bytes is cheaper than a string comparison. */
  octets: Uint8Array;
}

/** Known names are bucketed by length (up to this) and the low five bits of the first character. */
const MAX_KNOWN_LENGTH = 31;

/**
 * The canonical spellings by shape (see MAX_KNOWN_LENGTH), so that a received name is
 * recognised in place with one array read and a comparison of a few octets, without a slice.
 */
const BY_SHAPE: Array<KnownField[] | undefined> = Array.from(
  { length: (MAX_KNOWN_LENGTH + 1) << 5 },
  () => undefined,
);

function shape(length: number, first: number): number {
  return (length << 5) | (first & 0x1f);
}

/**
 * The same spellings by their opening (see `opening`), those nearly every message carries
 * first, so that a received name is usually recognised by its first candidate.
 */
const BY_OPENING: Array<KnownField[] | undefined> = Array.from({ length: 1 << 10 }, () => undefined);

/** A bucket number from the low five bits of a name's first two octets (a one-letter name's second is its colon). */
function opening(first: number, second: number): number {
  return ((first & 0x1f) << 5) | (second & 0x1f);
}

/** The names of nearly every message, in the order their fields usually come. */
const MOST_USED = [
  'Via',
  'Max-Forwards',
  'Record-Route',
  'Route',
  'Contact',
  'To',
  'From',
  'Call-ID',
  'CSeq',
  'Allow',
  'Supported',
  'User-Agent',
  'Server',
  'Expires',
  'Content-Type',
  'Content-Length',
];

function addKnown(name: string, key: string): void {
  if (name.length > MAX_KNOWN_LENGTH) throw new Error(`header name ${name} is too long to be known`);
  const at = shape(name.length, name.charCodeAt(0));
  const known = { name, key, field: fieldOfKey(key), octets: Buffer.from(name, 'latin1') };
  const bucket = BY_SHAPE[at] ?? [];
  bucket.push(known);
  BY_SHAPE[at] = bucket;
  const open = opening(name.charCodeAt(0), name.length > 1 ? name.charCodeAt(1) : 0x3a);
  const sameOpening = BY_OPENING[open] ?? [];
  sameOpening.push(known);
  BY_OPENING[open] = sameOpening;
}

const mostUsedFirst = (name: string): number => {
  const rank = MOST_USED.indexOf(name);
  return rank < 0 ? MOST_USED.length : rank;
};
for (const name of [...CANONICAL].sort((a, b) => mostUsedFirst(a) - mostUsedFirst(b))) {
  const key = name.toLowerCase();
  KEYS.set(name, key);
  KEYS.set(key, key);
  KEYS.set(name.toUpperCase(), key);
  SPELLING.set(key, name);
  addKnown(name, key);
}
for (const [short, key] of Object.entries(COMPACT)) {
  KEYS.set(short, key);
  KEYS.set(short.toUpperCase(), key);
  addKnown(short, key);
}
KEYS.set('Call-Id', 'call-id');
KEYS.set('Cseq', 'cseq');
KEYS.set('CSEQ', 'cseq');
KEYS.set('Www-Authenticate', 'www-authenticate');

/** The known field spelt exactly data[start, end), if any. */
export function knownFieldAt(data: Uint8Array, start: number, end: number): KnownField | undefined {
  const length = end - start;
  if (length > MAX_KNOWN_LENGTH) return undefined;
  const first = data[start]!;
  const bucket = BY_SHAPE[shape(length, first)];
  if (bucket === undefined) return undefined;
  for (let i = 0; i < bucket.length; i++) {
    const field = bucket[i]!;
    const octets = field.octets;
    if (octets[0] !== first) continue;
    let k = 1;
    while (k < length && data[start + k] === octets[k]) k++;
    if (k === length) return field;
  }
  return undefined;
}

/**
 * The known field spelt at data[start] and directly followed by its colon before `end`, if
 * any: then the name ends there and the colon need not be searched for. No spelling contains
 * a colon, so at most one matches.
 */
export function knownFieldBeforeColon(data: Uint8Array, start: number, end: number): KnownField | undefined {
  if (start + 1 >= end) return undefined;
  const bucket = BY_OPENING[opening(data[start]!, data[start + 1]!)];
  if (bucket === undefined) return undefined;
  for (let i = 0; i < bucket.length; i++) {
    const field = bucket[i]!;
    const octets = field.octets;
    const length = octets.length;
    if (start + length >= end || data[start + length] !== 0x3a) continue;
    let k = 0;
    while (k < length && data[start + k] === octets[k]) k++;
    if (k === length) return field;
  }
  return undefined;
}

/**
 * The key of a name spelt one of the ways known in advance (canonical, lower or upper case,
 * compact), else undefined. Every such spelling is a token, so a match needs no further check.
 */
export function knownSpellingKey(name: string): string | undefined {
  return KEYS.get(name);
}

/** The comparison key of a header name: lower-case long form (compact names expanded). */
export function headerKey(name: string): string {
  return knownSpellingKey(name) ?? keyByLowerCase(name);
}

/** The key of a name spelt no way known in advance. */
export function keyByLowerCase(name: string): string {
  const lower = name.toLowerCase();
  return (lower.length === 1 ? COMPACT[lower] : undefined) ?? lower;
}

/** The spelling to write for a field the stack adds under `name`. */
export function canonicalName(name: string): string {
  return SPELLING.get(headerKey(name)) ?? name;
}

/**
 * Headers whose grammar is not a comma-separated list (or whose values contain commas, like
 * dates and challenges); `getAll` never splits them.
 */
export const NOT_A_LIST = new Set([
  'authentication-info',
  'authorization',
  'call-id',
  'content-disposition',
  'content-length',
  'content-type',
  'cseq',
  'date',
  'event',
  'expires',
  'from',
  'identity',
  'identity-info',
  'max-forwards',
  'min-expires',
  'min-se',
  'mime-version',
  'organization',
  'priority',
  'proxy-authenticate',
  'proxy-authorization',
  'rack',
  'refer-to',
  'referred-by',
  'replaces',
  'reply-to',
  'retry-after',
  'rseq',
  'server',
  'session-expires',
  'subject',
  'subscription-state',
  'timestamp',
  'to',
  'user-agent',
  'www-authenticate',
]);
