/**
 * The CME 4.1 SIP-trunk example of spec 01 §8.2 (translation rules 1-4, the three profiles,
 * dial-peers 1-11 and the ephone-dns), analysed in both directions. Every expected row is derived
 * by hand from the seed's rules; the comment names the rule or dial-peer that decides it.
 */
import { describe, expect, it } from 'vitest';
import type { AnalysisInput, DialPeerConfig, DialPlanConfig } from '../../../src/dialplan/index.js';
import { mustCompile } from './helpers.js';

const trunkPeer = (tag: number, destinationPattern: string, profile?: string): DialPeerConfig => ({
  tag,
  kind: 'voip',
  destinationPattern,
  sessionTarget: 'sip-server',
  ...(profile === undefined ? {} : { translationProfileOutgoing: profile }),
});

const cuePeer = (tag: number, destinationPattern: string): DialPeerConfig => ({
  tag,
  kind: 'voip',
  destinationPattern,
  sessionTarget: 'ipv4:172.22.1.155',
  translationProfileOutgoing: 'PSTN_CallForwarding',
});

const seed: DialPlanConfig = {
  version: 'cme-4.1-seed',
  translationRules: [
    {
      id: 1,
      rules: [
        { precedence: 1, match: '5123781291', replace: '601' },
        { precedence: 2, match: '5123781290', replace: '600' },
      ],
    },
    {
      id: 2,
      rules: [
        { precedence: 1, match: '^911$', replace: '911' },
        { precedence: 2, match: '^9\\(.*\\)', replace: '\\1' },
      ],
    },
    { id: 3, rules: [{ precedence: 1, match: '^.*', replace: '5123781291' }] },
    {
      id: 4,
      rules: [
        { precedence: 1, match: '^9(.......)$', replace: '512\\1' },
        { precedence: 2, match: '600', replace: '5123788000' },
        { precedence: 3, match: '601', replace: '5123788001' },
        { precedence: 4, match: '^2(..)$', replace: '51237812\\1' },
        { precedence: 5, match: '^9(.*)', replace: '\\1' },
      ],
    },
  ],
  translationProfiles: [
    { name: 'CUE_Voicemail/AutoAttendant', called: 1 },
    { name: 'PSTN_CallForwarding', redirectTarget: 4, redirectCalled: 4 },
    { name: 'PSTN_Outgoing', calling: 3, called: 2, redirectTarget: 4, redirectCalled: 4 },
  ],
  dialPeers: [
    {
      tag: 1,
      kind: 'voip',
      incomingCalledNumber: '.%',
      sessionTarget: 'sip-server',
      translationProfileIncoming: 'CUE_Voicemail/AutoAttendant',
    },
    trunkPeer(2, '9........', 'PSTN_Outgoing'),
    trunkPeer(3, '9[2-9]..[2-9]......', 'PSTN_Outgoing'),
    trunkPeer(4, '9[0-1][2-9]..[2-9]......', 'PSTN_Outgoing'),
    trunkPeer(5, '911', 'PSTN_Outgoing'),
    trunkPeer(6, '9911', 'PSTN_Outgoing'),
    trunkPeer(7, '9[2-9]11', 'PSTN_Outgoing'),
    trunkPeer(8, '9011T', 'PSTN_Outgoing'),
    trunkPeer(9, '*..'),
    cuePeer(10, '600'),
    cuePeer(11, '601'),
  ],
  // ephone-dn numbers; `8000...` is written in Cisco wildcard syntax, where X is one digit
  directoryNumbers: [
    { number: '201', line: 'ephone-dn 11' },
    { number: '5123781201', line: 'ephone-dn 11' },
    { number: '202', line: 'ephone-dn 12' },
    { number: '5123781202', line: 'ephone-dn 12' },
    { number: '5123788000', line: 'ephone-dn 13' },
    { number: '5123788001', line: 'ephone-dn 14' },
    { number: '8000XXX', line: 'ephone-dn 15' },
    { number: '8001XXX', line: 'ephone-dn 16' },
  ],
};

