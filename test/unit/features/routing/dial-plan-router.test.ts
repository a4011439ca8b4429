/**
 * The dial-plan router's decisions: on the CME SIP-trunk example (spec 01 §8.2, the same
 * expectations as test/integration/dna/cme-sip-trunk.test.ts derives by hand), and on a small
 * CUCM-style plan for what the example lacks (partitions out of reach, a blocked pattern, a
 * forward loop, a forward to the PSTN).
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
import type { DeviceRef, RouteResult } from '../../../../src/core/index.js';
import { createDialPlanRouter } from '../../../../src/features/routing/index.js';
import type { Endpoint } from '../../../../src/sip/index.js';

const CME = readFileSync(new URL('../../../../examples/cme-sip-trunk.yaml', import.meta.url), 'utf8');

/** A small CUCM-style plan: the lobby phone and the trunk reach `internal` only. */
const CUCM = `
partitions:
  - name: internal
  - name: exec
callingSearchSpaces:
  - name: lobby-css
    partitions: [internal]
lines:
  - { dn: "201", partition: internal, displayName: Lobby }
  - { dn: "202", partition: internal, forward: { all: "203" } }
  - { dn: "203", partition: internal, forward: { all: "202" } }
  - { dn: "204", partition: internal, forward: { all: "95125551234" } }
  - { dn: "300", partition: exec }
phones:
  - name: phone-201
    model: SIP phone
    callingSearchSpace: lobby-css
    sip: { username: "201", password: demo-201 } # demo credential
    lines: [{ dn: "201", partition: internal }]
trunks:
  - name: sp
    proxy: ipv4:192.0.2.10
    callingSearchSpace: lobby-css
routePatterns:
  - { pattern: "9.1900XXXXXXX", partition: internal, blocked: true, reason: premium numbers are barred }
  - { pattern: "9.[2-9]XXXXXXXXX", partition: internal, trunk: sp, called: { discard: predot } }
`;

