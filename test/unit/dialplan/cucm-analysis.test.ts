import { describe, expect, it } from 'vitest';
import { compileDialPlan, MAX_HOPS, parseWildcardPattern } from '../../../src/dialplan/index.js';
import { mustCompile, routePlan } from './helpers.js';

function trunkFor(plan: ReturnType<typeof routePlan>, dialed: string): string | null {
  const result = plan.analyse({ dialed });
  return result.destination?.kind === 'trunk' ? result.destination.name : null;
}

describe('Cisco wildcard patterns', () => {
  const rows: [string, string[], string[]][] = [
    ['2XXX', ['2000', '2999'], ['3000', '200', '20000']],
    ['9!', ['90', '91234567890'], ['9', '8123']],
    ['9.!', ['90', '95551212'], ['9']],
    ['[1-5]00', ['100', '300', '500'], ['000', '600']],
    ['[^0]XX', ['100', '999'], ['000', '099']],
    ['[135]X', ['10', '39', '59'], ['20', '40']],
    ['*67X', ['*670'], ['#670', '670']],
    ['\\+1X', ['+10'], ['10']],
    ['9!#', ['9123#'], ['9123']],
  ];
  it.each(rows)('%s', (pattern, matching, notMatching) => {
    const plan = routePlan(pattern);
    for (const number of matching) expect(trunkFor(plan, number), number).toBe('T1');
    for (const number of notMatching) expect(trunkFor(plan, number), number).toBeNull();
  });

  it.each([
    ['', 0, 'empty pattern'],
    ['9..X', 2, 'only one . separator'],
    ['.9', 0, '. cannot start'],
    ['9.', 1, '. cannot end'],
    ['9!X!', 3, 'only one !'],
    ['9[1-', 4, 'a range needs a digit'],
    ['9[', 1, 'never closed'],
    ['9[]', 1, 'empty range'],
    ['9[a]', 2, 'only digits'],
    ['9[^0-9]', 1, 'excludes every digit'],
    ['9@', 1, '@'],
    ['9Y', 1, "unexpected character 'Y'"],
    ['\\9', 0, 'may only escape'],
  ])('%j is rejected at %i (%s)', (pattern, position, message) => {
    const parsed = parseWildcardPattern(pattern);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.position).toBe(position);
      expect(parsed.error.message).toContain(message);
    }
  });
});

describe('closest match', () => {
  it('prefers the pattern that matches the fewest numbers', () => {
    const plan = routePlan('9.!', '9.XXXXXXX', '9.[2-9]XXXXXX', '9.5551212', '9.1[2-9]XX[2-9]XXXXXX');
    expect(trunkFor(plan, '95551212')).toBe('T4'); // exact beats every wildcard
    expect(trunkFor(plan, '95551213')).toBe('T3'); // [2-9] admits 8 first digits, X admits 10
    expect(trunkFor(plan, '91551213')).toBe('T2'); // [2-9] does not match 1
    expect(trunkFor(plan, '919195551212')).toBe('T5');
    expect(trunkFor(plan, '9123')).toBe('T1'); // only ! takes any length
    expect(trunkFor(routePlan('9.!', '9.XXXX'), '91234')).toBe('T2'); // same count, but ! admits other lengths
  });

  it('compares patterns of different shape by the numbers of the dialled length they admit', () => {
    // 1XXX admits 1000 four-digit numbers, [12]2XX admits 200: the latter is closer for 1234
    const plan = routePlan('1XXX', '[12]2XX');
    expect(trunkFor(plan, '1234')).toBe('T2');
    expect(trunkFor(plan, '1334')).toBe('T1');
  });

  it('prefers a DN over an equally close route pattern of the same partition order', () => {
    const plan = mustCompile({
      version: 1,
      directoryNumbers: [{ number: '2000', line: 'SEP001122334455-1' }],
      routePatterns: [{ pattern: '2000', target: { kind: 'trunk', name: 'T' } }],
    });
    expect(plan.analyse({ dialed: '2000' }).destination).toEqual({ kind: 'line', line: 'SEP001122334455-1' });
  });
});

