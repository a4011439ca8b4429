import { describe, expect, it } from 'vitest';
import {
  compileDialPlan,
  compileTranslationRuleSet,
  parseTranslationRuleLine,
} from '../../../src/dialplan/index.js';
import { mustCompile } from './helpers.js';

describe('translation rule syntax errors carry their position', () => {
  it.each([
    ['*123', 0, 'nothing to repeat'],
    ['12**', 3, 'follows another repetition'],
    ['\\(.*\\)*', 6, 'nested repetition'],
    ['\\(12', 0, 'never closed'],
    ['12\\)', 2, "')' without '('"],
    ['1[2', 1, 'never closed'],
    ['1[]', 1, 'empty list'],
    ['[9-1]', 1, 'runs backwards'],
    ['1\\', 1, 'at the end'],
    ['.*.*.*.*', 7, 'unbounded repetitions'],
  ])('match %j fails at %i', (match, position, message) => {
    const set = compileTranslationRuleSet({ id: 7, rules: [{ precedence: 1, match, replace: '' }] });
    expect(set.ok).toBe(false);
    if (!set.ok)
      expect(set.error).toEqual([
        { path: 'rules[0].match', message: expect.stringContaining(message), position },
      ]);
  });

  it('rejects a replacement that names a group the match lacks', () => {
    const set = compileTranslationRuleSet({
      id: 7,
      rules: [{ precedence: 1, match: '^9\\(.*\\)', replace: '0\\2' }],
    });
    expect(set.ok).toBe(false);
    if (!set.ok) expect(set.error[0]).toMatchObject({ path: 'rules[0].replace', position: 1 });
  });

  it('holds at most 15 rules and unique precedences', () => {
    const sixteen = Array.from({ length: 16 }, (_, i) => ({ precedence: i + 1, match: `${i}`, replace: '' }));
    expect(compileTranslationRuleSet({ id: 1, rules: sixteen }).ok).toBe(false);
    expect(compileTranslationRuleSet({ id: 1, rules: sixteen.slice(0, 15) }).ok).toBe(true);
    const twice = [
      { precedence: 3, match: '1', replace: '' },
      { precedence: 3, match: '2', replace: '' },
    ];
    expect(compileTranslationRuleSet({ id: 1, rules: twice })).toMatchObject({
      ok: false,
      error: [{ path: 'rules[1].precedence', message: 'duplicate rule 3' }],
    });
  });

  it('tries rules by precedence, not by the order they are listed in', () => {
    const set = compileTranslationRuleSet({
      id: 1,
      rules: [
        { precedence: 5, match: '^1', replace: 'five' },
        { precedence: 2, match: '^1', replace: 'two' },
      ],
    });
    if (!set.ok) throw new Error('compile');
    expect(set.value.rules.map((r) => r.precedence)).toEqual([2, 5]);
  });

  it.each([
    ['rule 1 /123/', 12, "expected '/'"],
    ['rule x /1/ /2/', 5, 'precedence'],
    ['rules 1 /1/ /2/', 0, "expected 'rule'"],
    ['rule 1 /1/ /2/ type national', 28, "unknown type ''"],
    ['rule 1 /1/ /2/ plan isdn bogus', 25, "unknown plan 'bogus'"],
    ['rule 1 /1 /2/', 11, "expected '/'"],
    ['rule 1 /1/ /2', 11, 'never closed'],
  ])('rule line %j fails at %i', (line, position, message) => {
    const parsed = parseTranslationRuleLine(line);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.position).toBe(position);
      expect(parsed.error.message).toContain(message);
    }
  });

  it('reads a reject rule with type and plan conditions', () => {
    expect(parseTranslationRuleLine('rule 3 reject /^1900/ type any any plan isdn isdn')).toEqual({
      ok: true,
      value: {
        precedence: 3,
        match: '^1900',
        reject: true,
        type: { match: 'any', replace: 'any' },
        plan: { match: 'isdn', replace: 'isdn' },
      },
    });
  });
});

describe('translation profiles in analysis', () => {
  const plan = mustCompile({
    version: 1,
    translationRules: [
      { id: 10, rules: [{ precedence: 1, match: '^1900', reject: true }] },
      { id: 11, rules: [{ precedence: 1, match: '^0', replace: '' }] },
    ],
    translationProfiles: [
      { name: 'block-premium', called: 10 },
      { name: 'strip-zero', calling: 11 },
    ],
    dialPeers: [
      { tag: 1, kind: 'voip', incomingCalledNumber: '.%', translationProfileIncoming: 'block-premium' },
      {
        tag: 2,
        kind: 'voip',
        destinationPattern: '1T',
        sessionTarget: 'dns:carrier.example',
        translationProfileOutgoing: 'block-premium',
      },
      {
        tag: 3,
        kind: 'voip',
        destinationPattern: '2...$',
        sessionTarget: 'ipv4:192.0.2.3:5060',
        translationProfileOutgoing: 'strip-zero',
      },
    ],
  });

  it('blocks when a reject rule matches, inbound or outbound', () => {
    expect(plan.analyse({ dialed: '19005550100', fromTrunk: true })).toMatchObject({
      outcome: 'blocked',
      inboundDialPeer: 1,
    });
    expect(plan.analyse({ dialed: '19005550100' })).toMatchObject({ outcome: 'blocked', route: { tag: 2 } });
    expect(plan.analyse({ dialed: '18005550100' })).toMatchObject({
      outcome: 'routed',
      destination: { kind: 'address', target: 'dns:carrier.example' },
    });
  });

  it('translates the calling number through the outgoing profile', () => {
    expect(plan.analyse({ dialed: '2000', calling: '0412345678' })).toMatchObject({
      calling: '412345678',
      destination: { kind: 'address', target: 'ipv4:192.0.2.3:5060' },
    });
  });

  it('reports references to unknown rule sets and profiles', () => {
    const compiled = compileDialPlan({
      version: 1,
      translationProfiles: [{ name: 'p', called: 99 }],
      dialPeers: [{ tag: 1, kind: 'voip', translationProfileOutgoing: 'q', digitStrip: false }],
    });
    expect(compiled).toMatchObject({
      ok: false,
      error: [
        { path: 'translationProfiles[0].called', message: 'unknown voice translation-rule 99' },
        { path: 'dialPeers[0].translationProfileOutgoing', message: "unknown voice translation-profile 'q'" },
        { path: 'dialPeers[0].digitStrip', message: 'applies to POTS dial-peers only' },
      ],
    });
  });
});
