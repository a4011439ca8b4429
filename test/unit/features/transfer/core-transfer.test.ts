/**
 * Transfers in the core on a fake clock: a single step transfer moves the other party into a
 * new call to the number dialled (routed with the transferring device, presenting the
 * transferred party); a consultative transfer joins the held call's party with the consulted
 * one and renegotiates their sessions with each other.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type CallCore,
  type CallEvent,
  type CallRecord,
  type Cause,
  type Connection,
  createCallCore,
  type DeviceRef,
  type MediaDescription,
  type RouteRequest,
  type SessionUpdate,
} from '../../../../src/core/index.js';
import { FakeClock } from '../../../../src/sip/clock.js';

const sdp = (text: string): MediaDescription => ({ contentType: 'application/sdp', body: Buffer.from(text) });
const device = (number: string): DeviceRef => ({ kind: 'phone', id: `phone-${number}`, number });

describe('transfers in the core', () => {
  let offers: { connection: Connection; media: MediaDescription | undefined }[];
  let releases: { connection: Connection; cause: Cause }[];
  let accepts: { connection: Connection; media: MediaDescription | undefined }[];
  let updates: { connection: Connection; update: SessionUpdate }[];
  let routed: RouteRequest[];
  let events: CallEvent[];
  let records: CallRecord[];
  let core: CallCore;

  beforeEach(() => {
    offers = [];
    releases = [];
    accepts = [];
    updates = [];
    routed = [];
    events = [];
    records = [];
    core = createCallCore({
      clock: new FakeClock(),
      router: {
        route: (request) => {
          routed.push(request);
          return { ok: true, called: request.dialed, devices: [device(request.dialed)] };
        },
      },
      onCallRecord: (record) => records.push(record),
    });
    core.registerDriver('phone', {
      offer: (connection, _call, media) => offers.push({ connection, media }),
      progress: () => {},
      accept: (connection, media) => accepts.push({ connection, media }),
      release: (connection, cause) => releases.push({ connection, cause }),
      update: async (connection, update) => {
        updates.push({ connection, update });
        return { ok: true, media: sdp(`answer of ${connection.device.number}`) };
      },
    });
    core.events.on((event) => events.push(event));
  });

  /** `from` calls `to`, which answers; returns both connections. */
  function connected(from: string, to: string) {
    const made = core.makeCall({ device: device(from), dialed: to, media: sdp(`offer of ${from}`) });
    if (!made.ok) throw new Error('refused');
    const callee = offers.at(-1)?.connection as Connection;
    core.reportAnswered(callee.id, sdp(`answer of ${to}`));
    return { caller: made.connection, callee };
  }

  it('single step: the other party calls the number in a new call; the transferring device leaves', () => {
    const { caller, callee } = connected('5125550100', '201');
    const result = core.singleStepTransfer(callee.id, '202');
    expect(result.ok).toBe(true);
    expect(routed.at(-1)).toMatchObject({
      dialed: '202',
      calling: { id: 'phone-201', number: '5125550100' },
    });
    expect(releases).toEqual([{ connection: callee, cause: 'singleStepTransfer' }]);
    expect(records).toMatchObject([{ calling: '5125550100', called: '201', cause: 'singleStepTransfer' }]);
    // 202 gets the transferred party's own session description
    const to202 = offers.at(-1);
    expect(to202?.media?.body.toString()).toBe('offer of 5125550100');
    expect(events.find((event) => event.type === 'transferred')).toMatchObject({
      cause: 'singleStepTransfer',
      transferringDevice: 'phone-201',
      transferredDevice: 'phone-5125550100',
      transferredToDevice: '202',
    });
    // the answer reaches the transferred party (a new offer in its existing dialog, for SIP)
    core.reportAnswered(to202?.connection.id as string, sdp('answer of 202'));
    expect(accepts.at(-1)).toMatchObject({ connection: { id: caller.id } });
    expect(core.callOf(caller.id)?.connections.map((c) => c.number)).toEqual(['5125550100', '202']);
    core.reportCleared(caller.id, 'normalClearing');
    expect(records.at(-1)).toMatchObject({ calling: '5125550100', called: '202', cause: 'normalClearing' });
  });

  it('refuses a single step transfer of a call that is not connected', () => {
    const made = core.makeCall({ device: device('201'), dialed: '202' });
    if (!made.ok) throw new Error('refused');
    expect(core.singleStepTransfer(made.connection.id, '203')).toEqual({
      ok: false,
      error: 'invalidConnectionState',
    });
    expect(core.singleStepTransfer('nope', '203')).toEqual({ ok: false, error: 'invalidConnectionId' });
  });

  it('consultative: joins the held party with the consulted one and renegotiates both', async () => {
    const first = connected('5125550100', '201');
    core.hold(first.callee.id);
    const consultation = connected('201', '202');
    expect(core.transfer(first.callee.id, consultation.caller.id)).toEqual({ ok: true });
    expect(releases.map((release) => [release.connection.id, release.cause])).toEqual([
      [first.callee.id, 'transfer'],
      [consultation.caller.id, 'transfer'],
    ]);
    expect(core.callOf(first.caller.id)?.connections.map((c) => c.number)).toEqual(['5125550100', '202']);
    expect(core.activeCalls).toBe(1);
    await Promise.resolve();
    await Promise.resolve();
    await Promise.resolve();
    expect(
      updates.map((u) => [
        u.connection.device.number,
        u.update.kind === 'offer' && u.update.media.body.toString(),
      ]),
    ).toEqual([
      ['202', 'offer of 5125550100'],
      ['5125550100', 'answer of 202'],
    ]);
    expect(events.find((event) => event.type === 'transferred')).toMatchObject({ cause: 'transfer' });
    core.reportCleared(consultation.callee.id, 'normalClearing');
    expect(core.activeCalls).toBe(0);
    expect(releases.at(-1)).toMatchObject({ connection: { id: first.caller.id } });
  });

  it('refuses a consultative transfer across two devices or within one call', () => {
    const first = connected('5125550100', '201');
    const other = connected('203', '204');
    expect(core.transfer(first.callee.id, other.caller.id)).toEqual({
      ok: false,
      error: 'invalidConnectionState',
    });
    expect(core.transfer(first.callee.id, first.caller.id)).toEqual({
      ok: false,
      error: 'invalidConnectionState',
    });
  });
});