const plan = mustCompile(seed);
const SP = { kind: 'trunk', name: 'sip-server' } as const;
const CUE = { kind: 'address', target: 'ipv4:172.22.1.155' } as const;
const MAIN = '5123781291';
const line = (name: string) => ({ kind: 'line', line: name }) as const;

interface Row {
  input: AnalysisInput;
  outcome: 'routed' | 'unreachable';
  called: string;
  calling: string;
  /** Dial-peer tag or DN that routes the call. */
  via?: number | string;
  destination?: object;
  inboundDialPeer?: number;
  redirecting?: string;
}

const out = (dialed: string, calling = '201'): AnalysisInput => ({ dialed, calling });
const inbound = (dialed: string, calling = '5125550100'): AnalysisInput => ({
  dialed,
  calling,
  fromTrunk: true,
});

// biome-ignore format: one row per line reads as a table
const rows: [string, Row][] = [
  // --- outbound from the phones (no CSS in CME: every DN and dial-peer is reachable) ---------
  ['911: dp 5 exact; rule 2.1 /^911$/ keeps 911; rule 3.1 sets the main number', { input: out('911'), outcome: 'routed', called: '911', calling: MAIN, via: 5, destination: SP }],
  ['9911: dp 6 exact beats dp 7 9[2-9]11; rule 2.2 strips the 9', { input: out('9911'), outcome: 'routed', called: '911', calling: MAIN, via: 6, destination: SP }],
  ['9411: dp 7 9[2-9]11; rule 2.2 strips the 9', { input: out('9411', '202'), outcome: 'routed', called: '411', calling: MAIN, via: 7, destination: SP }],
  ['9611: dp 7; rule 2.2', { input: out('9611'), outcome: 'routed', called: '611', calling: MAIN, via: 7, destination: SP }],
  ['9111: dp 5 911 matches the leading digits (enbloc prefix match, Cisco 14074); rule 2.2', { input: out('9111'), outcome: 'routed', called: '111', calling: MAIN, via: 5, destination: SP }],
  ['99115: dp 6 9911 plus one digit is closer than dp 7 (8 x 10 numbers)', { input: out('99115'), outcome: 'routed', called: '9115', calling: MAIN, via: 6, destination: SP }],
  ['95125551234: dp 3 (10-digit NANP) beats the 9-digit dp 2 prefix; rule 2.2', { input: out('95125551234'), outcome: 'routed', called: '5125551234', calling: MAIN, via: 3, destination: SP }],
  ['95125551234 from 202: calling is the main number as well (rule 3.1)', { input: out('95125551234', '202'), outcome: 'routed', called: '5125551234', calling: MAIN, via: 3, destination: SP }],
  ['914155550100: dp 4 (1 + NANP); rule 2.2', { input: out('914155550100'), outcome: 'routed', called: '14155550100', calling: MAIN, via: 4, destination: SP }],
  ['904155550100: dp 4 [0-1] takes 0 too', { input: out('904155550100'), outcome: 'routed', called: '04155550100', calling: MAIN, via: 4, destination: SP }],
  ['91155550100: dp 3 needs [2-9] second; dp 5 911 as a prefix (10^8 numbers) is closer than dp 2 (10^10)', { input: out('91155550100'), outcome: 'routed', called: '1155550100', calling: MAIN, via: 5, destination: SP }],
  ['9512555123 has no 911 prefix: 10 digits, only dp 2 9........ (prefix) matches', { input: out('9512555123'), outcome: 'routed', called: '512555123', calling: MAIN, via: 2, destination: SP }],
  ['955512345 (9 digits): dp 2 exactly', { input: out('955512345'), outcome: 'routed', called: '55512345', calling: MAIN, via: 2, destination: SP }],
  ['9011441632960000: dp 8 9011T beats the dp 2 prefix; rule 2.2', { input: out('9011441632960000'), outcome: 'routed', called: '011441632960000', calling: MAIN, via: 8, destination: SP }],
  ['9011: dp 8, T takes no further digit', { input: out('9011'), outcome: 'routed', called: '011', calling: MAIN, via: 8, destination: SP }],
  ['*67: dp 9 *.. carries no translation profile (R-TRUNK-38)', { input: out('*67'), outcome: 'routed', called: '*67', calling: '201', via: 9, destination: SP }],
  ['600: dp 10 to CUE voicemail; PSTN_CallForwarding has no called/calling rules', { input: out('600'), outcome: 'routed', called: '600', calling: '201', via: 10, destination: CUE }],
  ['601: dp 11 to the CUE auto attendant', { input: out('601', '202'), outcome: 'routed', called: '601', calling: '202', via: 11, destination: CUE }],
  ['600 forwarded from 201: rule 4.4 /^2(..)$/ presents the redirecting DN as a DID', { input: { ...out('600', '5125550100'), redirecting: '201' }, outcome: 'routed', called: '600', calling: '5125550100', via: 10, destination: CUE, redirecting: '5123781201' }],
  ['95125551234 forwarded from 202: rule 2.2 on called, 3.1 on calling, 4.4 on redirecting', { input: { ...out('95125551234'), redirecting: '202' }, outcome: 'routed', called: '5125551234', calling: MAIN, via: 3, destination: SP, redirecting: '5123781202' }],
  ['202: ephone-dn 12', { input: out('202'), outcome: 'routed', called: '202', calling: '201', via: '202', destination: line('ephone-dn 12') }],
  ['201 from 202: ephone-dn 11', { input: out('201', '202'), outcome: 'routed', called: '201', calling: '202', via: '201', destination: line('ephone-dn 11') }],
  ['5123781202: secondary number of ephone-dn 12', { input: out('5123781202'), outcome: 'routed', called: '5123781202', calling: '201', via: '5123781202', destination: line('ephone-dn 12') }],
  ['8000201: ephone-dn 15 8000... (MWI on)', { input: out('8000201', '600'), outcome: 'routed', called: '8000201', calling: '600', via: '8000XXX', destination: line('ephone-dn 15') }],
  ['8001201: ephone-dn 16 8001... (MWI off)', { input: out('8001201', '600'), outcome: 'routed', called: '8001201', calling: '600', via: '8001XXX', destination: line('ephone-dn 16') }],
  ['203: no DN and no dial-peer', { input: out('203'), outcome: 'unreachable', called: '203', calling: '201' }],
  ['9123: 912 is not 911 and 1 is outside 9[2-9]11', { input: out('9123'), outcome: 'unreachable', called: '9123', calling: '201' }],
  ['*6: *.. needs two digits after the star', { input: out('*6'), outcome: 'unreachable', called: '*6', calling: '201' }],
  // --- inbound from the SIP trunk: dial-peer 1 (.%), profile CUE_Voicemail/AutoAttendant -------
  ['DID 5123781291: rule 1.1 makes it the AA pilot 601, dp 11', { input: inbound('5123781291'), outcome: 'routed', called: '601', calling: '5125550100', via: 11, destination: CUE, inboundDialPeer: 1 }],
  ['DID 5123781290: rule 1.2 makes it the voicemail pilot 600, dp 10', { input: inbound('5123781290'), outcome: 'routed', called: '600', calling: '5125550100', via: 10, destination: CUE, inboundDialPeer: 1 }],
  ['DID 5123781201: no rule of set 1 matches; secondary of ephone-dn 11', { input: inbound('5123781201'), outcome: 'routed', called: '5123781201', calling: '5125550100', via: '5123781201', destination: line('ephone-dn 11'), inboundDialPeer: 1 }],
  ['DID 5123781202: ephone-dn 12', { input: inbound('5123781202', '4155550100'), outcome: 'routed', called: '5123781202', calling: '4155550100', via: '5123781202', destination: line('ephone-dn 12'), inboundDialPeer: 1 }],
  ['DID 5123788000: ephone-dn 13 (voicemail DID)', { input: inbound('5123788000'), outcome: 'routed', called: '5123788000', calling: '5125550100', via: '5123788000', destination: line('ephone-dn 13'), inboundDialPeer: 1 }],
  ['DID 5123788001: ephone-dn 14 (AA DID)', { input: inbound('5123788001'), outcome: 'routed', called: '5123788001', calling: '5125550100', via: '5123788001', destination: line('ephone-dn 14'), inboundDialPeer: 1 }],
  ['DID 5123781299: unchanged by set 1, nothing answers it', { input: inbound('5123781299'), outcome: 'unreachable', called: '5123781299', calling: '5125550100', inboundDialPeer: 1 }],
  ['inbound 201: .% takes any called number; ephone-dn 11', { input: inbound('201'), outcome: 'routed', called: '201', calling: '5125550100', via: '201', destination: line('ephone-dn 11'), inboundDialPeer: 1 }],
];

