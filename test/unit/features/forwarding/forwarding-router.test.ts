/**
 * The forwarding policy over the dial plan: the CME SIP-trunk example's CFB/CFNA to voicemail
 * 600 (timeout 15), forward all chains, loops (482) against hop limits (483), and the numbers a
 * carrier sees in a 302 or a Diversion (the redirect-target / redirect-called rule set 4).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SIP_LINE } from '../../../../src/adapters/sip-line/calls/index.js';
import { SIP_TRUNK } from '../../../../src/adapters/sip-trunk/calls/index.js';
import {
  type ConfigSnapshot,
  snapshotOfConfiguration,
  validateConfigText,
} from '../../../../src/admin/index.js';
import type { CoreLogger, DeviceRef, RouteResult } from '../../../../src/core/index.js';
import { createForwardingRouter, createTrunkNumbering } from '../../../../src/features/forwarding/index.js';
import { createDialPlanRouter } from '../../../../src/features/routing/index.js';

const CME = readFileSync(new URL('../../../../examples/cme-sip-trunk.yaml', import.meta.url), 'utf8');

const chain = Array.from({ length: 14 }, (_, index) => {
  const dn = String(400 + index);
  return `  - { dn: "${dn}", partition: internal, forward: { all: "${401 + index}" } }`;
}).join('\n');

/** Lines forwarding in a ring (202 ↔ 203), busy in a ring (205 ↔ 206), and a 14-line chain (400…). */
const CUCM = `
partitions:
  - name: internal
callingSearchSpaces:
  - name: internal-css
    partitions: [internal]
lines:
  - { dn: "201", partition: internal }
  - { dn: "202", partition: internal, forward: { all: "203" } }
  - { dn: "203", partition: internal, forward: { all: "202" } }
  - { dn: "204", partition: internal, forward: { all: "95125551234" } }
  - { dn: "205", partition: internal, forward: { busy: "206" } }
  - { dn: "206", partition: internal, forward: { busy: "205" } }
  - { dn: "207", partition: internal }
${chain}
phones:
  - name: phone-201
    model: SIP phone
    callingSearchSpace: internal-css
    lines: [{ dn: "201", partition: internal }]
  - name: phone-205
    model: SIP phone
    callingSearchSpace: internal-css
    lines: [{ dn: "205", partition: internal }]
trunks:
  - name: sp
    proxy: ipv4:192.0.2.10
    callingSearchSpace: internal-css
routePatterns:
  - { pattern: "9.[2-9]XXXXXXXXX", partition: internal, trunk: sp, called: { discard: predot } }
`;

