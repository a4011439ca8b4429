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
  type MediaDescription,
  type RouteResult,
  type SessionUpdate,
} from '../../../src/core/index.js';
import { FakeClock } from '../../../src/sip/clock.js';

type Request =
  | { kind: 'offer'; connection: Connection; media: MediaDescription | undefined }
  | { kind: 'progress'; connection: Connection; media: MediaDescription | undefined }
  | { kind: 'accept'; connection: Connection; media: MediaDescription | undefined }
  | { kind: 'release'; connection: Connection; cause: Cause }
  | { kind: 'update'; connection: Connection; update: SessionUpdate }
  | { kind: 'answer'; connection: Connection };

function recordingDriver(requests: Request[], withAnswer = false): DeviceDriver {
  return {
    offer: (connection, _call, media) => requests.push({ kind: 'offer', connection, media }),
    progress: (connection, media) => requests.push({ kind: 'progress', connection, media }),
    accept: (connection, media) => requests.push({ kind: 'accept', connection, media }),
    release: (connection, cause) => requests.push({ kind: 'release', connection, cause }),
    update: async (connection, update) => {
      requests.push({ kind: 'update', connection, update });
      return { ok: true, media: sdp('answer') };
    },
    ...(withAnswer
      ? { answer: (connection: Connection) => requests.push({ kind: 'answer', connection }) }
      : {}),
  };
}

const sdp = (text: string): MediaDescription => ({ contentType: 'application/sdp', body: Buffer.from(text) });
const phone = (id: string, number: string): DeviceRef => ({ kind: 'phone', id, number });

const WALL_START = Date.UTC(2025, 0, 1, 12, 0, 0);