describe('partitions and calling search spaces', () => {
  const plan = mustCompile({
    version: 'css-1',
    partitions: ['Internal', 'Local', 'Long', 'Managers'],
    callingSearchSpaces: [
      { name: 'Lobby', partitions: ['Internal'] },
      { name: 'Staff', partitions: ['Internal', 'Local', 'Long'] },
      { name: 'StaffLongFirst', partitions: ['Long', 'Local', 'Internal'] },
    ],
    directoryNumbers: [
      { number: '1000', partition: 'Internal' },
      { number: '1001', partition: 'Managers' },
      { number: '1002' },
    ],
    routePatterns: [
      { pattern: '9.[2-9]XXXXXX', partition: 'Local', target: { kind: 'trunk', name: 'local-gw' } },
      { pattern: '9.[2-9]XXXXXX', partition: 'Long', target: { kind: 'trunk', name: 'long-gw' } },
      { pattern: '9.1[2-9]XX[2-9]XXXXXX', partition: 'Long', target: { kind: 'trunk', name: 'long-gw' } },
    ],
  });

  it('reaches only the partitions of the CSS, plus the <None> partition', () => {
    expect(plan.analyse({ dialed: '1000', css: 'Lobby' }).outcome).toBe('routed');
    expect(plan.analyse({ dialed: '95551212', css: 'Lobby' }).outcome).toBe('unreachable');
    expect(plan.analyse({ dialed: '1001', css: 'Staff' }).outcome).toBe('unreachable');
    expect(plan.analyse({ dialed: '1002', css: 'Lobby' }).outcome).toBe('routed');
    expect(plan.analyse({ dialed: '1000' }).outcome).toBe('unreachable'); // no CSS: <None> only
    expect(plan.analyse({ dialed: '1002' }).outcome).toBe('routed');
  });

  it('breaks a tie between equally close patterns by partition order in the CSS', () => {
    expect(plan.analyse({ dialed: '95551212', css: 'Staff' }).destination).toEqual({
      kind: 'trunk',
      name: 'local-gw',
    });
    expect(plan.analyse({ dialed: '95551212', css: 'StaffLongFirst' }).destination).toEqual({
      kind: 'trunk',
      name: 'long-gw',
    });
  });

  it('lets a closer match in a later partition win over the partition order', () => {
    const result = plan.analyse({ dialed: '914155550100', css: 'Staff' });
    expect(result.route).toEqual({
      kind: 'route-pattern',
      pattern: '9.1[2-9]XX[2-9]XXXXXX',
      partition: 'Long',
    });
  });

  it('reports an unknown CSS instead of guessing', () => {
    expect(plan.analyse({ dialed: '1000', css: 'Nope' })).toMatchObject({
      outcome: 'unreachable',
      reason: 'unknown calling search space',
    });
  });
});

describe('transformations and translation patterns', () => {
  const plan = mustCompile({
    version: 7,
    partitions: ['Internal', 'PSTN', 'Translations'],
    callingSearchSpaces: [
      { name: 'Phones', partitions: ['Translations', 'Internal', 'PSTN'] },
      { name: 'InternalOnly', partitions: ['Internal'] },
      { name: 'TranslationsOnly', partitions: ['Translations'] },
    ],
    directoryNumbers: [{ number: '2001', partition: 'Internal', line: 'alice' }],
    routePatterns: [
      {
        pattern: '9.1[2-9]XX[2-9]XXXXXX',
        partition: 'PSTN',
        target: { kind: 'trunk', name: 'carrier' },
        called: { discard: 'predot' },
        calling: { mask: '5123781XXX' },
      },
      { pattern: '9.1900XXXXXXX', partition: 'PSTN', target: { kind: 'blocked', reason: 'premium rate' } },
      { pattern: '*98', partition: 'Internal', target: { kind: 'pilot', name: 'voicemail' } },
    ],
    translationPatterns: [
      // the DID range rings the extension: keep the last four digits
      { pattern: '51237820XX', partition: 'Translations', css: 'InternalOnly', called: { mask: 'XXXX' } },
      // abbreviated dialling: 8 + extension
      { pattern: '8.20XX', partition: 'Translations', called: { discard: 'predot' } },
      // voicemail access code with a prefix
      { pattern: '98', partition: 'Translations', called: { prefix: '*' } },
      { pattern: '7777', partition: 'Translations', blocked: true },
      // two patterns that send each other's number back: a loop
      { pattern: '6000', partition: 'Translations', css: 'TranslationsOnly', called: { mask: '6001' } },
      { pattern: '6001', partition: 'Translations', css: 'TranslationsOnly', called: { mask: '6000' } },
    ],
  });

  it('applies discard, mask and prefix and records each step', () => {
    const result = plan.analyse({ dialed: '914155550100', calling: '2001', css: 'Phones' });
    expect(result).toMatchObject({
      version: 7,
      outcome: 'routed',
      called: '14155550100',
      calling: '5123781001',
      destination: { kind: 'trunk', name: 'carrier' },
    });
    expect(result.translations).toEqual([
      {
        step: 0,
        field: 'called',
        before: '914155550100',
        after: '14155550100',
        rule: expect.stringContaining('9.1'),
      },
      {
        step: 0,
        field: 'calling',
        before: '2001',
        after: '5123781001',
        rule: expect.stringContaining('9.1'),
      },
    ]);
  });

  it('re-analyses a translated number with the translation pattern CSS', () => {
    const result = plan.analyse({ dialed: '5123782001', calling: '4155550100', css: 'Phones' });
    expect(result).toMatchObject({
      outcome: 'routed',
      called: '2001',
      destination: { kind: 'line', line: 'alice' },
    });
    expect(result.translations).toHaveLength(1);
    expect(result.route).toEqual({ kind: 'directory-number', pattern: '2001', partition: 'Internal' });
  });

  it("falls back to the caller's CSS when the translation pattern has none", () => {
    expect(plan.analyse({ dialed: '82001', css: 'Phones' })).toMatchObject({
      outcome: 'routed',
      called: '2001',
    });
    expect(plan.analyse({ dialed: '98', css: 'Phones' })).toMatchObject({
      called: '*98',
      destination: { kind: 'pilot', name: 'voicemail' },
    });
  });

  it('blocks on a blocked route or translation pattern', () => {
    expect(plan.analyse({ dialed: '919005551234', css: 'Phones' })).toMatchObject({
      outcome: 'blocked',
      reason: 'premium rate',
      destination: null,
    });
    expect(plan.analyse({ dialed: '7777', css: 'Phones' }).outcome).toBe('blocked');
  });

  it('stops a translation loop after the hop limit', () => {
    const result = plan.analyse({ dialed: '6000', css: 'Phones' });
    expect(result.outcome).toBe('loop');
    expect(result.translations).toHaveLength(MAX_HOPS + 1);
  });
});

