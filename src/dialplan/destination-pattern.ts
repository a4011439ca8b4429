/**
 * IOS dial-peer number patterns (`destination-pattern`, `incoming called-number`, `answer-address`),
 * per Cisco 211306 "Wildcard Table" and the IOS Voice Command Reference: digits, `A`-`D`, `*`, `#`
 * (literal keys), `.` (any one key), `[ ]` sets with `^` and `,`, `( )` groups, `?` (zero or one),
 * `%` (zero or more), `+` (one or more; a leading `+` is the literal E.164 plus), `^`/`$` anchors,
 * `,` (a pause, ignored for analysis), `\` escapes, and a final `T` (up to 32 further keys).
 *
 * Without `$` an IOS pattern matches the leading keys of a longer number (Cisco 14074: enbloc
 * `81690` matches `destination-pattern 816`), so the compiled pattern is marked non-exact.
 */
import { ANY_KEY_MASK, keyMask, MAX_NUMBER_LENGTH } from './alphabet.js';
import { parseDigitRange } from './cisco-wildcard.js';
import { type CompiledPattern, type PatternToken, repeatToken, singleToken } from './pattern-tokens.js';
import { failAt } from './syntax.js';
import type { Result, SyntaxProblem } from './types.js';

const MAX_PATTERN_LENGTH = 64;
/** Bound on the sequences a pattern with grouped `?`, `%`, `+` may expand into. */
const MAX_ALTERNATIVES = 64;

/** Each open-ended repetition multiplies the ways a number can be split over the pattern. */
const MAX_OPEN_REPEATS = 3;

type Alternatives = PatternToken[][];

interface ParsedSequence {
  alternatives: Alternatives;
  end: number;
  exact: boolean;
}

export function parseDestinationPattern(text: string): Result<CompiledPattern, SyntaxProblem> {
  if (text.length > MAX_PATTERN_LENGTH)
    return failAt(`longer than ${MAX_PATTERN_LENGTH} characters`, MAX_PATTERN_LENGTH);
  const parsed = parseSequence(text, 0, false);
  if (!parsed.ok) return parsed;
  const { alternatives, exact } = parsed.value;
  if (alternatives.every((tokens) => tokens.length === 0)) return failAt('pattern matches no digits', 0);
  if (
    alternatives.some((tokens) => tokens.filter((t) => t.max === MAX_NUMBER_LENGTH).length > MAX_OPEN_REPEATS)
  ) {
    return failAt(`more than ${MAX_OPEN_REPEATS} open-ended repetitions (%, +, T)`, 0);
  }
  return { ok: true, value: { alternatives, exact } };
}

function parseSequence(text: string, start: number, inGroup: boolean): Result<ParsedSequence, SyntaxProblem> {
  let alternatives: Alternatives = [[]];
  let exact = false;
  let atoms = 0;
  let i = start;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === ')') {
      if (inGroup) return { ok: true, value: { alternatives, end: i, exact } };
      return failAt("')' without '('", i);
    }
    if (ch === '^') {
      if (i !== 0) return failAt('^ may only start the pattern', i);
      i++;
      continue;
    }
    if (ch === '$') {
      if (inGroup || i !== text.length - 1) return failAt('$ may only end the pattern', i);
      exact = true;
      i++;
      continue;
    }
    if (ch === ',') {
      i++; // a one-second pause while dialling out; no digit
      continue;
    }
    if (ch === 'T') {
      const last = text.length - (text.endsWith('$') ? 2 : 1);
      if (inGroup || i !== last) return failAt('T may only end the pattern', i);
      if (atoms === 0) return failAt('T must follow digits or . (use .T)', i);
      alternatives = alternatives.map((tokens) => [...tokens, repeatToken(ANY_KEY_MASK, 0)]);
      i++;
      continue;
    }
    const atom = parseAtom(text, i, atoms === 0 && !inGroup);
    if (!atom.ok) return atom;
    atoms++;
    i = atom.value.end;
    let atomAlternatives = atom.value.alternatives;
    const quantifier = text[i];
    if (quantifier === '?' || quantifier === '%' || quantifier === '+') {
      const repeated = repeatAtom(atom.value, quantifier, i);
      if (!repeated.ok) return repeated;
      atomAlternatives = repeated.value;
      i++;
    }
    const joined = concatenate(alternatives, atomAlternatives);
    if (joined === null)
      return failAt(`pattern expands to more than ${MAX_ALTERNATIVES} alternatives`, atom.value.start);
    alternatives = joined;
  }
  if (inGroup) return failAt("'(' is never closed", start - 1);
  return { ok: true, value: { alternatives, end: i, exact } };
}

