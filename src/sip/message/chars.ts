/**
 * Character classes of the RFC 3261 §25 grammar as lookup tables, so that the parser checks a
 * character with one array read instead of a regular expression. A table has an entry for
 * every octet (those above 0x7f are in no class), so that a scan of received octets indexes it
 * without a range check.
 */

/**
 * Besides membership (bit 1), a table marks upper-case letters (UPPER) and '%' (PERCENT), so
 * that the scan that validates a run also tells whether it needs lower-casing or unescaping.
 */
export const UPPER = 2;
export const PERCENT = 4;

function table(...sets: string[]): Uint8Array {
  const t = new Uint8Array(256);
  for (const set of sets) for (let i = 0; i < set.length; i++) t[set.charCodeAt(i)] = 1;
  for (let c = 0x41; c <= 0x5a; c++) if (t[c] !== 0) t[c] = 1 | UPPER;
  if (t[0x25] !== 0) t[0x25] = 1 | PERCENT;
  return t;
}

const ALPHANUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** RFC 3261 §25.1 mark. */
const MARK = "-_.!~*'()";

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = table(ALPHANUM, "-.!%*_+`'~");
/** word = token characters plus ( ) < > : \ " / [ ] ? { } (Call-ID) */
export const WORD = table(ALPHANUM, "-.!%*_+`'~", '()<>:\\"/[]?{}');
/** user = 1*( unreserved / escaped / user-unreserved ); '%' stands for escaped. */
export const USER = table(ALPHANUM, MARK, '%', '&=+$,;?/');
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
export const PASSWORD = table(ALPHANUM, MARK, '%', '&=+$,');
/** paramchar = param-unreserved / unreserved / escaped */
export const PARAM_CHAR = table(ALPHANUM, MARK, '%', '[]/:&+$');
/** hname / hvalue = *( hnv-unreserved / unreserved / escaped ) */
export const HEADER_CHAR = table(ALPHANUM, MARK, '%', '[]/?:+$');
/** hostname characters; '_' is tolerated because deployed DNS names carry it. */
export const HOST_CHAR = table(ALPHANUM, '-._');

/** Header parameter values: token, host (with IPv6 brackets and colons, RFC 5118 §4.5). */
export const GEN_VALUE = table(ALPHANUM, "-.!%*_+`'~", '[]:');
/** URI scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
export const SCHEME = table(ALPHANUM, '+-.');
/** uric of RFC 2396, for the opaque part of an absoluteURI. */
export const URIC = table(ALPHANUM, MARK, '%', ';/?:@&=+$,');
/** tel: numbers (RFC 3966 phonedigit-hex, visual separators, '*', '#'). */
export const TEL_CHAR = table('0123456789abcdefABCDEF', '+-.()*#%');

/**
 * The received octets a string was decoded from, while the parser reads it: `mirrorText`
 * holds Latin-1 characters, one per octet, so mirrorText.charCodeAt(i) ===
 * mirrorOctets[mirrorDelta + i]. The scans below index those octets instead of calling
 * String#charCodeAt, which costs about three times as much per character. The mirror is only
 * ever consulted for that very string, so a scan of any other string is unaffected.
 */
// A Buffer like the received octets, so that every octet read in the scans sees one kind of object.
const NO_OCTETS: Uint8Array = Buffer.alloc(0);
let mirrorText: string | undefined;
let mirrorOctets: Uint8Array = NO_OCTETS;
let mirrorDelta = 0;

/** Declares that text.charCodeAt(i) === octets[delta + i] for every i until `forgetOctets`. */
export function mirrorTextOctets(text: string, octets: Uint8Array, delta: number): void {
  mirrorText = text;
  mirrorOctets = octets;
  mirrorDelta = delta;
}

/** Ends the mirror, so that neither the text nor the octets (which the caller may reuse) are held. */
export function forgetOctets(): void {
  mirrorText = undefined;
  mirrorOctets = NO_OCTETS;
}

/** The marks (UPPER, PERCENT) of the run `runEnd` or `octetRunEnd` scanned last (scanning is synchronous). */
let runMarks = 0;

/**
 * The received octets behind `s` while the parser reads it, else undefined: s.charCodeAt(i) is
 * octets[i + octetDelta()]. Readers of the common forms scan these octets start to end in one
 * pass and slice `s` only for the strings they build.
 */
export function octetsOf(s: string): Uint8Array | undefined {
  return s === mirrorText ? mirrorOctets : undefined;
}