function snapshotOf(text: string): ConfigSnapshot {
  const parsed = validateConfigText(text, 'plan.yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return snapshotOfConfiguration(parsed.file.configuration);
}

const PHONE_SOURCE: Endpoint = { protocol: 'UDP', address: '192.0.2.201', port: 5060 };

/** Line 201 registered from one phone (two contacts for `twice`); nothing else registered. */
function routerFor(text: string, registered: Record<string, number> = { '201': 1 }) {
  const snapshot = snapshotOf(text);
  return createDialPlanRouter({
    snapshot: () => snapshot,
    locations: {
      lookup: (dn) =>
        Array.from({ length: registered[dn] ?? 0 }, (_, index) => ({
          phone: `phone-${dn}${'ab'[index]}`,
          contact: `sip:${dn}@192.0.2.${index + 1}:5060`,
          path: [],
          source: PHONE_SOURCE,
        })),
    },
  });
}

const cmePhone201: DeviceRef = { kind: SIP_LINE, id: 'SEP0008A37128E9', number: '201' };
const fromCarrier = (number = '5125550100', maxForwards?: number): DeviceRef => ({
  kind: SIP_TRUNK,
  id: 'sp',
  number,
  ...(maxForwards === undefined ? {} : { reach: { maxForwards } }),
});

function trunkRoute(called: string, calling: string, maxForwards = 70): RouteResult {
  return {
    ok: true,
    called,
    devices: [
      {
        kind: SIP_TRUNK,
        id: 'sp',
        number: called,
        reach: { kind: 'trunk', trunk: 'sp', called, calling, maxForwards },
      },
    ],
  };
}

function addressRoute(id: string, uri: string, called: string, calling: string): RouteResult {
  return {
    ok: true,
    called,
    devices: [
      {
        kind: SIP_TRUNK,
        id,
        number: called,
        reach: { kind: 'address', uri, called, calling, maxForwards: 70 },
      },
    ],
  };
}

describe('dial-plan router on the CME SIP-trunk example', () => {
  const router = routerFor(CME);

  it('sends 201 dialling 95125551234 to the trunk: 9 stripped, the main number presented', () => {
    expect(router.route({ calling: cmePhone201, dialed: '95125551234' })).toEqual(
      trunkRoute('5125551234', '5123781291'),
    );
  });

  it('sends 911 and 9911 to the trunk as 911', () => {
    expect(router.route({ calling: cmePhone201, dialed: '911' })).toEqual(trunkRoute('911', '5123781291'));
    expect(router.route({ calling: cmePhone201, dialed: '9911' })).toEqual(trunkRoute('911', '5123781291'));
  });

  it('carries what is left of the caller’s Max-Forwards to the trunk', () => {
    const calling: DeviceRef = { ...cmePhone201, reach: { maxForwards: 9 } };
    expect(router.route({ calling, dialed: '95125551234' })).toEqual(
      trunkRoute('5125551234', '5123781291', 9),
    );
  });

  it('rings every registered contact of 201 for its DID from the trunk', () => {
    const twice = routerFor(CME, { '201': 2 });
    const result = twice.route({ calling: fromCarrier(), dialed: '5123781201' });
    expect(result).toEqual({
      ok: true,
      called: '201',
      devices: ['a', 'b'].map((suffix, index) => ({
        kind: SIP_LINE,
        id: `phone-201${suffix}`,
        number: '201',
        displayName: 'John Smith',
        reach: { contact: `sip:201@192.0.2.${index + 1}:5060`, path: [], source: PHONE_SOURCE },
      })),
    });
  });

  it('translates the main DID to the auto-attendant pilot and the voicemail DID to voicemail', () => {
    expect(router.route({ calling: fromCarrier(), dialed: '5123781291' })).toEqual(
      addressRoute('auto-attendant', 'sip:601@172.22.1.155', '601', '5125550100'),
    );
    expect(router.route({ calling: fromCarrier(), dialed: '5123781290' })).toEqual(
      addressRoute('voicemail', 'sip:600@172.22.1.155', '600', '5125550100'),
    );
  });

  it('answers a DID of a line nobody registered as not registered (480)', () => {
    expect(router.route({ calling: fromCarrier(), dialed: '5123781202' })).toEqual({
      ok: false,
      failure: 'notRegistered',
    });
  });

  it('answers a DID nothing answers as unknown (404)', () => {
    expect(router.route({ calling: fromCarrier(), dialed: '5123781299' })).toEqual({
      ok: false,
      failure: 'unknown',
    });
  });

  it('refuses a carrier’s call that would leave by the trunk again (toll fraud: 9011…)', () => {
    expect(router.route({ calling: fromCarrier(), dialed: '9011442071234567' })).toEqual({
      ok: false,
      failure: 'blocked',
    });
    expect(router.route({ calling: fromCarrier(), dialed: '95125551234' })).toEqual({
      ok: false,
      failure: 'blocked',
    });
  });
});

describe('dial-plan router on a CUCM-style plan', () => {
  const router = routerFor(CUCM);
  const lobby: DeviceRef = { kind: SIP_LINE, id: 'phone-201', number: '201' };

  it('routes by the phone’s calling search space through a route pattern', () => {
    expect(router.route({ calling: lobby, dialed: '95125551234' })).toEqual(trunkRoute('5125551234', '201'));
  });

  it('answers a blocked pattern as blocked (403)', () => {
    expect(router.route({ calling: lobby, dialed: '919005551234' })).toEqual({
      ok: false,
      failure: 'blocked',
    });
  });

  it('answers a DN outside the calling search space as unknown (404), from a phone and from the trunk', () => {
    expect(router.route({ calling: lobby, dialed: '300' })).toEqual({ ok: false, failure: 'unknown' });
    expect(router.route({ calling: fromCarrier(), dialed: '300' })).toEqual({
      ok: false,
      failure: 'unknown',
    });
  });

  it('ends a forward loop at the hop limit (483)', () => {
    expect(router.route({ calling: lobby, dialed: '202' })).toEqual({
      ok: false,
      failure: 'tooManyForwards',
    });
  });

  it('lets a carrier’s call leave by the trunk when a line forwards it there', () => {
    expect(router.route({ calling: fromCarrier('4155550100', 12), dialed: '204' })).toEqual(
      trunkRoute('5125551234', '4155550100', 12),
    );
  });

  it('answers an unknown calling device’s call as unknown', () => {
    const stranger: DeviceRef = { kind: 'cti-route-point', id: 'x', number: '999' };
    expect(router.route({ calling: stranger, dialed: '201' })).toEqual({ ok: false, failure: 'unknown' });
  });
});
