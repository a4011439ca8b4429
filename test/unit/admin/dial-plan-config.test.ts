/**
 * The dial plan sections of strowger.yaml: syntax errors located at the value with the
 * library's character position, references, limits, and analysis of the resulting snapshot
 * (calling search spaces, blocking, translation and call forward loops).
 */
import { describe, expect, it } from 'vitest';
import {
  type Configuration,
  formatConfigError,
  snapshotOfConfiguration,
  validateConfigText,
} from '../../../src/admin/config/index.js';
import { planConfig } from '../../../src/admin/config/plan.js';
import {
  analyseCall,
  type CallAnalysis,
  type CallInput,
  compiledPlanOf,
  dialPlanConfigOf,
} from '../../../src/admin/dialplan/index.js';
import type { ConfigRows } from '../../../src/store/index.js';
import { emptyRows } from '../../helpers/config-rows.js';

const lines = (...text: string[]) => `${text.join('\n')}\n`;

function errorsOf(text: string): string[] {
  const result = validateConfigText(text, 'plan.yaml');
  return result.ok ? [] : result.errors.map(formatConfigError);
}

function configurationOf(text: string): Configuration {
  const result = validateConfigText(text, 'plan.yaml');
  if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
  return result.file.configuration;
}

function analysed(configuration: Configuration, input: CallInput): CallAnalysis {
  const result = analyseCall(configuration, input);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.analysis;
}

describe('dial plan syntax errors', () => {
  it('locates a wildcard pattern error at its value, with the character the library names', () => {
    expect(errorsOf(lines('routePatterns:', '  - pattern: "9.[2-9"', '    blocked: true'))).toEqual([
      `plan.yaml:2:14: routePatterns[0].pattern: "9.[2-9": '[' is never closed (at character 3)`,
    ]);
  });

  it('locates destination-pattern and session target errors of a dial-peer', () => {
    expect(
      errorsOf(
        lines(
          'dialPeers:',
          '  - tag: 2',
          '    destinationPattern: 9[2-',
          '  - tag: 3',
          '    destinationPattern: "9T"',
          '    sessionTarget: carrier',
        ),
      ),
    ).toEqual([
      'plan.yaml:3:25: dialPeers[0].destinationPattern: "9[2-": a range needs a digit after - (at character 5)',
      "plan.yaml:6:20: dialPeers[1].sessionTarget: unrecognised session target 'carrier'",
    ]);
  });

  it('locates a translation rule error inside its rule', () => {
    expect(
      errorsOf(
        lines(
          'translationRules:',
          '  - id: 2',
          '    rules:',
          '      - { precedence: 1, match: "^911$", replace: "911" }',
          "      - { precedence: 2, match: '^9\\(.*', replace: '\\1' }",
        ),
      ),
    ).toEqual([
      'plan.yaml:5:33: translationRules[0].rules[1].match: "^9\\(.*": \'(\' is never closed (at character 3)',
    ]);
  });

  it('refuses POTS-only keys on a VoIP dial-peer', () => {
    expect(
      errorsOf(lines('dialPeers:', '  - { tag: 4, destinationPattern: "4...", forwardDigits: 4 }')),
    ).toEqual(['plan.yaml:2:58: dialPeers[0].forwardDigits: applies to POTS dial-peers only']);
  });
});

