/**
 * The core's ad hoc conference (ECMA-269 ConferenceCall through a bridge device): a controller's
 * held and active calls become three calls to the bridge number, one per party, the controller's
 * active connection moving with its identifier and context; its held connection is released.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type CallCore,
  type CallEvent,
  type CallRecord,
  type Cause,
  type ConferencedEvent,
  type Connection,
  createCallCore,
  type DeviceDriver,
  type DeviceRef,
  type MediaDescription,
  type RouteRequest,
} from '../../../src/core/index.js';
import { FakeClock } from '../../../src/sip/clock.js';

const ROOM = '*81';
const sdp = (text: string): MediaDescription => ({ contentType: 'application/sdp', body: Buffer.from(text) });
const phone = (number: string): DeviceRef => ({ kind: 'phone', id: `phone-${number}`, number });
const BRIDGE: DeviceRef = { kind: 'conference', id: 'conference-bridge', number: ROOM };

interface Offer {
  readonly connection: Connection;
  readonly media: MediaDescription | undefined;
  /** The call's originating connection when it was offered. */
  readonly calling: string | undefined;
  /** Conferenced events emitted before the offer. */
  readonly conferencedBefore: number;
}

/** A driver keeping what the core asked of it. */
function driver(
  offers: Offer[],
  accepts: Connection[],
  releases: [Connection, Cause][],
  events: readonly CallEvent[],
): DeviceDriver {
  return {
    offer: (connection, call, media) =>
      offers.push({
        connection,
        media,
        calling: call.connections.find((party) => party.direction === 'originating')?.id,
        conferencedBefore: events.filter((event) => event.type === 'conferenced').length,
      }),
    progress: () => undefined,
    accept: (connection) => accepts.push(connection),
    release: (connection, cause) => releases.push([connection, cause]),
    update: async () => ({ ok: true }),
  };
}

