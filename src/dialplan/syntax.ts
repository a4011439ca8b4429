import type { SyntaxProblem } from './types.js';

/** The failure half of a parser Result, for patterns and rules alike. */
export function failAt(message: string, position: number): { ok: false; error: SyntaxProblem } {
  return { ok: false, error: { message, position } };
}
