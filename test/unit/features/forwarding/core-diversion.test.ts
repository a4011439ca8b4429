/**
 * The core's side of call forwarding on a fake clock: a route's forwards become Diverted events
 * and the call record's original called number, a busy or unanswered device asks the router for
 * the line's forward, the caller's network may take the call itself (302), and forwards that
 * come back to a number already left end the call as a loop.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type CallCore,
  type CallEvent,
  type CallRecord,
  type Cause,
  type Connection,
  createCallCore,
  type DeviceDriver,
  type DeviceRef,
  type RouteRequest,
  type RouteResult,
} from '../../../../src/core/index.js';
import { FakeClock } from '../../../../src/sip/clock.js';

const device = (number: string): DeviceRef => ({ kind: 'phone', id: `phone-${number}`, number });
const route = (number: string, extra: Partial<Extract<RouteResult, { ok: true }>> = {}): RouteResult => ({
  ok: true,
  called: number,
  devices: [device(number)],
  ...extra,
});

interface Driven {
  offers: Connection[];
  releases: { connection: Connection; cause: Cause }[];
  redirects: { target: string; diversions: unknown }[];
}

function driver(driven: Driven, redirect?: boolean): DeviceDriver {
  return {
    offer: (connection) => driven.offers.push(connection),
    progress: () => {},
    accept: () => {},
    release: (connection, cause) => driven.releases.push({ connection, cause }),
    update: async () => ({ ok: true }),
    ...(redirect === undefined
      ? {}
      : {
          redirect: (_connection: Connection, call: { diversions: unknown }, target: string) => {
            driven.redirects.push({ target, diversions: call.diversions });
            return redirect;
          },
        }),
  };
}

describe('call forwarding in the core', () => {
  let clock: FakeClock;
  let routes: (request: RouteRequest) => RouteResult;
  let requests: RouteRequest[];
  let driven: Driven;
  let events: CallEvent[];
  let records: CallRecord[];
  let core: CallCore;

  function start(redirect?: boolean): void {
    core = createCallCore({
      clock,
      noAnswerTimeoutMs: 20_000,
      router: {
        route: (request) => {
          requests.push(request);
          return routes(request);
        },
      },
      onCallRecord: (record) => records.push(record),
    });
    core.registerDriver('phone', driver(driven));
    core.registerDriver('carrier', driver(driven, redirect));
    core.events.on((event) => events.push(event));
  }

  beforeEach(() => {
    clock = new FakeClock();
    requests = [];
    driven = { offers: [], releases: [], redirects: [] };
    events = [];
    records = [];
    routes = ({ dialed, divertOn }) => {
      if (divertOn === undefined) return route(dialed);
      if (dialed === '201')
        return route('600', { diversions: [{ from: '201', to: '600', reason: divertOn }] });
      return { ok: false, failure: 'unknown' };
    };
    start();
  });

  const call = (from: DeviceRef = device('5125550100'), dialed = '201') => {
    const made = core.makeCall({ device: from, dialed });
    if (!made.ok) throw new Error('refused');
    return made;
  };

  it('forwards a busy line: Diverted, the forward offered, the original number in the record', async () => {
    call();
    const first = driven.offers[0] as Connection;
    core.reportFailed(first.id, 'busy');
    expect(requests.at(-1)).toMatchObject({ dialed: '201', divertOn: 'busy' });
    expect(driven.offers.map((offer) => offer.device.number)).toEqual(['201', '600']);
    expect(events.find((event) => event.type === 'diverted')).toMatchObject({
      cause: 'callForwardBusy',
      divertingDevice: '201',
      newDestination: '600',
    });
    const forwarded = driven.offers[1] as Connection;
    expect(core.callOf(forwarded.id)?.diversions).toEqual([{ from: '201', to: '600', reason: 'busy' }]);
    expect(core.reportAnswered(forwarded.id).ok).toBe(true);
    core.reportCleared(forwarded.id, 'normalClearing');
    expect(records).toMatchObject([{ called: '600', originalCalled: '201', cause: 'normalClearing' }]);
  });

  it('forwards a line that does not answer in time', () => {
    call();
    clock.advance(20_000);
    expect(driven.releases[0]).toMatchObject({ cause: 'callNotAnswered' });
    expect(requests.at(-1)).toMatchObject({ divertOn: 'noAnswer' });
    expect(driven.offers.map((offer) => offer.device.number)).toEqual(['201', '600']);
  });

  it('fails as before when the line has no forward', () => {
    routes = ({ dialed, divertOn }) => (divertOn ? { ok: false, failure: 'unknown' } : route(dialed));
    const made = call();
    core.reportFailed((driven.offers[0] as Connection).id, 'busy');
    expect(driven.releases).toEqual([{ connection: made.connection, cause: 'busy' }]);
    expect(records).toMatchObject([{ cause: 'busy' }]);
  });

  it('ends a busy ring (201 → 202 → 201) as a forward loop', () => {
    routes = ({ dialed, divertOn }) => {
      if (divertOn === undefined) return route(dialed);
      const to = dialed === '201' ? '202' : '201';
      return route(to, { diversions: [{ from: dialed, to, reason: 'busy' }] });
    };
    const made = call();
    core.reportFailed((driven.offers[0] as Connection).id, 'busy');
    core.reportFailed((driven.offers[1] as Connection).id, 'busy');
    expect(driven.releases.at(-1)).toEqual({ connection: made.connection, cause: 'forwardLoop' });
    expect(records).toMatchObject([{ cause: 'forwardLoop' }]);
  });

  it('stops after the hop limit', () => {
    let hop = 0;
    routes = ({ dialed, divertOn }) => {
      if (divertOn === undefined) return route(dialed);
      hop++;
      const to = String(300 + hop);
      return route(to, { diversions: [{ from: dialed, to, reason: 'busy' }] });
    };
    const made = call();
    for (let index = 0; index < 13; index++) {
      const offer = driven.offers.at(-1) as Connection;
      core.reportFailed(offer.id, 'busy');
    }
    expect(driven.releases.at(-1)).toEqual({ connection: made.connection, cause: 'tooManyForwards' });
  });

  it('ends the call as the router decided for a loop it found', () => {
    routes = () => ({ ok: false, failure: 'forwardLoop' });
    const made = call();
    expect(driven.releases).toEqual([{ connection: made.connection, cause: 'forwardLoop' }]);
  });

  it('lets the caller’s network take a forwarded call (302) and ends the call as redirected', () => {
    start(true);
    routes = ({ dialed }) =>
      route('600', { diversions: [{ from: dialed, to: '600', reason: 'unconditional' }] });
    call({ kind: 'carrier', id: 'sp', number: '5125550100' });
    expect(driven.redirects).toEqual([
      { target: '600', diversions: [{ from: '201', to: '600', reason: 'unconditional' }] },
    ]);
    expect(driven.offers).toEqual([]);
    expect(driven.releases).toEqual([]);
    expect(core.activeCalls).toBe(0);
    expect(records).toMatchObject([{ cause: 'redirected', originalCalled: null }]);
    expect(events.find((event) => event.type === 'diverted')).toMatchObject({
      cause: 'callForwardImmediate',
    });
  });

  it('places the forward itself (hairpin) when the caller’s network may not be redirected', () => {
    start(false);
    call({ kind: 'carrier', id: 'sp', number: '5125550100' });
    core.reportFailed((driven.offers[0] as Connection).id, 'busy');
    expect(driven.redirects).toHaveLength(1);
    expect(driven.offers.map((offer) => offer.device.number)).toEqual(['201', '600']);
  });
});
