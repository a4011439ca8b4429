/**
 * IOS `voice translation-rule` sets (Cisco 61083, 64020; R-TRUNK-31). A rule is one sed
 * substitution `s/match/replace/` without the `g` flag: the first match in the number is replaced
 * and the rest of the number is kept; there is no implied `^`. Within a set the rules are tried by
 * precedence and the first one that matches applies. Patterns are compiled to RegExp once, here.
 *
 * Dialect: `^ $ . * + ? % [list] [^list] [a-b]`; groups are `\( \)` and, as in the CME example
 * configuration, bare `( )`; `\x` makes x literal. Replacement: `\0`-`\9` (`\0` and `&` are the
 * whole match), `\x` a literal x. Nested repetition (`\(.*\)*`) is refused so a hostile rule cannot
 * make a match backtrack exponentially.
 */
import { failAt } from './syntax.js';
import type { NumberAttributeRewrite, Result, SyntaxProblem, TranslationRuleConfig } from './types.js';

/** `voice translation-rule` holds at most 15 rules. */
export const MAX_RULES_PER_SET = 15;
const MAX_RULE_TEXT = 128;
/** Numbers longer than this are passed through untranslated: no rule can see unbounded input. */
export const MAX_TRANSLATED_LENGTH = 64;
/** Unbounded repetitions per rule; each multiplies the worst-case backtracking by the input length. */
const MAX_OPEN_REPEATS = 3;

export const NUMBER_TYPES: ReadonlySet<string> = new Set([
  'any',
  'abbreviated',
  'international',
  'national',
  'none',
  'reserved',
  'subscriber',
  'unknown',
]);
export const NUMBERING_PLANS: ReadonlySet<string> = new Set([
  'any',
  'data',
  'ermes',
  'isdn',
  'national',
  'none',
  'private',
  'reserved',
  'telex',
  'unknown',
]);

/** A replacement is literal text and group references (0 = the whole match). */
type ReplacementPart = string | number;

export interface CompiledRule {
  readonly precedence: number;
  /** `translation-rule <set> rule <precedence>`, for analysis traces. */
  readonly label: string;
  readonly reject: boolean;
  readonly regex: RegExp;
  readonly replacement: readonly ReplacementPart[];
  readonly type: NumberAttributeRewrite | undefined;
  readonly plan: NumberAttributeRewrite | undefined;
}

export interface CompiledRuleSet {
  readonly id: number;
  /** Sorted by precedence. */
  readonly rules: readonly CompiledRule[];
}

/** Which half of a rule a syntax problem is in. */
export type RuleProblem = SyntaxProblem & { field: 'match' | 'replace' };

export function compileTranslationRule(
  setId: number,
  rule: TranslationRuleConfig,
): Result<CompiledRule, RuleProblem> {
  const match = translateMatch(rule.match);
  if (!match.ok) return { ok: false, error: { ...match.error, field: 'match' } };
  let replacement: ReplacementPart[] = [];
  if (!rule.reject) {
    const parsed = parseReplacement(rule.replace ?? '', match.value.groups);
    if (!parsed.ok) return { ok: false, error: { ...parsed.error, field: 'replace' } };
    replacement = parsed.value;
  }
  let regex: RegExp;
  try {
    regex = new RegExp(match.value.source, 's');
  } catch (error) {
    // translateMatch emits only constructs RegExp accepts; this is a last line of defence
    return { ok: false, error: { field: 'match', message: String(error), position: 0 } };
  }
  return {
    ok: true,
    value: {
      precedence: rule.precedence,
      label: `translation-rule ${setId} rule ${rule.precedence}`,
      reject: rule.reject === true,
      regex,
      replacement,
      type: rule.type,
      plan: rule.plan,
    },
  };
}

const REGEX_SPECIAL = new Set('\\^$.*+?()[]{}|/-');
const CLASS_SPECIAL = new Set('\\]^-[');

function escapeLiteral(ch: string): string {
  return REGEX_SPECIAL.has(ch) ? `\\${ch}` : ch;
}

