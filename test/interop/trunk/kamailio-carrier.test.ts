/**
 * Kamailio as the carrier: its registrar (usrloc, digest auth with credentials in an htable)
 * receives the seed's numbers from the trunk adapter, `kamcmd ul.dump` shows them, a wrong
 * password ends in the failed state, the bindings go on stop, and when Kamailio stops the
 * OPTIONS keepalive takes the trunk out of service.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createTrunkAdapter,
  type TrunkAdapter,
  type TrunkConfig,
  type TrunkEvent,
} from '../../../src/adapters/sip-trunk/index.js';
import { createSipStack, type SipStack } from '../../../src/sip/index.js';
import { interopAvailable } from '../../helpers/interop.js';
import { type KamailioCarrier, startKamailioCarrier } from '../../helpers/kamailio.js';

const canRun = interopAvailable('kamailio', 'kamcmd');

const REALM = 'carrier.test';
const ACCOUNT = { username: '5123781000', password: 'demo-trunk-secret' }; // demo credentials
const REGISTERED = ['5123781290', '5123781291'];

describe.runIf(canRun)('trunk adapter with Kamailio as the carrier', () => {
  // A carrier registrar: OPTIONS answered 200, REGISTER challenged and saved in usrloc.
  let kamailio: KamailioCarrier;
  let port: number;
  let stack: SipStack;
  const adapters: TrunkAdapter[] = [];

  function trunk(password: string): TrunkConfig {
    return {
      name: 'sp',
      proxy: `ipv4:127.0.0.1:${port}`,
      registrar: { uri: `ipv4:127.0.0.1:${port}`, expires: 3600, retryRegisterSeconds: 60 },
      credentials: { username: ACCOUNT.username, password },
      numbers: [...REGISTERED.map((number) => ({ number })), { number: '5123781201', register: false }],
      optionsKeepalive: { intervalSeconds: 1, failuresBeforeOutOfService: 2, retries: 0 },
    };
  }

  function startAdapter(config: TrunkConfig, events: TrunkEvent[] = []): TrunkAdapter {
    const adapter = createTrunkAdapter({ stack, trunks: () => [config], stopTimeoutMs: 3000 });
    adapter.onEvent((event) => events.push(event));
    adapter.start();
    adapters.push(adapter);
    return adapter;
  }

  beforeAll(async () => {
    kamailio = await startKamailioCarrier({ host: '127.0.0.1', realm: REALM, account: ACCOUNT });
    port = kamailio.port;
    // Short transaction timers: a silent carrier times out in 64*T1 = 1.6 s.
    stack = await createSipStack({
      transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
      timers: { T1: 25, T2: 100 },
    });
  });

  afterAll(async () => {
    for (const adapter of adapters) await adapter.stop();
    await stack?.close();
    await kamailio?.stop();
  });

  it("registers the seed's numbers, which Kamailio's usrloc then holds", async () => {
    const adapter = startAdapter(trunk(ACCOUNT.password));
    await vi.waitFor(
      () => expect(adapter.registerStatus().map((row) => row.registered)).toEqual(['yes', 'yes']),
      { timeout: 15_000 },
    );
    expect(await kamailio.locationAors()).toEqual(REGISTERED);
    // kamcmd reads a bare 5123781290 as an integer; s: keeps it a string.
    const contact = await kamailio.kamcmd('ul.lookup', 'location', `s:${REGISTERED[0]}`);
    expect(contact).toContain(`sip:${REGISTERED[0]}@127.0.0.1:${stack.listening()[0]?.port}`);
    await vi.waitFor(() => expect(adapter.status()[0]?.lastOptions?.status).toBe(200), { timeout: 10_000 });
    expect(adapter.status()[0]?.state).toBe('in-service');

    await adapter.stop();
    expect(await kamailio.locationAors()).toEqual([]);
  });

  it('reports a wrong password as failed with 401', async () => {
    const adapter = startAdapter(trunk('not-the-password'));
    await vi.waitFor(
      () =>
        expect(
          adapter
            .status()[0]
            ?.numbers.slice(0, 2)
            .map((number) => [number.state, number.status]),
        ).toEqual([
          ['failed', 401],
          ['failed', 401],
        ]),
      { timeout: 15_000 },
    );
    expect(await kamailio.locationAors()).toEqual([]);
    await adapter.stop();
  });

  it('goes out of service when Kamailio stops', async () => {
    const events: TrunkEvent[] = [];
    const adapter = startAdapter(trunk(ACCOUNT.password), events);
    await vi.waitFor(() => expect(adapter.status()[0]?.lastOptions?.status).toBe(200), { timeout: 10_000 });
    await kamailio.stop();
    await vi.waitFor(() => expect(adapter.status()[0]?.state).toBe('out-of-service'), { timeout: 20_000 });
    expect(events.filter((event) => event.type === 'out-of-service')).toEqual([
      {
        type: 'out-of-service',
        trunk: 'sp',
        target: { protocol: 'UDP', address: '127.0.0.1', port },
        status: 408,
        reason: 'Request Timeout',
      },
    ]);
  });
});
