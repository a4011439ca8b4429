import { describe, expect, it } from 'vitest';
import {
  compileTranslationRuleSet,
  parseTranslationRuleLine,
  type RuleTestInput,
  type TranslationRuleConfig,
  testRuleSet,
} from '../../../src/dialplan/index.js';
import { readTestdata } from './testdata.js';

interface Vector {
  id: string;
  rules: TranslationRuleConfig[];
  input: RuleTestInput;
  expected: string;
  note: string;
}

function parseInput(text: string): RuleTestInput {
  if (text === '(empty)') return { number: '' };
  const attributes = /^(\S*) \((?:type (\w+))?\s*(?:plan (\w+))?\)$/.exec(text);
  if (attributes === null) return { number: text };
  const input: RuleTestInput = { number: attributes[1]! };
  if (attributes[2] !== undefined) input.type = attributes[2];
  if (attributes[3] !== undefined) input.plan = attributes[3];
  return input;
}

function loadVectors(): Vector[] {
  const lines = readTestdata('cisco-cme-dialplan/voice-translation-rule-vectors.tsv').split('\n');
  expect(lines[0]).toBe('id\trules\tinput\texpected\tsource\tnote');
  return lines
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id, rules, input, expected, , note] = line.split('\t') as [
        string,
        string,
        string,
        string,
        string,
        string?,
      ];
      return {
        id,
        rules: rules.split(' ; ').map((text) => {
          const parsed = parseTranslationRuleLine(text);
          if (!parsed.ok)
            throw new Error(`vector ${id}: ${parsed.error.message} at ${parsed.error.position}`);
          return parsed.value;
        }),
        input: parseInput(input),
        expected,
        note: note ?? '',
      };
    });
}

const vectors = loadVectors();

describe('IOS voice translation-rule vectors (testdata/cisco-cme-dialplan)', () => {
  it('reads every row of the TSV', () => {
    expect(vectors.length).toBe(58);
  });

  it.each(vectors.map((v) => [v.id, v] as const))('vector %s', (_id, vector) => {
    const set = compileTranslationRuleSet({ id: 1, rules: vector.rules });
    if (!set.ok) throw new Error(JSON.stringify(set.error));
    const result = testRuleSet(set.value, vector.input);
    if (vector.expected === 'NO MATCH') {
      expect(result).toEqual({ outcome: 'unmatched', number: vector.input.number });
    } else if (vector.expected.startsWith('BLOCKED')) {
      expect(result.outcome).toBe('rejected');
    } else {
      const expected = vector.expected === '(empty)' ? '' : vector.expected;
      expect(result.number).toBe(expected);
      // the Cisco table lists a non-matching rule's row with the number unchanged
      expect(result.outcome).toBe(vector.note.includes('no change') ? 'unmatched' : 'translated');
    }
  });

  it('keeps the number type a matching rule rewrites to (61083 type/plan example 1)', () => {
    const set = compileTranslationRuleSet({ id: 1, rules: vectors.find((v) => v.id === '22')!.rules });
    if (!set.ok) throw new Error('compile');
    expect(testRuleSet(set.value, { number: '493456567', type: 'national' })).toEqual({
      outcome: 'translated',
      number: '90493456567',
      type: 'national',
      rule: 1,
    });
    expect(testRuleSet(set.value, { number: '493456567', type: 'international' })).toMatchObject({ rule: 2 });
    expect(testRuleSet(set.value, { number: '493456567' })).toEqual({
      outcome: 'unmatched',
      number: '493456567',
    });
  });
});