interface GroupFrame {
  position: number;
  hasRepeat: boolean;
}

function translateMatch(text: string): Result<{ source: string; groups: number }, SyntaxProblem> {
  if (text.length > MAX_RULE_TEXT) return failAt(`longer than ${MAX_RULE_TEXT} characters`, MAX_RULE_TEXT);
  let source = '';
  let groups = 0;
  let openRepeats = 0;
  const open: GroupFrame[] = [];
  /** What a quantifier here would apply to. */
  let previous: 'nothing' | 'atom' | 'group' | 'quantifier' = 'nothing';
  let previousGroupRepeats = false;
  let i = 0;
  while (i < text.length) {
    let ch = text[i]!;
    let escaped = false;
    if (ch === '\\') {
      if (i + 1 >= text.length) return failAt("'\\' at the end of the pattern", i);
      ch = text[i + 1]!;
      escaped = true;
    }
    const width = escaped ? 2 : 1;
    if (ch === '(') {
      open.push({ position: i, hasRepeat: false });
      groups++;
      source += '(';
      previous = 'nothing';
    } else if (ch === ')') {
      const frame = open.pop();
      if (frame === undefined) return failAt("')' without '('", i);
      source += ')';
      previous = 'group';
      previousGroupRepeats = frame.hasRepeat;
    } else if (escaped) {
      source += escapeLiteral(ch);
      previous = 'atom';
    } else if (ch === '[') {
      const list = translateList(text, i);
      if (!list.ok) return list;
      source += list.value.source;
      previous = 'atom';
      i = list.value.end;
      continue;
    } else if (ch === '*' || ch === '+' || ch === '?' || ch === '%') {
      if (previous === 'nothing') return failAt(`'${ch}' has nothing to repeat`, i);
      if (previous === 'quantifier') return failAt(`'${ch}' follows another repetition`, i);
      if (previous === 'group' && previousGroupRepeats)
        return failAt('nested repetition is not supported', i);
      if (ch !== '?' && ++openRepeats > MAX_OPEN_REPEATS) {
        return failAt(`more than ${MAX_OPEN_REPEATS} unbounded repetitions`, i);
      }
      for (const frame of open) frame.hasRepeat = true;
      source += ch === '%' ? '*' : ch;
      previous = 'quantifier';
    } else if (ch === '^' || ch === '$') {
      source += ch;
      previous = 'nothing';
    } else if (ch === '.') {
      source += '.';
      previous = 'atom';
    } else {
      source += escapeLiteral(ch);
      previous = 'atom';
    }
    i += width;
  }
  const unclosed = open.pop();
  if (unclosed !== undefined) return failAt("'(' is never closed", unclosed.position);
  return { ok: true, value: { source, groups } };
}

/** `[list]`, `[^list]`, ranges `a-b`; returns the JS class and the index after `]`. */
function translateList(text: string, start: number): Result<{ source: string; end: number }, SyntaxProblem> {
  let i = start + 1;
  let source = '[';
  if (text[i] === '^') {
    source += '^';
    i++;
  }
  let items = 0;
  while (i < text.length && text[i] !== ']') {
    let ch = text[i]!;
    if (ch === '\\') {
      if (i + 1 >= text.length) break;
      ch = text[++i]!;
    }
    if (text[i + 1] === '-' && i + 2 < text.length && text[i + 2] !== ']') {
      const last = text[i + 2]!;
      if (last < ch) return failAt(`range ${ch}-${last} runs backwards`, i);
      source += `${escapeClass(ch)}-${escapeClass(last)}`;
      i += 3;
    } else {
      source += escapeClass(ch);
      i++;
    }
    items++;
  }
  if (i >= text.length) return failAt("'[' is never closed", start);
  if (items === 0) return failAt('empty list', start);
  return { ok: true, value: { source: `${source}]`, end: i + 1 } };
}

function escapeClass(ch: string): string {
  return CLASS_SPECIAL.has(ch) ? `\\${ch}` : ch;
}

