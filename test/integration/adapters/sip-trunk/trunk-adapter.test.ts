/**
 * The trunk adapter over real sockets on 127.0.0.1 against two carrier servers found through
 * SRV records (RFC 3263): the seed's numbers register with digest authentication and refresh;
 * when the primary server dies the OPTIONS keepalive takes the trunk out of service, fails over
 * to the secondary, and the trunk is back in service there with its numbers registered again.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createTrunkAdapter,
  type TrunkAdapter,
  type TrunkEvent,
} from '../../../../src/adapters/sip-trunk/index.js';
import { createResolver, createSipStack, type DnsLike, type SipStack } from '../../../../src/sip/index.js';
import { type Carrier, startCarrier } from './carrier.js';

const REALM = 'carrier.test';
const ACCOUNT = { username: '5123781000', password: 'demo-trunk-secret' }; // demo credentials
const NUMBERS = ['5123781290', '5123781291', '5123788000'];

function notFound(): Promise<never> {
  return Promise.reject(Object.assign(new Error('no such record'), { code: 'ENODATA' }));
}

/** DNS for carrier.test: SRV for UDP to the primary (priority 10) and the secondary (20). */
function carrierDns(primary: Carrier, secondary: Carrier): DnsLike {
  return {
    resolveNaptr: notFound,
    resolveSrv: async (name) =>
      name === '_sip._udp.carrier.test'
        ? [
            { name: 'primary.carrier.test', port: primary.endpoint.port, priority: 10, weight: 0 },
            { name: 'secondary.carrier.test', port: secondary.endpoint.port, priority: 20, weight: 0 },
          ]
        : notFound(),
    resolve4: async (name) =>
      name.endsWith('.carrier.test') ? [{ address: '127.0.0.1', ttl: 60 }] : notFound(),
    resolve6: notFound,
  };
}

describe('trunk adapter against a carrier on 127.0.0.1', () => {
  let primary: Carrier;
  let secondary: Carrier;
  let stack: SipStack;
  let adapter: TrunkAdapter;
  const events: TrunkEvent[] = [];

  beforeAll(async () => {
    const carrier = { realm: REALM, accounts: { [ACCOUNT.username]: ACCOUNT.password }, maxExpires: 4 };
    primary = await startCarrier(carrier);
    secondary = await startCarrier(carrier);
    // Short transaction timers so that a dead server times out in 64*T1 = 1.6 s.
    stack = await createSipStack({
      transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
      timers: { T1: 25, T2: 100 },
    });
    adapter = createTrunkAdapter({
      stack,
      resolver: createResolver({ dns: carrierDns(primary, secondary) }),
      stopTimeoutMs: 2000,
      trunks: () => [
        {
          name: 'sp',
          proxy: 'dns:carrier.test',
          registrar: { uri: 'dns:carrier.test', expires: 3600, retryRegisterSeconds: 1 },
          credentials: ACCOUNT,
          numbers: [...NUMBERS.map((number) => ({ number })), { number: '5123781201', register: false }],
          optionsKeepalive: { intervalSeconds: 1, failuresBeforeOutOfService: 2, retries: 0 },
        },
      ],
    });
    adapter.onEvent((event) => events.push(event));
    adapter.start();
  });

  afterAll(async () => {
    await adapter?.stop();
    await stack?.close();
    await primary?.close();
    await secondary?.close();
  });

  it('registers every number with digest authentication at the primary', async () => {
    await vi.waitFor(
      () => expect(adapter.registerStatus().every((row) => row.registered === 'yes')).toBe(true),
      { timeout: 10_000 },
    );
    expect([...primary.bindings.keys()].sort()).toEqual(NUMBERS);
    const view = adapter.status()[0];
    expect(view).toMatchObject({ name: 'sp', state: 'in-service', target: primary.endpoint });
    expect(view?.targets).toEqual([primary.endpoint, secondary.endpoint]);
    expect(view?.numbers.map((number) => [number.number, number.state])).toEqual([
      ['5123781290', 'registered'],
      ['5123781291', 'registered'],
      ['5123788000', 'registered'],
      ['5123781201', 'none'],
    ]);
    // The carrier granted 4 s of the 3600 asked for.
    for (const number of view?.numbers.slice(0, 3) ?? []) expect(number.expiresIn).toBeLessThanOrEqual(4);
    expect(adapter.registerStatus().map((row) => [row.line, row.registered])).toEqual(
      NUMBERS.map((number) => [number, 'yes']),
    );
    expect(primary.registers.some((register) => register.headers.has('Authorization'))).toBe(true);
    expect(primary.registers.every((register) => register.to.uri.user !== '5123781201')).toBe(true);
  });

  it('refreshes before expiry on the same Call-ID with a higher CSeq', async () => {
    const first = primary.bindings.get('5123781290');
    if (!first) throw new Error('not registered');
    await vi.waitFor(
      () => {
        const now = primary.bindings.get('5123781290');
        expect(now?.callId).toBe(first.callId);
        expect(now?.cseq).toBeGreaterThan(first.cseq);
      },
      { timeout: 10_000 },
    );
    expect(adapter.status()[0]?.numbers[0]?.state).toBe('registered');
  });

  it('takes the trunk out of service when the primary dies, and back in service on the secondary', async () => {
    await primary.close();
    await vi.waitFor(() => expect(events.some((event) => event.type === 'out-of-service')).toBe(true), {
      timeout: 20_000,
    });
    await vi.waitFor(
      () => expect(adapter.status()[0]).toMatchObject({ state: 'in-service', target: secondary.endpoint }),
      {
        timeout: 20_000,
      },
    );
    const transitions = events.filter(
      (event) => event.type !== 'registered' && event.type !== 'registration-failed',
    );
    expect(transitions).toEqual([
      {
        type: 'out-of-service',
        trunk: 'sp',
        target: primary.endpoint,
        status: 408,
        reason: 'Request Timeout',
      },
      { type: 'failover', trunk: 'sp', from: primary.endpoint, to: secondary.endpoint },
      { type: 'in-service', trunk: 'sp', target: secondary.endpoint },
    ]);
    expect(adapter.status()[0]?.lastOptions).toMatchObject({ target: secondary.endpoint, status: 200 });
    // The numbers follow the trunk to the secondary.
    await vi.waitFor(() => expect([...secondary.bindings.keys()].sort()).toEqual(NUMBERS), {
      timeout: 10_000,
    });
    await vi.waitFor(
      () =>
        expect(
          adapter
            .status()[0]
            ?.numbers.slice(0, 3)
            .map((number) => number.state),
        ).toEqual(['registered', 'registered', 'registered']),
      { timeout: 10_000 },
    );
  });

  it('removes its bindings from the carrier on stop', async () => {
    await adapter.stop();
    expect(secondary.bindings.size).toBe(0);
    expect(events.filter((event) => event.type === 'unregistered')).toHaveLength(NUMBERS.length);
  });
});
