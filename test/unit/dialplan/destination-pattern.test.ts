import { describe, expect, it } from 'vitest';
import { parseDestinationPattern } from '../../../src/dialplan/index.js';
import { mustCompile, peerPlan } from './helpers.js';

/** Dial-peer tag chosen for `dialed`, or null when no peer matches. */
function selected(plan: ReturnType<typeof peerPlan>, dialed: string): number | null {
  const result = plan.analyse({ dialed });
  return result.route?.kind === 'dial-peer' ? result.route.tag : null;
}

describe('destination-pattern wildcards (testdata vectors P1-P10)', () => {
  // each row: pattern, numbers it matches, numbers it does not match
  const rows: [string, string[], string[]][] = [
    ['20..', ['2000', '2050', '2099'], ['2100', '200']], // P1
    ['5+23', ['523', '5523', '55523', '555523'], ['23', '5553']], // P2
    ['[1-3]22', ['122', '222', '322'], ['422']], // P3
    ['[^1-3]22', ['022', '422', '922'], ['122', '222', '322']], // P4
    ['(206)?5015111', ['5015111', '2065015111'], ['2065015']], // P5
    ['[2,5-8]0000', ['20000', '50000', '60000', '70000', '80000'], ['30000', '40000', '90000']], // P6
    ['91[^135]555', ['910555', '912555', '914555', '916555', '919555'], ['911555', '913555', '915555']], // P7
    ['9(258)7777', ['92587777'], ['97777', '9258']], // P8
    ['333(123)', ['333123'], ['3331', '3332', '3333']], // P9
    ['333(123)%', ['333', '333123', '333123123'], ['33']], // P9
  ];
  it.each(rows)('%s', (pattern, matching, notMatching) => {
    const plan = peerPlan(pattern);
    for (const number of matching) expect(selected(plan, number), number).toBe(1);
    for (const number of notMatching) expect(selected(plan, number), number).toBeNull();
  });

  it.each(['.T', '33T', '....', '333.', '3+[123]', '333[^49]'])(
    'P10: %s matches 3331, 3332 and 3333',
    (pattern) => {
      const plan = peerPlan(pattern);
      for (const number of ['3331', '3332', '3333']) expect(selected(plan, number), number).toBe(1);
    },
  );

  it('treats * and # as literal keys and a leading + as the E.164 plus', () => {
    const plan = peerPlan('*..', '12345#', '+1919.......');
    expect(selected(plan, '*67')).toBe(1);
    expect(selected(plan, '167')).toBeNull();
    expect(selected(plan, '12345#')).toBe(2);
    expect(selected(plan, '+19195551212')).toBe(3);
    expect(selected(plan, '19195551212')).toBeNull();
  });

  it('matches a prefix unless anchored with $ (Cisco 14074, enbloc)', () => {
    expect(selected(peerPlan('816'), '81690')).toBe(1);
    expect(selected(peerPlan('816$'), '81690')).toBeNull();
    expect(selected(peerPlan('^816$'), '816')).toBe(1);
  });

  it('lets T match no further digits and up to 32', () => {
    const plan = peerPlan('9011T');
    expect(selected(plan, '9011')).toBe(1);
    expect(selected(plan, '9011'.padEnd(32, '7'))).toBe(1);
    expect(selected(plan, '901')).toBeNull();
  });

  it('ignores the , pause', () => {
    expect(selected(peerPlan('9,,55591[1-3,5-9]'), '9555916')).toBe(1);
  });

  it('.% matches any number, even an empty one', () => {
    const plan = peerPlan('.%');
    expect(selected(plan, '')).toBe(1);
    expect(selected(plan, '5123781291')).toBe(1);
  });
});