describe('dial plan references and limits', () => {
  it('holds at most 15 rules in a voice translation-rule', () => {
    const rules = Array.from(
      { length: 16 },
      (_, i) => `      - { precedence: ${i + 1}, match: "${i}", replace: "1" }`,
    );
    expect(errorsOf(lines('translationRules:', '  - id: 7', '    rules:', ...rules))).toEqual([
      'plan.yaml:4:7: translationRules[0].rules: more than 15 entries',
    ]);
  });

  it('checks what profiles, dial-peers, route patterns and trunks name', () => {
    expect(
      errorsOf(
        lines(
          'partitions: [{ name: pstn }]',
          'callingSearchSpaces: [{ name: inbound, partitions: [pstn] }]',
          'translationRules: [{ id: 1, rules: [{ precedence: 1, match: "1", replace: "2" }] }]',
          'translationProfiles:',
          '  - { name: in, called: 1, calling: 9 }',
          'trunks:',
          '  - { name: sp, proxy: "dns:sp.example.net", callingSearchSpace: outbound }',
          'pilots: []',
          'dialPeers:',
          '  - { tag: 1, incomingCalledNumber: ".%", trunk: sp, translationProfile: { incoming: out } }',
          '  - { tag: 1, destinationPattern: "9T", trunk: other }',
          'routePatterns:',
          '  - { pattern: "9.!", partition: pstn, trunk: sp, pilot: voicemail }',
          '  - { pattern: "9.!", partition: pstn, blocked: true }',
          'translationPatterns:',
          '  - { pattern: "0.!", partition: lobby }',
        ),
      ),
    ).toEqual([
      'plan.yaml:5:37: translationProfiles[0]: voice translation-rule 9 is not defined',
      'plan.yaml:7:66: trunks[0]: calling search space outbound is not defined',
      'plan.yaml:10:86: dialPeers[0].translationProfile: voice translation-profile out is not defined',
      'plan.yaml:11:12: dialPeers[1]: duplicate dial-peer 1 (first defined at line 10, column 5)',
      'plan.yaml:11:48: dialPeers[1]: trunk other is not defined',
      'plan.yaml:13:5: routePatterns[0]: a route pattern needs exactly one of trunk, pilot or blocked: true',
      'plan.yaml:13:58: routePatterns[0]: pilot voicemail is not defined',
      'plan.yaml:14:16: routePatterns[1]: duplicate route pattern 9.! in partition pstn (first defined at line 13, column 5)',
      'plan.yaml:16:34: translationPatterns[0]: partition lobby is not defined',
    ]);
  });

  it('checks line numbers: forward targets are numbers, X only in MWI control DNs, secondaries unique', () => {
    expect(
      errorsOf(
        lines(
          'lines:',
          '  - { dn: "201", partition: p, secondary: "202", forward: { busy: voicemail } }',
          '  - { dn: "202", partition: p, forward: { all: "202" } }',
          '  - { dn: "8000XXX", partition: p }',
        ),
      ),
    ).toEqual([
      'plan.yaml:2:67: lines[0].forward.busy: "voicemail" is not a directory number (digits, * and #, optionally a leading +)',
    ]);
    expect(
      errorsOf(
        lines(
          'lines:',
          '  - { dn: "201", partition: p, secondary: "202" }',
          '  - { dn: "202", partition: p, forward: { all: "202" } }',
          '  - { dn: "8000XXX", partition: p }',
        ),
      ),
    ).toEqual([
      'plan.yaml:2:43: lines[0]: number 202 is already used in partition p',
      'plan.yaml:3:48: lines[1].forward: line 202 forwards to itself',
      'plan.yaml:4:11: lines[2]: only an MWI control DN (mwiControl: on or off) may hold X wildcards',
    ]);
  });
});

const campus = lines(
  'partitions: [{ name: internal }, { name: lobby }, { name: pstn }]',
  'callingSearchSpaces:',
  '  - { name: internal-css, partitions: [internal, lobby, pstn] }',
  '  - { name: lobby-css, partitions: [lobby] }',
  'lines:',
  '  - { dn: "201", partition: internal, forward: { all: "202" } }',
  '  - { dn: "202", partition: internal, forward: { all: "203" } }',
  '  - { dn: "203", partition: internal, forward: { all: "201" } }',
  '  - { dn: "204", partition: internal, forward: { busy: "99001234567" } }',
  '  - { dn: "100", partition: lobby }',
  'phones:',
  '  - { name: office, model: SIP phone, callingSearchSpace: internal-css, lines: [{ dn: "204" }, { dn: "201" }] }',
  '  - { name: lobby, model: SIP phone, callingSearchSpace: lobby-css, lines: [{ dn: "100" }] }',
  'trunks: [{ name: carrier, proxy: "dns:carrier.example.net" }]',
  'routePatterns:',
  '  - { pattern: "9.900XXXXXXX", partition: pstn, blocked: true, reason: premium numbers are barred }',
  '  - { pattern: "9.!", partition: pstn, trunk: carrier, called: { discard: predot } }',
  'translationPatterns:',
  '  - { pattern: "1000", partition: internal, called: { mask: "2000" } }',
  '  - { pattern: "2000", partition: internal, called: { mask: "1000" } }',
);