/** Where the text `octetsOf` answered for starts in its octets. */
export function octetDelta(): number {
  return mirrorDelta;
}

/** `runEnd` over octets: the end of the run of class `t` in o[start, end); `runHad` tells its marks. */
export function octetRunEnd(t: Uint8Array, o: Uint8Array, start: number, end: number): number {
  let marks = 0;
  let i = start;
  for (; i < end; i++) {
    const kind = t[o[i]!]!;
    if (kind === 0) break;
    marks |= kind;
  }
  runMarks = marks;
  return i;
}

/** True when every character of s[start, end) is in the table (non-ASCII never is); a scan like `runEnd`'s. */
export function allIn(t: Uint8Array, s: string, start = 0, end = s.length): boolean {
  return runEnd(t, s, start, end) >= end;
}

export function isIn(t: Uint8Array, c: number): boolean {
  return c < 128 && t[c] !== 0;
}

/** The end of the run of characters of table `t` in s[start, end); `runHad` tells which marks it met. */
export function runEnd(t: Uint8Array, s: string, start: number, end: number): number {
  let marks = 0;
  let i = start;
  if (s === mirrorText) {
    const octets = mirrorOctets;
    const delta = mirrorDelta;
    for (; i < end; i++) {
      const c = octets[i + delta]!;
      const kind = c < 128 ? t[c]! : 0;
      if (kind === 0) break;
      marks |= kind;
    }
  } else {
    for (; i < end; i++) {
      const c = s.charCodeAt(i);
      const kind = c < 128 ? t[c]! : 0;
      if (kind === 0) break;
      marks |= kind;
    }
  }
  runMarks = marks;
  return i;
}

/** Whether the run `runEnd` scanned last had a character marked `mark`. */
export function runHad(mark: number): boolean {
  return (runMarks & mark) !== 0;
}

/** The run s[start, end) that `runEnd` scanned last, lower-cased. */
export function lowerRun(s: string, start: number, end: number): string {
  const run = s.slice(start, end);
  // toLowerCase costs a call into the runtime even when nothing changes.
  return runHad(UPPER) ? run.toLowerCase() : run;
}

/**
 * The index of the first character `c` in s[start, end), or -1. Unlike String#indexOf it never
 * reads past `end`: a reader that works in place in the header block must not scan the rest
 * of the block for every element it reads, or many short elements would cost quadratic time.
 */
export function indexIn(s: string, c: number, start: number, end: number): number {
  if (s === mirrorText) {
    const octets = mirrorOctets;
    const delta = mirrorDelta;
    for (let i = start; i < end; i++) if (octets[i + delta] === c) return i;
    return -1;
  }
  for (let i = start; i < end; i++) if (s.charCodeAt(i) === c) return i;
  return -1;
}

/** The index of the first control character or space (octets up to 0x20, and DEL) in s[start, end), or -1. */
export function controlIndex(s: string, start: number, end: number): number {
  if (s === mirrorText) {
    const octets = mirrorOctets;
    const delta = mirrorDelta;
    for (let i = start; i < end; i++) {
      const c = octets[i + delta]!;
      if (c <= 0x20 || c === 0x7f) return i;
    }
    return -1;
  }
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return i;
  }
  return -1;
}

/** SP or HTAB (RFC 3261 §25.1 WSP); folds are already unfolded to SP by the parser. */
export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function skipSpace(s: string, i: number, end = s.length): number {
  while (i < end && isSpace(s.charCodeAt(i))) i++;
  return i;
}

export function skipSpaceBack(s: string, i: number, start = 0): number {
  while (i > start && isSpace(s.charCodeAt(i - 1))) i--;
  return i;
}

/** Trims SP/HTAB only (String#trim also strips characters SIP treats as data). */
export function trimSpace(s: string): string {
  const start = skipSpace(s, 0);
  const end = skipSpaceBack(s, s.length, start);
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/**
 * Parses 1*DIGIT (leading zeros allowed, RFC 4475 §3.1.1.1) no greater than `max`.
 * Returns -1 for anything else, so that overlarge values (RFC 4475 §3.1.2.4) never become
 * imprecise floats.
 */
export function parseBoundedInt(s: string, max: number, start = 0, end = s.length): number {
  if (start >= end) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    value = value * 10 + (c - 0x30);
    if (value > max) return -1;
  }
  return value;
}
