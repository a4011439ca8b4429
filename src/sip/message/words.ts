/**
 * Tokens nearly every message carries (methods, parameter names, transports), returned as
 * shared constants in the case the model stores them, so that reading one allocates nothing
 * and a parameter name is an internalised property key.
 */

/** The methods a received start line or CSeq nearly always names (RFC 3261 §7.1 and extensions). */
export const METHODS: readonly string[] = [
  'ACK',
  'BYE',
  'CANCEL',
  'INFO',
  'INVITE',
  'MESSAGE',
  'NOTIFY',
  'OPTIONS',
  'PRACK',
  'PUBLISH',
  'REFER',
  'REGISTER',
  'SUBSCRIBE',
  'UPDATE',
];

/** Parameter names (lower case) of Via, name-addr and URI parameters in everyday use. */
const PARAMETER_NAMES = [
  'branch',
  'comp',
  'expires',
  'ftag',
  'gr',
  'lr',
  'maddr',
  'method',
  'ob',
  'q',
  'received',
  'reg-id',
  'rport',
  'tag',
  'transport',
  'ttl',
  'user',
  '+sip.instance',
];

/** Via transports (upper case, RFC 3261 §20.42, RFC 7118). */
const TRANSPORTS = ['UDP', 'TCP', 'TLS', 'SCTP', 'TLS-SCTP', 'WS', 'WSS'];

/** Words bucketed by length: few enough that a bucket holds a handful. */
function byLength(words: readonly string[]): string[][] {
  const longest = Math.max(...words.map((word) => word.length));
  const buckets = Array.from({ length: longest + 1 }, (): string[] => []);
  for (const word of words) buckets[word.length]!.push(word);
  return buckets;
}

const METHODS_BY_LENGTH = byLength(METHODS);
const NAMES_BY_LENGTH = byLength(PARAMETER_NAMES);
const TRANSPORTS_BY_LENGTH = byLength(TRANSPORTS);

/** Whether s at `start` spells `word` with its letters in either case. */
function spellsAt(s: string, start: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const c = s.charCodeAt(start + i);
    const w = word.charCodeAt(i);
    if (c !== w && !(isLetter(w) && (c | 0x20) === (w | 0x20))) return false;
  }
  return true;
}

function isLetter(c: number): boolean {
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x7a;
}

function knownAt(buckets: string[][], s: string, start: number, end: number): string | undefined {
  const bucket = buckets[end - start];
  if (bucket === undefined) return undefined;
  for (let i = 0; i < bucket.length; i++) if (spellsAt(s, start, bucket[i]!)) return bucket[i];
  return undefined;
}

/**
 * The shared constant of the known method spelt exactly s[start, end) (methods are
 * case-sensitive, RFC 3261 §7.1), else undefined. A known method is a token by construction.
 */
export function knownMethodAt(s: string, start: number, end: number): string | undefined {
  const bucket = METHODS_BY_LENGTH[end - start];
  if (bucket === undefined) return undefined;
  const first = s.charCodeAt(start);
  for (let i = 0; i < bucket.length; i++) {
    const method = bucket[i]!;
    if (method.charCodeAt(0) === first && s.startsWith(method, start)) return method;
  }
  return undefined;
}

/** The methods again as octets, bucketed the same way, to compare with received octets. */
const METHOD_OCTETS_BY_LENGTH = METHODS_BY_LENGTH.map((bucket) =>
  bucket.map((method) => Buffer.from(method)),
);

/** `knownMethodAt` of the received octets o[start, end). */
export function knownMethodIn(o: Uint8Array, start: number, end: number): string | undefined {
  const bucket = METHOD_OCTETS_BY_LENGTH[end - start];
  if (bucket === undefined) return undefined;
  for (let i = 0; i < bucket.length; i++) {
    const octets = bucket[i]!;
    let k = 0;
    while (k < octets.length && o[start + k] === octets[k]) k++;
    if (k === octets.length) return METHODS_BY_LENGTH[end - start]![i];
  }
  return undefined;
}

/** The token s[start, end) lower-cased: the shared constant of a known parameter name, else a new string. */
export function lowerTokenAt(s: string, start: number, end: number): string {
  return knownAt(NAMES_BY_LENGTH, s, start, end) ?? s.slice(start, end).toLowerCase();
}

/** The transport token s[start, end) upper-cased: the shared constant of a known transport, else a new string. */
export function transportAt(s: string, start: number, end: number): string {
  return knownAt(TRANSPORTS_BY_LENGTH, s, start, end) ?? s.slice(start, end).toUpperCase();
}