describe('analyseCall', () => {
  const configuration = configurationOf(campus);

  it('routes with the caller’s calling search space and the route pattern’s transformation', () => {
    const call = analysed(configuration, { calling: '204', dialed: '95125551234' });
    expect(call).toMatchObject({
      outcome: 'routed',
      css: 'internal-css',
      called: '5125551234',
      route: { kind: 'route-pattern', pattern: '9.!', partition: 'pstn' },
      destination: { kind: 'trunk', name: 'carrier' },
    });
  });

  it('tells a number outside the caller’s CSS from a number that exists nowhere', () => {
    const outside = analysed(configuration, { calling: '100', dialed: '204' });
    expect(outside.outcome).toBe('unreachable');
    expect(outside.css).toBe('lobby-css');
    expect(outside.outsideCss).toEqual({ kind: 'directory-number', pattern: '204', partition: 'internal' });
    expect(outside.reason).toBe('unreachable from this CSS (lobby-css): DN 204 in internal is outside it');
    const nowhere = analysed(configuration, { calling: '100', dialed: '5555' });
    expect(nowhere.outcome).toBe('unreachable');
    expect(nowhere.outsideCss).toBeUndefined();
  });

  it('blocks with the route pattern’s reason', () => {
    expect(analysed(configuration, { calling: '204', dialed: '99001234567' })).toMatchObject({
      outcome: 'blocked',
      reason: 'premium numbers are barred',
      destination: null,
    });
  });

  it('reports a translation pattern loop as the library’s loop outcome', () => {
    expect(analysed(configuration, { calling: '204', dialed: '1000' })).toMatchObject({
      outcome: 'loop',
      destination: null,
    });
  });

  it('follows call forward all and reports a forward loop', () => {
    const call = analysed(configuration, { calling: '204', dialed: '201' });
    expect(call.outcome).toBe('loop');
    expect(call.reason).toBe('call forward loop: 201 → 202 → 203 → 201');
    expect(call.forwards.map((f) => `${f.dn} ${f.reason} ${f.to}`)).toEqual([
      '201 all 202',
      '202 all 203',
      '203 all 201',
    ]);
    expect(call.destination).toBeNull();
  });

  it('applies call forward busy only when asked', () => {
    expect(analysed(configuration, { calling: '201', dialed: '204' }).destination).toEqual({
      kind: 'line',
      dn: '204',
      partition: 'internal',
    });
    const busy = analysed(configuration, { calling: '201', dialed: '204', forwardOn: 'busy' });
    expect(busy).toMatchObject({ outcome: 'blocked', redirecting: '204', called: '99001234567' });
    expect(busy.forwards).toEqual([{ dn: '204', partition: 'internal', reason: 'busy', to: '99001234567' }]);
  });

  it('refuses unknown trunks, calling search spaces and callers that are not lines', () => {
    expect(analyseCall(configuration, { calling: '1', dialed: '2', fromTrunk: 'ghost' })).toEqual({
      ok: false,
      errors: ['trunk ghost is not defined'],
    });
    expect(analyseCall(configuration, { calling: '1', dialed: '2', css: 'ghost' })).toEqual({
      ok: false,
      errors: ['calling search space ghost is not defined'],
    });
    expect(analyseCall(configuration, { calling: '555', dialed: '2' }).ok).toBe(false);
    expect(analyseCall(configuration, null as unknown as CallInput).ok).toBe(false);
  });

  it('compiles a snapshot once', () => {
    const snapshot = snapshotOfConfiguration(configuration);
    expect(compiledPlanOf(snapshot)).toBe(compiledPlanOf(snapshot));
  });
});

describe('dial plan of a snapshot', () => {
  it('makes a secondary number a directory number of its line', () => {
    const snapshot = snapshotOfConfiguration(
      configurationOf(
        lines('lines:', '  - { dn: "201", partition: p, secondary: "5123781201", noReg: both }'),
      ),
    );
    expect(dialPlanConfigOf(snapshot).directoryNumbers).toEqual([
      { number: '201', partition: 'p', line: 'p/201' },
      { number: '5123781201', partition: 'p', line: 'p/201' },
    ]);
  });

  it('plans trunk changes by the keys the file spells, never their values', () => {
    const before = configurationOf(
      lines(
        'trunks:',
        '  - { name: sp, proxy: "dns:a.example", credentials: { username: u, password: old-secret } }',
      ),
    );
    const after = configurationOf(
      lines(
        'trunks:',
        '  - { name: sp, proxy: "dns:a.example", credentials: { username: u, password: new-secret } }',
      ),
    );
    const snapshot = snapshotOfConfiguration(before);
    const current: ConfigRows = {
      ...emptyRows(),
      dialPlan: {
        translationRuleSets: [],
        translationRules: [],
        translationProfiles: [],
        trunks: [...snapshot.trunks.values()].map(
          ({ name, description, callingSearchSpace, ...settings }) => ({
            name,
            description,
            callingSearchSpace,
            settings,
          }),
        ),
        pilots: [],
        dialPeers: [],
        routePatterns: [],
        translationPatterns: [],
      },
    };
    const planned = planConfig(current, after);
    expect(planned.ok && planned.plan.changes).toEqual([
      { action: '~', kind: 'trunk', name: 'sp', fields: ['credentials'] },
    ]);
    expect(planConfig(current, before)).toMatchObject({ ok: true, plan: { changes: [] } });
  });
});