describe('call core', () => {
  let clock: FakeClock;
  let requests: Request[];
  let events: CallEvent[];
  let records: CallRecord[];
  let routes: Map<string, RouteResult>;
  let core: CallCore;

  beforeEach(() => {
    clock = new FakeClock();
    requests = [];
    events = [];
    records = [];
    routes = new Map([
      ['202', { ok: true, called: '202', devices: [phone('phone-202', '202')] }],
      ['300', { ok: true, called: '300', devices: [phone('phone-300a', '300'), phone('phone-300b', '300')] }],
      ['480', { ok: false, failure: 'notRegistered' }],
      ['666', { ok: false, failure: 'blocked' }],
    ]);
    core = createCallCore({
      clock,
      wallClock: () => WALL_START + clock.now(),
      noAnswerTimeoutMs: 20_000,
      router: { route: ({ dialed }) => routes.get(dialed) ?? { ok: false, failure: 'unknown' } },
      onCallRecord: (record) => records.push(record),
    });
    core.registerDriver('phone', recordingDriver(requests));
    core.events.on((event) => events.push(event));
  });

  const call = (dialed: string, media: MediaDescription | undefined = sdp('offer')) => {
    const result = core.makeCall({ device: phone('phone-201', '201'), dialed, media, context: 'caller leg' });
    if (!result.ok) throw new Error('makeCall refused');
    return result;
  };
  const offers = () => requests.filter((r): r is Extract<Request, { kind: 'offer' }> => r.kind === 'offer');
  const releases = () =>
    requests.filter((r): r is Extract<Request, { kind: 'release' }> => r.kind === 'release');
  const eventTypes = () => events.map((event) => event.type);

  it('makes, alerts, answers and clears a call from the called side, with CSTA events in order', () => {
    const { callId, connection: caller } = call('202');
    expect(caller.context).toBe('caller leg');
    const [offer] = offers();
    expect(offer?.media?.body.toString()).toBe('offer');
    const callee = offer!.connection;
    expect(callee.device.id).toBe('phone-202');

    clock.advance(1000);
    core.reportAlerting(callee.id);
    expect(requests.at(-1)).toMatchObject({ kind: 'progress', connection: { id: caller.id } });
    expect(core.call(callId)).toMatchObject({ phase: 'alerting', calling: '201', called: '202' });

    clock.advance(2000);
    expect(core.reportAnswered(callee.id, sdp('answer'))).toEqual({ ok: true });
    const accept = requests.at(-1);
    expect(accept).toMatchObject({ kind: 'accept', connection: { id: caller.id } });
    expect(accept?.kind === 'accept' && accept.media?.body.toString()).toBe('answer');
    expect(core.call(callId)?.connections.map((c) => c.state)).toEqual(['connected', 'connected']);

    clock.advance(61_500);
    core.reportCleared(callee.id, 'normalClearing');
    expect(releases()).toEqual([{ kind: 'release', connection: caller, cause: 'normalClearing' }]);
    expect(core.activeCalls).toBe(0);
    expect(eventTypes()).toEqual([
      'serviceInitiated',
      'originated',
      'delivered',
      'established',
      'connectionCleared',
      'connectionCleared',
      'callCleared',
    ]);
    expect(events[2]).toMatchObject({
      type: 'delivered',
      alertingDevice: 'phone-202',
      callingDevice: 'phone-201',
      calledDevice: '202',
      alertingConnection: { state: 'alerting' },
    });
    expect(events[4]).toMatchObject({ releasingDevice: 'phone-202', cause: 'normalClearing' });
    expect(records).toEqual([
      {
        callId,
        calling: '201',
        called: '202',
        originalCalled: null,
        setupAt: new Date(WALL_START),
        answerAt: new Date(WALL_START + 3000),
        endAt: new Date(WALL_START + 64_500),
        cause: 'normalClearing',
        durationSeconds: 61,
      },
    ]);
  });

  it('clears the called side when the caller hangs up', () => {
    const { connection: caller } = call('202');
    const callee = offers()[0]!.connection;
    core.reportAnswered(callee.id);
    core.reportCleared(caller.id, 'normalClearing');
    expect(releases()).toEqual([{ kind: 'release', connection: callee, cause: 'normalClearing' }]);
    expect(events.at(-1)).toMatchObject({ type: 'callCleared', cause: 'normalClearing' });
  });

  it('releases the called devices with callCancelled when the caller abandons', () => {
    const { connection: caller } = call('300');
    core.reportAlerting(offers()[0]!.connection.id);
    core.reportCleared(caller.id, 'callCancelled');
    expect(releases().map((r) => [r.connection.device.id, r.cause])).toEqual([
      ['phone-300a', 'callCancelled'],
      ['phone-300b', 'callCancelled'],
    ]);
    expect(records[0]).toMatchObject({ cause: 'callCancelled', answerAt: null, durationSeconds: 0 });
  });

  it('alerts every device of a line in parallel; the first answer wins and the others are released', () => {
    const { connection: caller } = call('300');
    const [a, b] = offers().map((offer) => offer.connection);
    core.reportAlerting(a!.id);
    core.reportAlerting(b!.id, sdp('early b'));
    expect(events.filter((e) => e.type === 'delivered').map((e) => e.cause)).toEqual([
      'multipleAlerting',
      'multipleAlerting',
    ]);
    const progress = requests.filter((r) => r.kind === 'progress');
    expect(progress.map((r) => (r.kind === 'progress' ? r.media?.body.toString() : 'other'))).toEqual([
      undefined,
      'early b',
    ]);

    expect(core.reportAnswered(b!.id).ok).toBe(true);
    expect(releases()).toEqual([{ kind: 'release', connection: a, cause: 'multipleAlerting' }]);
    // A late answer from the losing device is refused: its adapter hangs it up.
    expect(core.reportAnswered(a!.id)).toEqual({ ok: false, error: 'invalidConnectionId' });
    expect(requests.filter((r) => r.kind === 'accept')).toHaveLength(1);
    expect(core.calls()[0]?.connections.map((c) => [c.deviceId, c.state])).toEqual([
      ['phone-201', 'connected'],
      ['phone-300b', 'connected'],
    ]);
    expect(caller.state).toBe('connected');
  });

  it('fails the call with busy when every device is busy, and prefers busy over other failures', () => {
    const { connection: caller } = call('300');
    const [a, b] = offers().map((offer) => offer.connection);
    core.reportFailed(a!.id, 'destOutOfOrder');
    expect(releases()).toEqual([]);
    core.reportFailed(b!.id, 'busy');
    expect(releases()).toEqual([{ kind: 'release', connection: caller, cause: 'busy' }]);
    expect(eventTypes()).toEqual([
      'serviceInitiated',
      'originated',
      'failed',
      'connectionCleared',
      'failed',
      'connectionCleared',
      'failed',
      'connectionCleared',
      'callCleared',
    ]);
    expect(events[6]).toMatchObject({ type: 'failed', failingDevice: 'phone-201', cause: 'busy' });
    expect(records[0]).toMatchObject({ cause: 'busy', called: '300' });
  });

  it.each([
    ['999', 'destNotObtainable'],
    ['480', 'destOutOfOrder'],
    ['666', 'reorderTone'],
    ['', 'destNotObtainable'],
    ['1'.repeat(65), 'destNotObtainable'],
  ] as const)('fails a call to %j with %s without alerting anyone', (dialed, cause) => {
    const { connection: caller } = call(dialed);
    expect(offers()).toEqual([]);
    expect(releases()).toEqual([{ kind: 'release', connection: caller, cause }]);
    expect(eventTypes()).toEqual([
      'serviceInitiated',
      'originated',
      'failed',
      'connectionCleared',
      'callCleared',
    ]);
    expect(core.activeCalls).toBe(0);
    expect(records[0]?.cause).toBe(cause);
  });

  it('fails an unanswered call with callNotAnswered after the no-answer timeout', () => {
    const { connection: caller } = call('300');
    for (const offer of offers()) core.reportAlerting(offer.connection.id);
    clock.advance(19_999);
    expect(releases()).toEqual([]);
    clock.advance(1);
    expect(releases().map((r) => [r.connection.device.id, r.cause])).toEqual([
      ['phone-300a', 'callNotAnswered'],
      ['phone-300b', 'callNotAnswered'],
      ['phone-201', 'callNotAnswered'],
    ]);
    expect(caller.state).toBe('null');
    expect(records[0]?.cause).toBe('callNotAnswered');
    expect(clock.pending).toBe(0);
  });

  it('uses the no-answer timeout of the route when it has one', () => {
    routes.set('203', {
      ok: true,
      called: '203',
      devices: [phone('phone-203', '203')],
      noAnswerTimeoutMs: 5000,
    });
    call('203');
    clock.advance(5000);
    expect(records[0]?.cause).toBe('callNotAnswered');
  });

  it('stops the no-answer timer once answered', () => {
    call('202');
    core.reportAnswered(offers()[0]!.connection.id);
    expect(clock.pending).toBe(0);
  });

  it('holds and retrieves a connected connection', () => {
    const { connection: caller } = call('202');
    expect(core.hold(caller.id)).toEqual({ ok: false, error: 'invalidConnectionState' });
    core.reportAnswered(offers()[0]!.connection.id);
    expect(core.retrieve(caller.id)).toEqual({ ok: false, error: 'invalidConnectionState' });
    expect(core.hold(caller.id)).toEqual({ ok: true });
    expect(caller.state).toBe('held');
    expect(core.hold(caller.id)).toEqual({ ok: false, error: 'invalidConnectionState' });
    expect(core.retrieve(caller.id)).toEqual({ ok: true });
    expect(caller.state).toBe('connected');
    expect(eventTypes().slice(-2)).toEqual(['held', 'retrieved']);
    expect(events.at(-2)).toMatchObject({ holdingDevice: 'phone-201', heldConnection: { state: 'held' } });
    expect(core.hold('no such')).toEqual({ ok: false, error: 'invalidConnectionId' });
  });

  it('relays session updates to the other party only once connected', async () => {
    const { connection: caller } = call('202');
    const callee = offers()[0]!.connection;
    expect(await core.updateSession(caller.id, { kind: 'offer', media: sdp('re') })).toEqual({
      ok: false,
      failure: 'noPeer',
    });
    core.reportAnswered(callee.id);
    const result = await core.updateSession(caller.id, { kind: 'offer', media: sdp('re') });
    expect(result.ok && result.media?.body.toString()).toBe('answer');
    expect(requests.at(-1)).toMatchObject({ kind: 'update', connection: { id: callee.id } });
  });

  it('clears a connection on request and tells its driver', () => {
    const { connection: caller } = call('202');
    const callee = offers()[0]!.connection;
    core.reportAnswered(callee.id);
    expect(core.clear(caller.id)).toEqual({ ok: true });
    expect(releases().map((r) => r.connection.id)).toEqual([caller.id, callee.id]);
    expect(core.clear(caller.id)).toEqual({ ok: false, error: 'invalidConnectionId' });
  });

  it('answers through a driver that can, and refuses otherwise', () => {
    const answering: Request[] = [];
    core.registerDriver('desk', recordingDriver(answering, true));
    routes.set('204', {
      ok: true,
      called: '204',
      devices: [{ kind: 'desk', id: 'desk-204', number: '204' }],
    });
    call('204');
    const desk = answering.find((r) => r.kind === 'offer')!.connection;
    expect(core.answer(desk.id)).toEqual({ ok: false, error: 'invalidConnectionState' });
    core.reportAlerting(desk.id);
    expect(core.answer(desk.id)).toEqual({ ok: true });
    expect(answering.at(-1)).toMatchObject({ kind: 'answer', connection: { id: desk.id } });

    call('202');
    const plain = offers().at(-1)!.connection;
    core.reportAlerting(plain.id);
    expect(core.answer(plain.id)).toEqual({ ok: false, error: 'notSupported' });
  });

  it('refuses calls beyond its limit and keeps going when a listener or driver throws', () => {
    const limited = createCallCore({
      clock,
      maxCalls: 1,
      router: { route: () => ({ ok: true, called: '202', devices: [phone('phone-202', '202')] }) },
    });
    const thrown: Request[] = [];
    limited.registerDriver('phone', {
      ...recordingDriver(thrown),
      offer: () => {
        throw new Error('driver bug');
      },
    });
    limited.events.on(() => {
      throw new Error('listener bug');
    });
    expect(limited.makeCall({ device: phone('phone-201', '201'), dialed: '202' }).ok).toBe(true);
    expect(limited.makeCall({ device: phone('phone-201', '201'), dialed: '202' })).toEqual({
      ok: false,
      cause: 'networkCongestion',
    });
    expect(limited.activeCalls).toBe(1);
  });

  it('fails the call when the route names a device kind without a driver', () => {
    routes.set('205', { ok: true, called: '205', devices: [{ kind: 'trunk', id: 't1', number: '205' }] });
    const { connection: caller } = call('205');
    expect(releases()).toEqual([{ kind: 'release', connection: caller, cause: 'resourcesNotAvailable' }]);
  });

  it('ignores reports about connections that are gone', () => {
    const { connection: caller } = call('202');
    const callee = offers()[0]!.connection;
    core.reportCleared(caller.id, 'callCancelled');
    const before = events.length;
    core.reportAlerting(callee.id);
    core.reportFailed(callee.id, 'busy');
    core.reportCleared(callee.id, 'normalClearing');
    expect(core.reportAnswered(callee.id).ok).toBe(false);
    expect(events.length).toBe(before);
    expect(records).toHaveLength(1);
  });
});
