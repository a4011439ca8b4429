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

/** A spelling written by nearly every sender (canonical, or a lower-case compact letter) and its key. */
export interface KnownField {
  name: string;
  key: string;
}

/**
 * The canonical spellings, bucketed by length and the low five bits of the first character,
 * so that a received name is recognised in place, with one native comparison and no slice.
 */
const BY_SHAPE = new Map<number, KnownField[]>();

function shape(length: number, first: number): number {
  return (length << 5) | (first & 0x1f);
}

function addKnown(name: string, key: string): void {
  const at = shape(name.length, name.charCodeAt(0));
  const bucket = BY_SHAPE.get(at) ?? [];
  bucket.push({ name, key });
  BY_SHAPE.set(at, bucket);
}

for (const name of CANONICAL) {
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

/** The known field whose spelling s[start, end) is exactly, if any. */
export function knownFieldAt(s: string, start: number, end: number): KnownField | undefined {
  const bucket = BY_SHAPE.get(shape(end - start, s.charCodeAt(start)));
  if (bucket === undefined) return undefined;
  for (const field of bucket) if (s.startsWith(field.name, start)) return field;
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