describe('conference (ECMA-269 ConferenceCall through the bridge)', () => {
  let core: CallCore;
  let phoneOffers: Offer[];
  let bridgeOffers: Offer[];
  let accepts: Connection[];
  let releases: [Connection, Cause][];
  let events: CallEvent[];
  let records: CallRecord[];
  let routed: RouteRequest[];

  beforeEach(() => {
    phoneOffers = [];
    bridgeOffers = [];
    accepts = [];
    releases = [];
    events = [];
    records = [];
    routed = [];
    core = createCallCore({
      clock: new FakeClock(),
      router: {
        route: (request) => {
          routed.push(request);
          if (request.dialed === ROOM) return { ok: true, called: ROOM, devices: [BRIDGE] };
          if (/^20[0-9]$/.test(request.dialed))
            return { ok: true, called: request.dialed, devices: [phone(request.dialed)] };
          return { ok: false, failure: 'unknown' };
        },
      },
      onCallRecord: (record) => records.push(record),
    });
    core.registerDriver('phone', driver(phoneOffers, accepts, releases, events));
    core.registerDriver('conference', driver(bridgeOffers, accepts, releases, events));
    core.events.on((event) => events.push(event));
  });

  /** `from` calls `to`, which answers; both connections. */
  function connected(from: string, to: string, context?: string) {
    const made = core.makeCall({ device: phone(from), dialed: to, media: sdp(`offer of ${from}`), context });
    if (!made.ok) throw new Error('refused');
    const callee = phoneOffers.at(-1)?.connection;
    if (callee === undefined) throw new Error('not offered');
    expect(core.reportAnswered(callee.id, sdp(`answer of ${to}`)).ok).toBe(true);
    return { caller: made.connection, callee, callId: made.callId };
  }

  /** 201 calls 202, holds it, and calls 203: the controller's held and active calls. */
  function controller() {
    const held = connected('201', '202', 'held dialog');
    expect(core.hold(held.caller.id).ok).toBe(true);
    const active = connected('201', '203', 'active dialog');
    events.length = 0;
    releases.length = 0;
    return { held, active };
  }

  it('moves both parties and the controller’s active connection into calls to the room and releases the held one', () => {
    const { held, active } = controller();
    const result = core.conference(held.caller.id, active.caller.id, ROOM);
    if (!result.ok) throw new Error(result.error);

    // Each party leads its own call to the bridge, with its connection id and context.
    expect(bridgeOffers.map((offer) => offer.calling)).toEqual([
      held.callee.id,
      active.callee.id,
      active.caller.id,
    ]);
    expect(bridgeOffers.map((offer) => offer.connection.callId)).toEqual([
      result.callIds.held,
      result.callIds.active,
      result.callIds.controller,
    ]);
    // The bridge is offered each party's latest description.
    expect(bridgeOffers.map((offer) => offer.media?.body.toString())).toEqual([
      'answer of 202',
      'answer of 203',
      'offer of 201',
    ]);
    const controllerCall = core.call(result.callIds.controller);
    expect(
      controllerCall?.connections.map(({ id, number, direction }) => ({ id, number, direction })),
    ).toEqual([
      { id: active.caller.id, number: '201', direction: 'originating' },
      { id: bridgeOffers[2]?.connection.id, number: ROOM, direction: 'terminating' },
    ]);
    expect(active.caller.context).toBe('active dialog');
    expect(core.callOf(held.callee.id)?.calling).toBe('202');

    // Only the held connection is released; the old calls are over.
    expect(releases).toEqual([[held.caller, 'conference']]);
    expect(core.call(held.callId)).toBeUndefined();
    expect(core.call(active.callId)).toBeUndefined();
    expect(core.calls()).toHaveLength(3);
    expect(records.slice(-2).map((record) => record.callId)).toEqual([held.callId, active.callId]);

    // Routed with the controller's device, each party presenting its own number.
    expect(routed.slice(-3).map((request) => [request.calling.id, request.calling.number])).toEqual([
      ['phone-201', '202'],
      ['phone-201', '203'],
      ['phone-201', '201'],
    ]);

    const conferenced = events.filter((event): event is ConferencedEvent => event.type === 'conferenced');
    expect(conferenced).toHaveLength(3);
    for (const [index, moved] of [held.callee, active.callee, active.caller].entries()) {
      const oldCallId = index === 0 ? held.callId : active.callId;
      expect(conferenced[index]).toMatchObject({
        cause: 'conference',
        primaryOldCall: held.callId,
        secondaryOldCall: active.callId,
        conferencingDevice: 'phone-201',
        addedParty: moved.device.id,
        conferenceNumber: ROOM,
        conferenceConnections: [
          { connection: { connectionId: moved.id, callId: conferenced[index]?.callId }, oldCallId },
        ],
      });
    }
    expect(
      events.filter((event) => event.type === 'callCleared').map((event) => [event.callId, event.cause]),
    ).toEqual([
      [held.callId, 'conference'],
      [active.callId, 'conference'],
    ]);
    // Every move is announced before the bridge is offered a call: the media follows the moves first.
    expect(bridgeOffers.map((offer) => offer.conferencedBefore)).toEqual([3, 3, 3]);
  });

  it('tells each moved party of the bridge’s answer as the originating side', () => {
    const { held, active } = controller();
    const result = core.conference(held.caller.id, active.caller.id, ROOM);
    if (!result.ok) throw new Error(result.error);
    for (const offer of bridgeOffers) expect(core.reportAnswered(offer.connection.id).ok).toBe(true);
    expect(accepts.slice(-3).map((connection) => connection.id)).toEqual([
      held.callee.id,
      active.callee.id,
      active.caller.id,
    ]);
    for (const id of Object.values(result.callIds)) expect(core.call(id)?.phase).toBe('connected');
  });

  it('moves the controller’s connection of a call it answered as the calling side of its call to the room', () => {
    const held = connected('201', '202');
    core.hold(held.caller.id);
    const incoming = connected('203', '201');
    const result = core.conference(held.caller.id, incoming.callee.id, ROOM);
    if (!result.ok) throw new Error(result.error);
    const controllerCall = core.call(result.callIds.controller);
    expect(controllerCall?.calling).toBe('201');
    expect(controllerCall?.connections[0]).toMatchObject({
      id: incoming.callee.id,
      direction: 'originating',
    });
    expect(core.call(result.callIds.active)?.connections[0]).toMatchObject({ id: incoming.caller.id });
  });

  it('refuses connections that are not one device’s held and active calls, and changes nothing', () => {
    const { held, active } = controller();
    const other = connected('204', '205');
    const before = core.calls();
    expect(core.conference('99.1', active.caller.id, ROOM)).toEqual({
      ok: false,
      error: 'invalidConnectionId',
    });
    expect(core.conference(held.caller.id, '99.1', ROOM)).toEqual({
      ok: false,
      error: 'invalidConnectionId',
    });
    // Same call, swapped roles, another device's call, the other party's connections.
    for (const [h, a] of [
      [held.caller.id, held.callee.id],
      [active.caller.id, held.caller.id],
      [held.caller.id, other.caller.id],
      [held.callee.id, active.callee.id],
    ] as const)
      expect(core.conference(h, a, ROOM)).toEqual({ ok: false, error: 'invalidConnectionState' });
    expect(core.calls()).toEqual(before);
    expect(releases).toEqual([]);
    expect(bridgeOffers).toEqual([]);
  });

  it('refuses an active call that is not connected yet', () => {
    const held = connected('201', '202');
    core.hold(held.caller.id);
    const ringing = core.makeCall({ device: phone('201'), dialed: '203', media: sdp('offer') });
    if (!ringing.ok) throw new Error('refused');
    expect(core.conference(held.caller.id, ringing.connection.id, ROOM)).toEqual({
      ok: false,
      error: 'invalidConnectionState',
    });
  });

  it('refuses a number that cannot be routed before anything moves', () => {
    const { held, active } = controller();
    for (const dialed of ['999', '', 'x'.repeat(100), 42 as unknown as string])
      expect(core.conference(held.caller.id, active.caller.id, dialed)).toEqual({
        ok: false,
        error: 'invalidCalledDevice',
      });
    expect(releases).toEqual([]);
    expect(events.filter((event) => event.type === 'conferenced')).toEqual([]);
    expect(core.callOf(held.caller.id)?.id).toBe(held.callId);
    expect(core.callOf(active.caller.id)?.id).toBe(active.callId);
  });

  it('moves no connection twice: a second conference of the same pair finds the held one gone', () => {
    const { held, active } = controller();
    expect(core.conference(held.caller.id, active.caller.id, ROOM).ok).toBe(true);
    expect(core.conference(held.caller.id, active.caller.id, ROOM)).toEqual({
      ok: false,
      error: 'invalidConnectionId',
    });
    expect(core.calls()).toHaveLength(3);
  });
});
