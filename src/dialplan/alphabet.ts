/**
 * The keypad alphabet digit analysis works on. Every position of a compiled pattern is a bit mask
 * over these keys, so a wildcard, a range and a literal are all the same thing to the matcher.
 */

/** Longest number analysed. IOS `T` collects at most 32 digits; E.164 numbers are 15 at most. */
export const MAX_NUMBER_LENGTH = 32;

const KEYS = '0123456789*#ABCD+';

/** Bit index of each key, by UTF-16 code unit; -1 for anything that is not a dialable key. */
const KEY_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < KEYS.length; i++) {
  KEY_INDEX[KEYS.charCodeAt(i)] = i;
  const lower = KEYS[i]!.toLowerCase().charCodeAt(0);
  if (KEY_INDEX[lower] === -1) KEY_INDEX[lower] = i;
}

/** Mask of one key, or 0 when the character is not a dialable key. */
export function keyMask(code: number): number {
  const index = code < 128 ? KEY_INDEX[code]! : -1;
  return index < 0 ? 0 : 1 << index;
}

/** The ten digits 0-9: what `X`, `!` and a negated CUCM range stand for. */
export const DIGITS_MASK = 0x3ff;
/** Every key: what an IOS `.` and `T` stand for (Cisco 211306: 0-9, A-F, `*`, `#`, `+`). */
export const ANY_KEY_MASK = (1 << KEYS.length) - 1;

/**
 * How many numbers one position admits, counting digits only so that `.`, `X` and `!` weigh the
 * same (10) in both pattern syntaxes and a literal `*` or `#` weighs 1. Closest match compares the
 * product of these weights over a whole number.
 */
export function maskWeight(mask: number): number {
  let digits = mask & DIGITS_MASK;
  let count = 0;
  while (digits !== 0) {
    digits &= digits - 1;
    count++;
  }
  return count === 0 ? 1 : count;
}

/** Weight of a digit beyond the end of a prefix-matching dial-peer pattern. */
export const TRAILING_WEIGHT = 10;

/** True when every character of `number` is a dialable key and it is not too long. */
export function isDialable(number: string): boolean {
  if (number.length > MAX_NUMBER_LENGTH) return false;
  for (let i = 0; i < number.length; i++) {
    if (keyMask(number.charCodeAt(i)) === 0) return false;
  }
  return true;
}