function parseReplacement(text: string, groups: number): Result<ReplacementPart[], SyntaxProblem> {
  if (text.length > MAX_RULE_TEXT) return failAt(`longer than ${MAX_RULE_TEXT} characters`, MAX_RULE_TEXT);
  const parts: ReplacementPart[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') parts.push(literal);
    literal = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '&') {
      flush();
      parts.push(0);
    } else if (ch === '\\') {
      const next = text[i + 1];
      if (next === undefined) return failAt("'\\' at the end of the replacement", i);
      if (next >= '0' && next <= '9') {
        const group = next.charCodeAt(0) - 48;
        if (group > groups) return failAt(`\\${group} refers to a group the match does not have`, i);
        flush();
        parts.push(group);
      } else {
        literal += next;
      }
      i++;
    } else {
      literal += ch;
    }
  }
  flush();
  return { ok: true, value: parts };
}

/** Status of one rule-set application. */
export const RULES_UNMATCHED = 0;
export const RULES_TRANSLATED = 1;
export const RULES_REJECTED = 2;
export type RuleSetStatus = typeof RULES_UNMATCHED | typeof RULES_TRANSLATED | typeof RULES_REJECTED;

/** Output of `applyRuleSet`, reused by the caller so a translation allocates only its string. */
export interface RuleOutput {
  number: string;
  type: string | undefined;
  plan: string | undefined;
  /** The rule that matched. */
  rule: CompiledRule | null;
}

export function newRuleOutput(): RuleOutput {
  return { number: '', type: undefined, plan: undefined, rule: null };
}

function attributeMatches(condition: NumberAttributeRewrite | undefined, value: string | undefined): boolean {
  // 64020: a rule with `type national …` does not match a number without a type
  return condition === undefined || condition.match === 'any' || condition.match === value;
}

function rewriteAttribute(condition: NumberAttributeRewrite | undefined, value: string | undefined) {
  return condition === undefined || condition.replace === 'any' ? value : condition.replace;
}

export function applyRuleSet(
  set: CompiledRuleSet,
  number: string,
  type: string | undefined,
  plan: string | undefined,
  out: RuleOutput,
): RuleSetStatus {
  if (number.length > MAX_TRANSLATED_LENGTH) return RULES_UNMATCHED;
  for (const rule of set.rules) {
    if (!attributeMatches(rule.type, type) || !attributeMatches(rule.plan, plan)) continue;
    const match = rule.regex.exec(number);
    if (match === null) continue;
    out.rule = rule;
    if (rule.reject) return RULES_REJECTED;
    let replaced = number.slice(0, match.index);
    for (const part of rule.replacement) replaced += typeof part === 'string' ? part : (match[part] ?? '');
    out.number = replaced + number.slice(match.index + match[0].length);
    out.type = rewriteAttribute(rule.type, type);
    out.plan = rewriteAttribute(rule.plan, plan);
    return RULES_TRANSLATED;
  }
  return RULES_UNMATCHED;
}

export interface RuleTestInput {
  number: string;
  type?: string;
  plan?: string;
}

export type RuleTestResult =
  | { outcome: 'translated'; number: string; type?: string; plan?: string; rule: number }
  | { outcome: 'unmatched'; number: string }
  | { outcome: 'rejected'; number: string; rule: number };

/** The equivalent of IOS `test voice translation-rule <set> <number> [type …] [plan …]`. */
export function testRuleSet(set: CompiledRuleSet, input: RuleTestInput): RuleTestResult {
  const out = newRuleOutput();
  const status = applyRuleSet(set, input.number, input.type, input.plan, out);
  if (status === RULES_UNMATCHED || out.rule === null) return { outcome: 'unmatched', number: input.number };
  if (status === RULES_REJECTED)
    return { outcome: 'rejected', number: input.number, rule: out.rule.precedence };
  const result: RuleTestResult = { outcome: 'translated', number: out.number, rule: out.rule.precedence };
  if (out.type !== undefined) result.type = out.type;
  if (out.plan !== undefined) result.plan = out.plan;
  return result;
}
