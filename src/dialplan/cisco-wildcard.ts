/**
 * CUCM route/translation pattern syntax ("Wildcards and special characters in route patterns",
 * Cisco Unified CM System Guide): literal digits, `*`, `#`, `+` (also written `\+`), `X` (one digit),
 * `!` (one or more digits), `[1-5]` / `[135]` / `[^0]` (one digit from / not from a set) and one `.`
 * marking the end of an access code for PreDot discard. `@` (national numbering plan) and the
 * `?` / `+` repetition operators are not supported and are reported as errors.
 */
import { DIGITS_MASK, keyMask } from './alphabet.js';
import {
  type CompiledPattern,
  DOT_TOKEN,
  type PatternToken,
  repeatToken,
  singleToken,
} from './pattern-tokens.js';
import { failAt } from './syntax.js';
import type { Result, SyntaxProblem } from './types.js';

/** CUCM limits a directory number or pattern to 50 characters (48 digits plus separators). */
const MAX_PATTERN_LENGTH = 50;

const CODE_0 = 48;
const CODE_9 = 57;

function isDigitCode(code: number): boolean {
  return code >= CODE_0 && code <= CODE_9;
}

/** Parses `[...]` starting at `open`; returns the digit mask and the index after `]`. */
export function parseDigitRange(
  text: string,
  open: number,
): Result<{ mask: number; end: number }, SyntaxProblem> {
  let i = open + 1;
  const negated = text[i] === '^';
  if (negated) i++;
  let mask = 0;
  let items = 0;
  while (i < text.length && text[i] !== ']') {
    const code = text.charCodeAt(i);
    if (text[i] === ',') {
      i++; // IOS writes [2,5-8]; CUCM tolerates the separator too
      continue;
    }
    if (!isDigitCode(code)) return failAt(`only digits may appear in a range, found '${text[i]}'`, i);
    let last = code;
    if (text[i + 1] === '-') {
      const endCode = text.charCodeAt(i + 2);
      if (!isDigitCode(endCode)) return failAt('a range needs a digit after -', i + 2);
      if (endCode < code) return failAt(`range ${text[i]}-${text[i + 2]} runs backwards`, i);
      last = endCode;
      i += 2;
    }
    for (let d = code; d <= last; d++) mask |= 1 << (d - CODE_0);
    items++;
    i++;
  }
  if (i >= text.length) return failAt("'[' is never closed", open);
  if (items === 0) return failAt('empty range', open);
  const resolved = negated ? DIGITS_MASK & ~mask : mask;
  if (resolved === 0) return failAt('range excludes every digit', open);
  return { ok: true, value: { mask: resolved, end: i + 1 } };
}

export function parseWildcardPattern(text: string): Result<CompiledPattern, SyntaxProblem> {
  if (text.length === 0) return failAt('empty pattern', 0);
  if (text.length > MAX_PATTERN_LENGTH)
    return failAt(`longer than ${MAX_PATTERN_LENGTH} characters`, MAX_PATTERN_LENGTH);
  const tokens: PatternToken[] = [];
  let sawDot = false;
  let sawBang = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === 'X' || ch === 'x') {
      tokens.push(singleToken(DIGITS_MASK));
      i++;
    } else if (ch === '!') {
      // one `!` keeps the number of ways to split a number over the pattern linear
      if (sawBang) return failAt('only one ! is allowed', i);
      sawBang = true;
      tokens.push(repeatToken(DIGITS_MASK, 1));
      i++;
    } else if (ch === '[') {
      const range = parseDigitRange(text, i);
      if (!range.ok) return range;
      tokens.push(singleToken(range.value.mask));
      i = range.value.end;
    } else if (ch === '.') {
      if (sawDot) return failAt('only one . separator is allowed', i);
      if (tokens.length === 0) return failAt('. cannot start a pattern', i);
      sawDot = true;
      tokens.push(DOT_TOKEN);
      i++;
    } else if (ch === '\\') {
      if (text[i + 1] !== '+') return failAt("'\\' may only escape '+'", i);
      tokens.push(singleToken(keyMask(43)));
      i += 2;
    } else if (ch === '@') {
      return failAt('@ (national numbering plan) is not supported', i);
    } else {
      const mask = keyMask(text.charCodeAt(i));
      if (mask === 0) return failAt(`unexpected character '${ch}'`, i);
      tokens.push(singleToken(mask));
      i++;
    }
  }
  if (tokens[tokens.length - 1] === DOT_TOKEN) return failAt('. cannot end a pattern', text.length - 1);
  return { ok: true, value: { alternatives: [tokens], exact: true } };
}