describe('dial-peer selection (testdata vectors D1-D15)', () => {
  it('D1: inbound, the longest explicit incoming called-number wins', () => {
    const plan = mustCompile({
      version: 1,
      dialPeers: [
        { tag: 1, kind: 'voip', incomingCalledNumber: '8....' },
        { tag: 2, kind: 'voip', incomingCalledNumber: '816..' },
      ],
    });
    expect(plan.analyse({ dialed: '81690', fromTrunk: true }).inboundDialPeer).toBe(2);
  });

  it('D2: enbloc 81690 selects 81690 over 816 and forwards all digits', () => {
    const plan = peerPlan('816', '81690');
    expect(plan.analyse({ dialed: '81690' })).toMatchObject({ called: '81690', route: { tag: 2 } });
  });

  it('D4: 81690 wins over 816..', () => expect(selected(peerPlan('816..', '81690'), '81690')).toBe(2));
  it('D5: 81690T wins over 8T', () => expect(selected(peerPlan('8T', '81690T'), '81690')).toBe(2));
  it('D7: 200. wins over 2...', () => expect(selected(peerPlan('2...', '200.'), '2001')).toBe(2));

  it('D8: on equal patterns the lower preference wins, whatever the tags', () => {
    const plan = mustCompile({
      version: 1,
      dialPeers: [
        { tag: 1, kind: 'voip', destinationPattern: '2...', preference: 2, sessionTarget: 'ipv4:192.0.2.1' },
        { tag: 2, kind: 'voip', destinationPattern: '2...', preference: 1, sessionTarget: 'ipv4:192.0.2.2' },
      ],
    });
    expect(selected(plan, '2001')).toBe(2);
  });

  const pots = (destinationPattern: string, extra: object = {}) =>
    mustCompile({
      version: 1,
      dialPeers: [{ tag: 2, kind: 'pots', destinationPattern, port: '2/0:23', ...extra }],
    });

  it('D6: POTS 9T strips the explicitly matched 9', () => {
    expect(pots('9T').analyse({ dialed: '95551212' })).toMatchObject({
      outcome: 'routed',
      called: '5551212',
      destination: { kind: 'trunk', name: 'voice-port 2/0:23' },
    });
  });
  it('D10: POTS 9011T strips 9011', () => {
    expect(pots('9011T').analyse({ dialed: '90113227045555' }).called).toBe('3227045555');
  });
  it('D11: no digit-strip forwards every digit', () => {
    expect(pots('9011T', { digitStrip: false }).analyse({ dialed: '90113227045555' }).called).toBe(
      '90113227045555',
    );
  });
  it('D12: forward-digits 11 forwards the right-most 11 digits', () => {
    expect(pots('918005532447', { forwardDigits: 11 }).analyse({ dialed: '918005532447' }).called).toBe(
      '18005532447',
    );
  });
  it('D13: prefix 007 goes in front of the stripped number', () => {
    expect(pots('91T', { prefix: '007' }).analyse({ dialed: '914155550100' }).called).toBe('0074155550100');
  });

  it('D15: an inbound call no peer matches uses dial-peer 0', () => {
    const plan = mustCompile({
      version: 1,
      dialPeers: [{ tag: 1, kind: 'voip', incomingCalledNumber: '8....' }],
      directoryNumbers: [{ number: '5000' }],
    });
    expect(plan.analyse({ dialed: '5000', fromTrunk: true })).toMatchObject({
      inboundDialPeer: 0,
      outcome: 'routed',
      destination: { kind: 'line', line: '5000' },
    });
  });

  it('D16: without an incoming called-number match, answer-address then destination-pattern match the ANI', () => {
    const plan = mustCompile({
      version: 1,
      dialPeers: [
        { tag: 1, kind: 'voip', incomingCalledNumber: '8....' },
        { tag: 2, kind: 'voip', answerAddress: '408.......' },
        { tag: 3, kind: 'voip', destinationPattern: '919.......', sessionTarget: 'ipv4:192.0.2.3' },
      ],
      directoryNumbers: [{ number: '5000' }],
    });
    expect(plan.analyse({ dialed: '5000', calling: '4085550100', fromTrunk: true }).inboundDialPeer).toBe(2);
    expect(plan.analyse({ dialed: '5000', calling: '9195550100', fromTrunk: true }).inboundDialPeer).toBe(3);
    expect(plan.analyse({ dialed: '81234', calling: '4085550100', fromTrunk: true }).inboundDialPeer).toBe(1);
  });
});

describe('destination-pattern syntax errors', () => {
  it.each([
    ['', 0],
    ['T', 0],
    ['9T1', 1],
    ['9$1', 1],
    ['1^2', 1],
    ['9[2-', 4],
    ['9[5-2]', 2],
    ['9(12', 1],
    ['912)', 3],
    ['9?%', 2],
    ['%1', 0],
    ['9Z', 1],
    ['(1?)%', 4],
    ['5+5+5+5+', 0],
  ])('%j fails at %i', (pattern, position) => {
    const parsed = parseDestinationPattern(pattern);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.position).toBe(position);
  });
});
