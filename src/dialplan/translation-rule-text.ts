/**
 * Reads one IOS rule line as typed under `voice translation-rule N`:
 * `rule <precedence> /match/ /replace/ [type <match> <replace>] [plan <match> <replace>]` or
 * `rule <precedence> reject /match/ [type …] [plan …]`. Positions in errors are offsets in the line.
 */
import { failAt } from './syntax.js';
import { NUMBER_TYPES, NUMBERING_PLANS } from './translation-rule.js';
import type { NumberAttributeRewrite, Result, SyntaxProblem, TranslationRuleConfig } from './types.js';

const MAX_LINE = 512;

export function parseTranslationRuleLine(line: string): Result<TranslationRuleConfig, SyntaxProblem> {
  if (line.length > MAX_LINE) return failAt(`longer than ${MAX_LINE} characters`, MAX_LINE);
  const cursor = { at: 0 };
  const keyword = word(line, cursor);
  if (keyword.text !== 'rule') return failAt("expected 'rule'", keyword.start);
  const precedenceWord = word(line, cursor);
  const precedence = Number(precedenceWord.text);
  if (!/^\d{1,3}$/.test(precedenceWord.text) || precedence < 1 || precedence > 100) {
    return failAt('expected a rule precedence 1-100', precedenceWord.start);
  }
  const rule: TranslationRuleConfig = { precedence, match: '' };
  skipSpaces(line, cursor);
  if (line.startsWith('reject', cursor.at)) {
    rule.reject = true;
    cursor.at += 'reject'.length;
  }
  const match = delimited(line, cursor);
  if (!match.ok) return match;
  rule.match = match.value;
  if (!rule.reject) {
    const replace = delimited(line, cursor);
    if (!replace.ok) return replace;
    rule.replace = replace.value;
  }
  for (;;) {
    const attribute = word(line, cursor);
    if (attribute.text === '') break;
    const known =
      attribute.text === 'type' ? NUMBER_TYPES : attribute.text === 'plan' ? NUMBERING_PLANS : null;
    if (known === null || rule[attribute.text as 'type' | 'plan'] !== undefined) {
      return failAt(`unexpected '${attribute.text}'`, attribute.start);
    }
    const from = word(line, cursor);
    const to = word(line, cursor);
    for (const value of [from, to]) {
      if (!known.has(value.text)) return failAt(`unknown ${attribute.text} '${value.text}'`, value.start);
    }
    const rewrite: NumberAttributeRewrite = { match: from.text, replace: to.text };
    if (attribute.text === 'type') rule.type = rewrite;
    else rule.plan = rewrite;
  }
  return { ok: true, value: rule };
}

function skipSpaces(line: string, cursor: { at: number }): void {
  while (cursor.at < line.length && (line[cursor.at] === ' ' || line[cursor.at] === '\t')) cursor.at++;
}

function word(line: string, cursor: { at: number }): { text: string; start: number } {
  skipSpaces(line, cursor);
  const start = cursor.at;
  while (cursor.at < line.length && line[cursor.at] !== ' ' && line[cursor.at] !== '\t') cursor.at++;
  return { text: line.slice(start, cursor.at), start };
}

/** `/text/` where `\/` does not end the text; the backslash stays for the regex reader. */
function delimited(line: string, cursor: { at: number }): Result<string, SyntaxProblem> {
  skipSpaces(line, cursor);
  const open = cursor.at;
  if (line[open] !== '/') return failAt("expected '/'", open);
  let i = open + 1;
  while (i < line.length && line[i] !== '/') i += line[i] === '\\' ? 2 : 1;
  if (i >= line.length) return failAt("'/' is never closed", open);
  cursor.at = i + 1;
  return { ok: true, value: line.slice(open + 1, i) };
}