describe('hostile input', () => {
  const plan = routePlan('9!');
  it.each([
    [{ dialed: '9xyz' }, 'not a dialable number'],
    [{ dialed: '9'.repeat(33) }, 'not a dialable number'],
    [{ dialed: '9'.repeat(65) }, 'number too long'],
    [{ dialed: '91', calling: 'x'.repeat(100) }, 'number too long'],
    [{ dialed: 42 }, 'no dialled number'],
    [null, 'no dialled number'],
    [{ dialed: '91', css: 5 }, 'unknown calling search space'],
    [{ dialed: '91', incomingDialPeer: 9 }, 'unknown inbound dial-peer'],
  ])('%j is unreachable: %s', (input, reason) => {
    // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed input
    expect(plan.analyse(input as any)).toMatchObject({ outcome: 'unreachable', reason });
  });

  it('rejects malformed configuration with every error and its path', () => {
    const compiled = compileDialPlan({
      version: 1,
      partitions: ['A', 'A'],
      callingSearchSpaces: [{ name: 'C', partitions: ['B'] }],
      directoryNumbers: [{ number: '12[3' }],
      routePatterns: [{ pattern: '9.!', partition: 'Z', target: { kind: 'trunk', name: 'T' } }],
      // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed input
      translationPatterns: [{ pattern: '8.XX', called: { mask: '5Q' } } as any],
      dialPeers: [
        { tag: 1, kind: 'voip', destinationPattern: '9[', sessionTarget: 'ipv4:192.0.2.1' },
        { tag: 1, kind: 'voip', destinationPattern: '8', sessionTarget: 'carrier-pigeon' },
      ],
    });
    expect(compiled.ok).toBe(false);
    if (compiled.ok) return;
    expect(compiled.error).toEqual(
      expect.arrayContaining([
        { path: 'partitions[1]', message: "duplicate partition 'A'" },
        { path: 'callingSearchSpaces[0].partitions[0]', message: "unknown partition 'B'" },
        { path: 'directoryNumbers[0].number', message: "'[' is never closed", position: 2 },
        { path: 'routePatterns[0].partition', message: "unknown partition 'Z'" },
        { path: 'translationPatterns[0].called.mask', message: "unexpected character 'Q'", position: 1 },
        { path: 'dialPeers[0].destinationPattern', message: "'[' is never closed", position: 1 },
        { path: 'dialPeers[1].sessionTarget', message: "unrecognised session target 'carrier-pigeon'" },
      ]),
    );
  });

  it.each([
    undefined,
    null,
    5,
    [],
    { version: {} },
    { version: 1, routePatterns: 'x' },
    { version: 1, dialPeers: [7] },
  ])('compile never throws on %j', (config) => {
    // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed input
    expect(compileDialPlan(config as any).ok).toBe(false);
  });

  it('returns an immutable, versioned plan', () => {
    const compiled = mustCompileFrozen();
    expect(compiled.version).toBe('v42');
    expect(Object.isFrozen(compiled)).toBe(true);
    const result = compiled.analyse({ dialed: '91' });
    expect(Object.isFrozen(result.route)).toBe(true);
    expect(Object.isFrozen(result.destination)).toBe(true);
  });
});

function mustCompileFrozen() {
  return mustCompile({
    version: 'v42',
    routePatterns: [{ pattern: '9!', target: { kind: 'trunk', name: 'T' } }],
  });
}