describe('CME seed dial plan (spec 01 §8.2)', () => {
  it.each(rows)('%s', (_why, row) => {
    const result = plan.analyse(row.input);
    expect(result.version).toBe('cme-4.1-seed');
    expect(result.outcome).toBe(row.outcome);
    expect(result.called).toBe(row.called);
    expect(result.calling).toBe(row.calling);
    expect(result.inboundDialPeer).toBe(row.inboundDialPeer);
    expect(result.redirecting).toBe(row.redirecting ?? row.input.redirecting);
    if (row.outcome !== 'routed') {
      expect(result.destination).toBeNull();
      return;
    }
    expect(result.destination).toEqual(row.destination);
    if (typeof row.via === 'number') expect(result.route).toMatchObject({ kind: 'dial-peer', tag: row.via });
    else expect(result.route).toEqual({ kind: 'directory-number', pattern: row.via, partition: null });
  });

  it('records which rule rewrote which number', () => {
    expect(plan.analyse(out('95125551234')).translations).toEqual([
      {
        step: 0,
        field: 'called',
        before: '95125551234',
        after: '5125551234',
        rule: 'dial-peer 3 outgoing PSTN_Outgoing: translation-rule 2 rule 2',
      },
      {
        step: 0,
        field: 'calling',
        before: '201',
        after: MAIN,
        rule: 'dial-peer 3 outgoing PSTN_Outgoing: translation-rule 3 rule 1',
      },
    ]);
    expect(plan.analyse(inbound('5123781291')).translations).toEqual([
      {
        step: 0,
        field: 'called',
        before: '5123781291',
        after: '601',
        rule: 'dial-peer 1 incoming CUE_Voicemail/AutoAttendant: translation-rule 1 rule 1',
      },
    ]);
  });

  it('serialises to the JSON `strowger dna` prints', () => {
    const json = JSON.parse(JSON.stringify(plan.analyse(out('911'))));
    expect(Object.keys(json)).toEqual(
      expect.arrayContaining(['called', 'calling', 'route', 'destination', 'translations']),
    );
    expect(json.route).toEqual({ kind: 'dial-peer', tag: 5, pattern: '911' });
  });

  // R-TRUNK-10 / R-TRUNK-37: the 302 Contact user part goes through `translate redirect-target`
  it.each([
    ['600', '5123788000'], // rule 4.2
    ['601', '5123788001'], // rule 4.3
    ['202', '5123781202'], // rule 4.4
    ['95551234', '5125551234'], // rule 4.1: 9 + seven digits gets the 512 area code
    ['95125551234', '5125551234'], // rule 4.5: 4.1 wants exactly seven digits
    ['96001234567', '951237880001234567'], // rule 4.2 is unanchored: the first 600 anywhere is replaced
  ])('redirect-target %s becomes %s', (target, expected) => {
    expect(plan.translate('PSTN_CallForwarding', 'redirect-target', target)).toMatchObject({
      outcome: 'translated',
      number: expected,
    });
    expect(plan.translate('PSTN_Outgoing', 'redirect-target', target).number).toBe(expected);
  });

  it('leaves a number no rule matches unchanged and reports it', () => {
    expect(plan.translate('PSTN_CallForwarding', 'redirect-target', '3000')).toEqual({
      outcome: 'unmatched',
      number: '3000',
    });
    expect(plan.translate('CUE_Voicemail/AutoAttendant', 'redirect-target', '600').outcome).toBe('unmatched');
  });
});