function snapshotOf(text: string): ConfigSnapshot {
  const parsed = validateConfigText(text, 'plan.yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return snapshotOfConfiguration(parsed.file.configuration);
}

function routerFor(text: string, logged: string[] = []) {
  const snapshot = snapshotOf(text);
  const logger: CoreLogger = {
    error: (_details, message) => logged.push(message),
    warn: (_details, message) => logged.push(message),
    debug: () => {},
  };
  const router = createDialPlanRouter({
    snapshot: () => snapshot,
    locations: {
      lookup: (dn) => [
        {
          phone: `phone-${dn}`,
          contact: `sip:${dn}@192.0.2.1:5060`,
          path: [],
          source: { protocol: 'UDP', address: '192.0.2.1', port: 5060 },
        },
      ],
    },
  });
  return createForwardingRouter({ router, snapshot: () => snapshot, logger });
}

const fromCarrier: DeviceRef = { kind: SIP_TRUNK, id: 'sp', number: '5125550100' };
const phone201: DeviceRef = { kind: SIP_LINE, id: 'phone-201', number: '201' };

function ok(result: RouteResult) {
  if (!result.ok) throw new Error(`not routed: ${result.failure}`);
  return result;
}

describe('forwarding router on the CME SIP-trunk example', () => {
  const router = routerFor(CME);

  it('rings 201 for its DID for the line’s no-answer timeout (call-forward noan 600 timeout 15)', () => {
    const routed = ok(router.route({ calling: fromCarrier, dialed: '5123781201' }));
    expect(routed).toMatchObject({ called: '201', noAnswerTimeoutMs: 15_000 });
    expect(routed.diversions).toBeUndefined();
  });

  it('forwards a busy 201 to the voicemail pilot, the caller’s number kept', () => {
    const routed = ok(router.route({ calling: fromCarrier, dialed: '201', divertOn: 'busy' }));
    expect(routed.diversions).toEqual([{ from: '201', to: '600', reason: 'busy' }]);
    expect(routed.devices).toMatchObject([
      {
        kind: SIP_TRUNK,
        id: 'voicemail',
        reach: { kind: 'address', uri: 'sip:600@172.22.1.155', calling: '5125550100' },
      },
    ]);
  });

  it('forwards an unanswered 202 to the voicemail pilot', () => {
    const routed = ok(router.route({ calling: phone201, dialed: '202', divertOn: 'noAnswer' }));
    expect(routed.diversions).toEqual([{ from: '202', to: '600', reason: 'noAnswer' }]);
  });

  it('does not forward a line without a forward for the reason', () => {
    expect(router.route({ calling: phone201, dialed: '5123788000', divertOn: 'busy' })).toEqual({
      ok: false,
      failure: 'unknown',
    });
  });
});

describe('forwarding router on a CUCM-style plan', () => {
  it('names every forward of a forward-all chain, to the PSTN', () => {
    const routed = ok(routerFor(CUCM).route({ calling: phone201, dialed: '204' }));
    expect(routed.diversions).toEqual([{ from: '204', to: '95125551234', reason: 'unconditional' }]);
    expect(routed.devices).toMatchObject([{ kind: SIP_TRUNK, id: 'sp', number: '5125551234' }]);
  });

  it('lets a forwarded carrier call leave by the trunk again (hairpin), refused without a forward', () => {
    const router = routerFor(CUCM);
    expect(ok(router.route({ calling: fromCarrier, dialed: '204' })).devices).toMatchObject([
      { kind: SIP_TRUNK, id: 'sp' },
    ]);
    expect(router.route({ calling: fromCarrier, dialed: '95125551234' })).toEqual({
      ok: false,
      failure: 'blocked',
    });
  });

  it('routes a call to a line without forwards as the dial plan does, without diversions', () => {
    const routed = ok(routerFor(CUCM).route({ calling: phone201, dialed: '207' }));
    expect(routed).toMatchObject({ called: '207' });
    expect(routed.diversions).toBeUndefined();
    expect(routed.noAnswerTimeoutMs).toBeUndefined();
  });

  it('refuses a forward-all loop as a loop, with one log line', () => {
    const logged: string[] = [];
    expect(routerFor(CUCM, logged).route({ calling: phone201, dialed: '202' })).toEqual({
      ok: false,
      failure: 'forwardLoop',
    });
    expect(logged).toEqual(['call forward loop']);
  });

  it('refuses a chain longer than the hop limit as too many forwards', () => {
    const logged: string[] = [];
    expect(routerFor(CUCM, logged).route({ calling: phone201, dialed: '400' })).toEqual({
      ok: false,
      failure: 'tooManyForwards',
    });
    expect(logged).toEqual(['too many call forward hops']);
  });

  it('routes a busy forward with the forwarding line’s phone (its CSS), presenting the caller', () => {
    const routed = ok(routerFor(CUCM).route({ calling: fromCarrier, dialed: '205', divertOn: 'busy' }));
    expect(routed.diversions).toEqual([{ from: '205', to: '206', reason: 'busy' }]);
    expect(routed.devices).toMatchObject([{ kind: SIP_LINE, number: '206' }]);
  });
});

describe('trunk numbering (translate redirect-target / redirect-called of PSTN_Outgoing)', () => {
  const snapshot = snapshotOf(CME);
  const numbering = createTrunkNumbering(() => snapshot);

  it('presents pilots and extensions as their DIDs, 9 + seven digits with the area code', () => {
    expect(numbering.redirectTarget('sp', '600')).toBe('5123788000');
    expect(numbering.redirectTarget('sp', '202')).toBe('5123781202');
    expect(numbering.redirectTarget('sp', '95551234')).toBe('5125551234');
    expect(numbering.redirectTarget('sp', '918005550100')).toBe('18005550100');
    expect(numbering.redirectCalled('sp', '201')).toBe('5123781201');
  });

  it('leaves numbers no rule matches, and numbers of a trunk without a profile, as they are', () => {
    expect(numbering.redirectTarget('sp', '5125550100')).toBe('5125550100');
    expect(numbering.redirectTarget('elsewhere', '600')).toBe('600');
  });
});