interface ParsedAtom {
  start: number;
  end: number;
  /** Set for a single position, which repeats as one token; groups repeat by expansion. */
  single: PatternToken | null;
  alternatives: Alternatives;
}

function parseAtom(text: string, i: number, leading: boolean): Result<ParsedAtom, SyntaxProblem> {
  const ch = text[i]!;
  const single = (mask: number, end: number): Result<ParsedAtom, SyntaxProblem> => {
    const token = singleToken(mask);
    return { ok: true, value: { start: i, end, single: token, alternatives: [[token]] } };
  };
  if (ch === '(') {
    const inner = parseSequence(text, i + 1, true);
    if (!inner.ok) return inner;
    return {
      ok: true,
      value: { start: i, end: inner.value.end + 1, single: null, alternatives: inner.value.alternatives },
    };
  }
  if (ch === '[') {
    const range = parseDigitRange(text, i);
    return range.ok ? single(range.value.mask, range.value.end) : range;
  }
  if (ch === '.') return single(ANY_KEY_MASK, i + 1);
  if (ch === '\\') {
    const mask = i + 1 < text.length ? keyMask(text.charCodeAt(i + 1)) : 0;
    return mask === 0 ? failAt("'\\' must escape a dialable key", i) : single(mask, i + 2);
  }
  if (ch === '+' && leading) return single(keyMask(43), i + 1);
  if (ch === '?' || ch === '%' || ch === '+') return failAt(`'${ch}' must follow a digit, . , [ ] or ( )`, i);
  const mask = keyMask(text.charCodeAt(i));
  return mask === 0 ? failAt(`unexpected character '${ch}'`, i) : single(mask, i + 1);
}

function repeatAtom(
  atom: ParsedAtom,
  quantifier: string,
  position: number,
): Result<Alternatives, SyntaxProblem> {
  const min = quantifier === '+' ? 1 : 0;
  if (atom.single !== null) {
    const max = quantifier === '?' ? 1 : MAX_NUMBER_LENGTH;
    return { ok: true, value: [[{ mask: atom.single.mask, min, max }]] };
  }
  const group = atom.alternatives;
  const shortest = Math.min(...group.map(minimumLength));
  if (shortest === 0) return failAt('a repeated group must match at least one digit', position);
  const maxRepeats = quantifier === '?' ? 1 : Math.floor(MAX_NUMBER_LENGTH / shortest);
  const result: Alternatives = min === 0 ? [[]] : [];
  let power: Alternatives = [[]];
  for (let repeats = 1; repeats <= maxRepeats; repeats++) {
    const next = concatenate(power, group);
    if (next === null || result.length + next.length > MAX_ALTERNATIVES) {
      return failAt(`repeated group expands to more than ${MAX_ALTERNATIVES} alternatives`, position);
    }
    power = next;
    result.push(...power);
  }
  return { ok: true, value: result };
}

function minimumLength(tokens: readonly PatternToken[]): number {
  let length = 0;
  for (const token of tokens) length += token.min;
  return length;
}

/** Every sequence of `left` followed by every sequence of `right`; null past the bound. */
function concatenate(left: Alternatives, right: Alternatives): Alternatives | null {
  if (left.length * right.length > MAX_ALTERNATIVES) return null;
  const out: Alternatives = [];
  for (const head of left) for (const tail of right) out.push([...head, ...tail]);
  return out;
}
