/**
 * The common compiled form of both pattern syntaxes (CUCM wildcards and IOS destination-patterns):
 * a sequence of positions, each a key mask repeated `min`…`max` times. Groups with `?`, `%` or `+`
 * are expanded into alternative sequences at compile time, so the matcher needs no backtracking
 * over nested structure.
 */
import { MAX_NUMBER_LENGTH } from './alphabet.js';

export interface PatternToken {
  readonly mask: number;
  readonly min: number;
  readonly max: number;
}

/** Zero-width marker of the CUCM `.` separator: where PreDot discard cuts the number. */
export const DOT_TOKEN: PatternToken = Object.freeze({ mask: 0, min: 0, max: 0 });

export function isDotToken(token: PatternToken): boolean {
  return token.max === 0;
}

export function singleToken(mask: number): PatternToken {
  return { mask, min: 1, max: 1 };
}

export function repeatToken(mask: number, min: number): PatternToken {
  return { mask, min, max: MAX_NUMBER_LENGTH };
}

export interface CompiledPattern {
  /** One or more token sequences; the pattern matches when any of them does. */
  readonly alternatives: readonly (readonly PatternToken[])[];
  /** The whole number must be consumed. False for IOS patterns without `$`: they match a prefix. */
  readonly exact: boolean;
}

/** Number of leading single literal keys: the digits IOS strips on a POTS dial-peer. */
export function literalPrefixLength(tokens: readonly PatternToken[]): number {
  let count = 0;
  for (const token of tokens) {
    if (isDotToken(token)) continue;
    if (token.min !== 1 || token.max !== 1 || (token.mask & (token.mask - 1)) !== 0) break;
    count++;
  }
  return count;
}
