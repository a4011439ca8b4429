/**
 * OPTIONS keepalive toward the carrier on a FakeClock: in service while the target answers,
 * out of service after N failed probes, failover through the resolved targets in order
 * (RFC 3263 §4.3), back in service on the first answer, and registrations following the move.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTrunkAdapter,
  type TrunkAdapter,
  type TrunkConfig,
  type TrunkEvent,
} from '../../../../src/adapters/sip-trunk/index.js';
import { type Endpoint, FakeClock, formatUri } from '../../../../src/sip/index.js';
import { FakeStack, fixedResolver, settle, udp } from './fake-carrier.js';

const PRIMARY = udp('203.0.113.10');
const SECONDARY = udp('203.0.113.20');
const TERTIARY = udp('203.0.113.30');

function trunk(overrides: Partial<TrunkConfig> = {}): TrunkConfig {
  return {
    name: 'sp',
    proxy: 'dns:domain.test.com',
    credentials: { username: '5123781000', password: 'demo-secret' },
    optionsKeepalive: { intervalSeconds: 30, failuresBeforeOutOfService: 2, retries: 0 },
    ...overrides,
  };
}

describe('trunk OPTIONS keepalive', () => {
  let clock: FakeClock;
  let stack: FakeStack;
  let adapter: TrunkAdapter;
  let events: TrunkEvent[];

  async function startWith(config: TrunkConfig, ...targetLists: Endpoint[][]): Promise<void> {
    adapter = createTrunkAdapter({
      stack,
      trunks: () => [config],
      clock,
      resolver: fixedResolver(...targetLists),
    });
    adapter.onEvent((event) => events.push(event));
    adapter.start();
    await settle();
  }

  /** Answers the pending probe and checks where it went. */
  async function probe(expected: Endpoint, status: number): Promise<void> {
    const options = stack.next('OPTIONS');
    expect(options.target).toEqual(expected);
    options.respond(status);
    await settle();
  }

  async function waitInterval(): Promise<void> {
    clock.advance(30_000);
    await settle();
  }

  beforeEach(() => {
    clock = new FakeClock();
    stack = new FakeStack();
    events = [];
  });

  afterEach(async () => {
    const stopped = adapter.stop();
    for (let round = 0; round < 3; round++) {
      await settle();
      for (const pending of stack.sent) if (!pending.answered) pending.respond(200);
    }
    clock.advance(5000);
    await stopped;
  });

  it('probes the first target with OPTIONS and reports status and RTT', async () => {
    await startWith(trunk(), [PRIMARY, SECONDARY]);
    const options = stack.next('OPTIONS');
    expect(options.target).toEqual(PRIMARY);
    expect(formatUri(options.request.uri)).toBe('sip:domain.test.com');
    expect(formatUri(options.request.from.uri)).toBe('sip:5123781000@domain.test.com');
    expect(options.request.headers.get('Accept')).toBe('application/sdp');
    clock.advance(42);
    options.respond(200);
    await settle();
    const [view] = adapter.status();
    expect(view).toMatchObject({
      name: 'sp',
      state: 'in-service',
      target: PRIMARY,
      targets: [PRIMARY, SECONDARY],
      consecutiveFailures: 0,
      lastOptions: { target: PRIMARY, status: 200, reason: 'OK', rttMs: 42, secondsAgo: 0 },
    });
    await waitInterval();
    await probe(PRIMARY, 200);
    expect(events).toEqual([]);
  });

  it('counts any answer but 408 and 5xx as alive', async () => {
    await startWith(trunk(), [PRIMARY, SECONDARY]);
    for (const status of [405, 404, 407, 603]) {
      await probe(PRIMARY, status);
      await waitInterval();
    }
    expect(adapter.status()[0]).toMatchObject({ state: 'in-service', consecutiveFailures: 0 });
  });

  it('goes out of service after N failures, fails over to the next target, and is back in service there', async () => {
    await startWith(trunk(), [PRIMARY, SECONDARY]);
    await probe(PRIMARY, 200);
    await waitInterval();
    await probe(PRIMARY, 408);
    expect(adapter.status()[0]).toMatchObject({ state: 'in-service', consecutiveFailures: 1 });
    expect(events).toEqual([]);
    await waitInterval();
    await probe(PRIMARY, 503);
    expect(adapter.status()[0]).toMatchObject({ state: 'out-of-service', target: SECONDARY });
    // The next target is tried at once, not an interval later.
    await probe(SECONDARY, 200);
    expect(adapter.status()[0]).toMatchObject({ state: 'in-service', target: SECONDARY });
    expect(events).toEqual([
      { type: 'out-of-service', trunk: 'sp', target: PRIMARY, status: 503, reason: 'Service Unavailable' },
      { type: 'failover', trunk: 'sp', from: PRIMARY, to: SECONDARY },
      { type: 'in-service', trunk: 'sp', target: SECONDARY },
    ]);
    // It stays on the target that answers.
    await waitInterval();
    await probe(SECONDARY, 200);
  });

  it('while out of service walks the targets in order, one per interval, and re-resolves after the last', async () => {
    const resolver = [PRIMARY, SECONDARY, TERTIARY];
    await startWith(trunk(), resolver, [SECONDARY, PRIMARY]);
    await probe(PRIMARY, 408);
    await waitInterval();
    await probe(PRIMARY, 408);
    await probe(SECONDARY, 408);
    expect(stack.pending('OPTIONS')).toHaveLength(0);
    await waitInterval();
    await probe(TERTIARY, 500);
    await waitInterval();
    // After the last target the proxy is resolved again; the new list's first entry comes next.
    await probe(SECONDARY, 200);
    expect(adapter.status()[0]).toMatchObject({
      state: 'in-service',
      target: SECONDARY,
      targets: [SECONDARY, PRIMARY],
    });
    expect(events.map((event) => event.type)).toEqual([
      'out-of-service',
      'failover',
      'failover',
      'failover',
      'in-service',
    ]);
  });

  it('with a single target stays on it and comes back in service when it answers', async () => {
    await startWith(trunk({ optionsKeepalive: { intervalSeconds: 30, failuresBeforeOutOfService: 1 } }), [
      PRIMARY,
    ]);
    await probe(PRIMARY, 408);
    expect(adapter.status()[0]?.state).toBe('out-of-service');
    await waitInterval();
    await probe(PRIMARY, 408);
    await waitInterval();
    await probe(PRIMARY, 200);
    expect(events.map((event) => event.type)).toEqual(['out-of-service', 'in-service']);
  });

  it('sends OPTIONS again at once as many times as retry options says before counting a failure', async () => {
    await startWith(
      trunk({ optionsKeepalive: { intervalSeconds: 30, failuresBeforeOutOfService: 1, retries: 2 } }),
      [PRIMARY, SECONDARY],
    );
    await probe(PRIMARY, 408);
    await probe(PRIMARY, 408);
    expect(adapter.status()[0]?.state).toBe('in-service');
    await probe(PRIMARY, 200);
    expect(adapter.status()[0]).toMatchObject({ state: 'in-service', consecutiveFailures: 0 });
  });

  it('is out of service while the proxy resolves to nothing, and tries again', async () => {
    await startWith(trunk(), [], [PRIMARY]);
    expect(adapter.status()[0]).toMatchObject({ state: 'out-of-service', target: undefined });
    expect(events).toEqual([
      {
        type: 'out-of-service',
        trunk: 'sp',
        target: undefined,
        status: undefined,
        reason: 'no carrier target resolved',
      },
    ]);
    await waitInterval();
    await probe(PRIMARY, 200);
    expect(adapter.status()[0]?.state).toBe('in-service');
  });

  it('without keepalive sends no OPTIONS and uses the first target', async () => {
    await startWith(trunk({ optionsKeepalive: false }), [PRIMARY, SECONDARY]);
    clock.advance(600_000);
    await settle();
    expect(stack.sent).toHaveLength(0);
    expect(adapter.status()[0]).toMatchObject({
      state: 'in-service',
      target: PRIMARY,
      lastOptions: undefined,
    });
  });

  it('moves the registrations to the new target when the trunk fails over', async () => {
    await startWith(
      trunk({
        registrar: { uri: 'dns:domain.test.com' },
        numbers: [{ number: '5123781290' }, { number: '5123781291' }],
      }),
      [PRIMARY, SECONDARY],
    );
    for (const register of stack.pending('REGISTER')) {
      expect(register.target).toEqual(PRIMARY);
      register.respond(200, [['Expires', '3600']]);
    }
    await probe(PRIMARY, 408);
    await waitInterval();
    await probe(PRIMARY, 408);
    await probe(SECONDARY, 200);
    const moved = stack.pending('REGISTER');
    expect(moved.map((register) => [register.request.to.uri.user, register.target])).toEqual([
      ['5123781290', SECONDARY],
      ['5123781291', SECONDARY],
    ]);
  });

  it('leaves a registrar other than the proxy to the stack to resolve', async () => {
    await startWith(
      trunk({ registrar: { uri: 'sip:registrar.test.com' }, numbers: [{ number: '5123781290' }] }),
      [PRIMARY],
    );
    const register = stack.next('REGISTER');
    expect(register.target).toBeUndefined();
    expect(formatUri(register.request.uri)).toBe('sip:registrar.test.com');
    expect(formatUri(register.request.to.uri)).toBe('sip:5123781290@registrar.test.com');
  });

  it('stops probing on stop', async () => {
    await startWith(trunk(), [PRIMARY]);
    await probe(PRIMARY, 200);
    await adapter.stop();
    clock.advance(600_000);
    await settle();
    expect(stack.pending('OPTIONS')).toHaveLength(0);
    expect(clock.pending).toBe(0);
  });
});
