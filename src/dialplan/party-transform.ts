/**
 * CUCM called/calling party transformations on route and translation patterns. CUCM applies them
 * in a fixed order: discard digits (PreDot), then the transform mask, then the prefix digits.
 */
import { keyMask } from './alphabet.js';
import { failAt } from './syntax.js';
import type { PartyTransform, Result, SyntaxProblem } from './types.js';

const MAX_TRANSFORM_LENGTH = 32;

export interface CompiledTransform {
  readonly discardPreDot: boolean;
  readonly mask: string;
  readonly prefix: string;
}

export function compileTransform(
  transform: PartyTransform,
): Result<CompiledTransform, SyntaxProblem & { field: 'mask' | 'prefix' | 'discard' }> {
  const discard = transform.discard;
  if (discard !== undefined && discard !== 'predot') {
    return { ok: false, error: { field: 'discard', message: "discard must be 'predot'", position: 0 } };
  }
  const mask = transform.mask ?? '';
  const prefix = transform.prefix ?? '';
  for (const [field, text, allowX] of [
    ['mask', mask, true],
    ['prefix', prefix, false],
  ] as const) {
    const problem = checkDigits(text, allowX);
    if (problem !== null) return { ok: false, error: { ...problem, field } };
  }
  return { ok: true, value: { discardPreDot: discard === 'predot', mask, prefix } };
}

function checkDigits(text: string, allowX: boolean): SyntaxProblem | null {
  if (text.length > MAX_TRANSFORM_LENGTH) return failAt('too long', MAX_TRANSFORM_LENGTH).error;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (keyMask(text.charCodeAt(i)) === 0 && !(allowX && (ch === 'X' || ch === 'x'))) {
      return failAt(`unexpected character '${ch}'`, i).error;
    }
  }
  return null;
}

/**
 * Applies `transform` to `number`; `preDotLength` is how many characters the pattern matched
 * before its `.` (-1 when it has none, and then PreDot discards nothing).
 */
export function applyTransform(transform: CompiledTransform, number: string, preDotLength: number): string {
  let result = transform.discardPreDot && preDotLength > 0 ? number.slice(preDotLength) : number;
  const mask = transform.mask;
  if (mask !== '') {
    // right-aligned: a mask digit replaces, X keeps the digit under it; digits left of the mask
    // are dropped and mask positions left of the number keep only their literal digits
    let masked = '';
    const offset = result.length - mask.length;
    for (let i = 0; i < mask.length; i++) {
      const ch = mask[i]!;
      if (ch === 'X' || ch === 'x') {
        if (offset + i >= 0) masked += result[offset + i];
      } else {
        masked += ch;
      }
    }
    result = masked;
  }
  return transform.prefix === '' ? result : transform.prefix + result;
}
