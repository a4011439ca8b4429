/**
 * Outbound registration of a trunk's numbers (RFC 3261 §10.2) against a scripted registrar on a
 * FakeClock: digest challenge answered, refresh timing, retry with backoff, 423 Interval Too
 * Brief, no-reg numbers, and removal of the bindings on stop.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTrunkAdapter,
  type TrunkAdapter,
  type TrunkConfig,
  type TrunkEvent,
} from '../../../../src/adapters/sip-trunk/index.js';
import { createDigestServer, type DigestServer, FakeClock, formatUri } from '../../../../src/sip/index.js';
import { FakeStack, fixedResolver, type SentRequest, settle, udp } from './fake-carrier.js';

const PASSWORD = 'demo-secret'; // demo credentials, not a real account
const CARRIER = udp('203.0.113.10');

/** The seed's sip-ua: `authentication username 5123781000`, `registrar dns:domain.test.com expires 3600`, `retry register 10`. */
function seedTrunk(overrides: Partial<TrunkConfig> = {}): TrunkConfig {
  return {
    name: 'sp',
    proxy: 'dns:domain.test.com',
    registrar: { uri: 'dns:domain.test.com', expires: 3600, retryRegisterSeconds: 10 },
    credentials: { username: '5123781000', password: PASSWORD },
    numbers: [
      { number: '5123781290' },
      { number: '5123781201', register: false },
      { number: '5123781202', register: false },
    ],
    optionsKeepalive: false,
    ...overrides,
  };
}

describe('trunk registration', () => {
  let clock: FakeClock;
  let stack: FakeStack;
  let adapter: TrunkAdapter;
  let digest: DigestServer;
  let events: TrunkEvent[];

  async function startWith(config: TrunkConfig): Promise<void> {
    adapter = createTrunkAdapter({
      stack,
      trunks: () => [config],
      clock,
      resolver: fixedResolver([CARRIER]),
    });
    adapter.onEvent((event) => events.push(event));
    adapter.start();
    await settle();
  }

  function challenge(register: SentRequest, stale = false): void {
    const { name, values } = digest.challenge({ proxy: false, stale });
    register.respond(
      401,
      values.map((value) => [name, value]),
    );
  }

  function verified(register: SentRequest): boolean {
    const result = digest.verify(register.request, {
      proxy: false,
      lookup: (username) => (username === '5123781000' ? { password: PASSWORD } : undefined),
    });
    return result.status === 'ok';
  }

  /** 200 listing the request's Contact with the granted time. */
  function accept(register: SentRequest, expires = register.request.headers.get('Expires') ?? '3600'): void {
    register.respond(200, [['Contact', `${register.request.headers.get('Contact')};expires=${expires}`]]);
  }

  /** The first registration of 5123781290: challenged, answered, accepted. */
  async function register(expires = '3600'): Promise<SentRequest> {
    challenge(stack.next('REGISTER'));
    await settle();
    const authorized = stack.next('REGISTER');
    accept(authorized, expires);
    await settle();
    return authorized;
  }

  beforeEach(() => {
    clock = new FakeClock();
    stack = new FakeStack();
    digest = createDigestServer({ realm: 'domain.test.com', clock, algorithms: ['MD5'] });
    events = [];
  });

  afterEach(async () => {
    const stopped = adapter.stop();
    for (let round = 0; round < 3; round++) {
      await settle();
      for (const pending of stack.pending('REGISTER')) pending.respond(200);
    }
    clock.advance(5000);
    await stopped;
  });

  it('registers the number at the carrier after answering the 401 challenge', async () => {
    await startWith(seedTrunk());
    const first = stack.next('REGISTER');
    expect(formatUri(first.request.uri)).toBe('sip:domain.test.com');
    expect(formatUri(first.request.to.uri)).toBe('sip:5123781290@domain.test.com');
    expect(formatUri(first.request.from.uri)).toBe('sip:5123781290@domain.test.com');
    expect(first.request.from.params.tag).toBeTruthy();
    expect(first.request.headers.get('Expires')).toBe('3600');
    expect(first.request.headers.get('Contact')).toBe('<sip:5123781290@192.0.2.1:5060>');
    expect(first.request.headers.has('Authorization')).toBe(false);
    expect(first.target).toEqual(CARRIER);
    expect(adapter.status()[0]?.numbers[0]?.state).toBe('pending');

    challenge(first);
    await settle();
    const second = stack.next('REGISTER');
    expect(second.request.callId).toBe(first.request.callId);
    expect(second.request.cseq.seq).toBe(first.request.cseq.seq + 1);
    expect(second.request.from.params.tag).toBe(first.request.from.params.tag);
    expect(verified(second)).toBe(true);
    accept(second);
    await settle();

    const number = adapter.status()[0]?.numbers[0];
    expect(number).toMatchObject({ number: '5123781290', state: 'registered', expiresIn: 3600 });
    expect(number?.registrar).toBe('sip:domain.test.com');
    expect(events).toEqual([
      {
        type: 'registered',
        trunk: 'sp',
        number: '5123781290',
        expires: 3600,
        registrar: 'sip:domain.test.com',
      },
    ]);
    expect(adapter.registerStatus()).toEqual([
      { line: '5123781290', peer: 'sp', expires: 3600, registered: 'yes' },
    ]);
  });

  it('never registers no-reg numbers', async () => {
    await startWith(seedTrunk());
    await register();
    clock.advance(4000 * 1000);
    await settle();
    const users = new Set(stack.sent.map((entry) => entry.request.to.uri.user));
    expect([...users]).toEqual(['5123781290']);
    const numbers = adapter.status()[0]?.numbers ?? [];
    expect(numbers.slice(1)).toMatchObject([
      { number: '5123781201', register: false, state: 'none', registrar: undefined },
      { number: '5123781202', register: false, state: 'none', registrar: undefined },
    ]);
    expect(adapter.registerStatus().map((row) => row.line)).toEqual(['5123781290']);
  });

  it('refreshes at 90% of a long interval with the same Call-ID, the next CSeq and fresh credentials', async () => {
    await startWith(seedTrunk());
    const registered = await register();
    clock.advance(3239_999);
    await settle();
    expect(stack.pending('REGISTER')).toHaveLength(0);
    clock.advance(1);
    await settle();
    const refresh = stack.next('REGISTER');
    expect(refresh.request.callId).toBe(registered.request.callId);
    expect(refresh.request.cseq.seq).toBe(registered.request.cseq.seq + 1);
    // Credentials from the last challenge are sent at once, with the nonce count moved on (RFC 7616 §3.4);
    // by now the nonce has outlived the registrar's 300 s, which asks again with stale=true.
    expect(refresh.request.headers.get('Authorization')).toContain('nc=00000002');
    expect(verified(refresh)).toBe(false);
    challenge(refresh, true);
    await settle();
    const fresh = stack.next('REGISTER');
    expect(fresh.request.cseq.seq).toBe(refresh.request.cseq.seq + 1);
    expect(verified(fresh)).toBe(true);
    accept(fresh);
    await settle();
    expect(adapter.status()[0]?.numbers[0]).toMatchObject({ state: 'registered', expiresIn: 3600 });
    expect(events.filter((event) => event.type === 'registered')).toHaveLength(1);
  });

  it('refreshes a short grant half-way and follows the interval the registrar grants', async () => {
    await startWith(seedTrunk());
    await register('60');
    expect(adapter.status()[0]?.numbers[0]?.expiresIn).toBe(60);
    clock.advance(29_999);
    await settle();
    expect(stack.pending('REGISTER')).toHaveLength(0);
    clock.advance(1);
    await settle();
    const refresh = stack.next('REGISTER');
    // The nonce is 30 s old: the credentials sent up front are accepted as they are.
    expect(verified(refresh)).toBe(true);
    // The granted value comes from the Expires header when the Contact carries none.
    refresh.respond(200, [['Expires', '300']]);
    await settle();
    expect(adapter.status()[0]?.numbers[0]?.expiresIn).toBe(300);
    clock.advance(268_000 - 1);
    await settle();
    expect(stack.pending('REGISTER')).toHaveLength(0);
    clock.advance(1);
    await settle();
    expect(stack.pending('REGISTER')).toHaveLength(1);
  });

  it('retries a failed registration after retry register seconds, doubling up to a bound', async () => {
    await startWith(seedTrunk());
    stack.next('REGISTER').respond(403);
    await settle();
    expect(adapter.status()[0]?.numbers[0]).toMatchObject({ state: 'failed', status: 403, retryIn: 10 });
    expect(adapter.registerStatus()).toEqual([
      { line: '5123781290', peer: 'sp', expires: 0, registered: 'no' },
    ]);

    const delays: number[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      const before = clock.now();
      let waited = 0;
      while (stack.pending('REGISTER').length === 0 && waited < 4000) {
        clock.advance(1000);
        waited++;
        await settle();
      }
      delays.push((clock.now() - before) / 1000);
      stack.next('REGISTER').respond(503);
      await settle();
    }
    expect(delays).toEqual([10, 20, 40, 80, 160, 320, 640, 1280, 1800, 1800]);
    // One event for the change to 403, one for the change to 503; repeats of the same failure are quiet.
    expect(events.map((event) => event.type === 'registration-failed' && event.status)).toEqual([403, 503]);
  });

  it('a success after failures resets the backoff', async () => {
    await startWith(seedTrunk());
    stack.next('REGISTER').respond(500);
    await settle();
    clock.advance(10_000);
    await settle();
    stack.next('REGISTER').respond(500);
    await settle();
    clock.advance(20_000);
    await settle();
    await register();
    expect(adapter.status()[0]?.numbers[0]?.state).toBe('registered');
    expect(events.at(-1)?.type).toBe('registered');
  });

  it('reports a wrong password as a failed 401 instead of answering the registrar forever', async () => {
    await startWith(seedTrunk({ credentials: { username: '5123781000', password: 'wrong' } }));
    challenge(stack.next('REGISTER'));
    await settle();
    const answered = stack.next('REGISTER');
    expect(verified(answered)).toBe(false);
    challenge(answered);
    await settle();
    expect(stack.pending('REGISTER')).toHaveLength(0);
    expect(adapter.status()[0]?.numbers[0]).toMatchObject({ state: 'failed', status: 401, retryIn: 10 });
  });

  it('answers a stale nonce again without counting it as a refusal', async () => {
    await startWith(seedTrunk());
    challenge(stack.next('REGISTER'));
    await settle();
    challenge(stack.next('REGISTER'), true);
    await settle();
    const again = stack.next('REGISTER');
    expect(verified(again)).toBe(true);
    accept(again);
    await settle();
    expect(adapter.status()[0]?.numbers[0]?.state).toBe('registered');
  });

  it('only answers challenges of the configured realm', async () => {
    await startWith(
      seedTrunk({ credentials: { username: '5123781000', password: PASSWORD, realm: 'elsewhere' } }),
    );
    challenge(stack.next('REGISTER'));
    await settle();
    expect(stack.pending('REGISTER')).toHaveLength(0);
    expect(adapter.status()[0]?.numbers[0]).toMatchObject({ state: 'failed', status: 401 });
  });

  it('asks again with Min-Expires after 423 Interval Too Brief', async () => {
    await startWith(seedTrunk({ registrar: { uri: 'dns:domain.test.com', expires: 60 } }));
    const brief = stack.next('REGISTER');
    expect(brief.request.headers.get('Expires')).toBe('60');
    brief.respond(423, [['Min-Expires', '1800']]);
    await settle();
    const longer = stack.next('REGISTER');
    expect(longer.request.headers.get('Expires')).toBe('1800');
    expect(longer.request.cseq.seq).toBe(brief.request.cseq.seq + 1);
    accept(longer);
    await settle();
    expect(adapter.status()[0]?.numbers[0]).toMatchObject({ state: 'registered', expiresIn: 1800 });
  });

  it('treats a 423 without a larger Min-Expires as a failure, not a loop', async () => {
    await startWith(seedTrunk());
    stack.next('REGISTER').respond(423, [['Min-Expires', '3600']]);
    await settle();
    expect(stack.pending('REGISTER')).toHaveLength(0);
    expect(adapter.status()[0]?.numbers[0]).toMatchObject({ state: 'failed', status: 423 });
  });

  it('removes the binding with Expires: 0 on stop', async () => {
    await startWith(seedTrunk());
    const registered = await register();
    const stopped = adapter.stop();
    await settle();
    const removal = stack.next('REGISTER');
    expect(removal.request.headers.get('Expires')).toBe('0');
    expect(removal.request.headers.get('Contact')).toBe('<sip:5123781290@192.0.2.1:5060>');
    expect(removal.request.callId).toBe(registered.request.callId);
    expect(verified(removal)).toBe(true);
    removal.respond(200);
    await stopped;
    expect(events.at(-1)).toEqual({ type: 'unregistered', trunk: 'sp', number: '5123781290' });
    expect(adapter.status()).toEqual([]);
  });

  it('stop does not wait on a registrar that never answers', async () => {
    await startWith(seedTrunk());
    await register();
    let done = false;
    const stopped = adapter.stop().then(() => {
      done = true;
    });
    await settle();
    expect(stack.pending('REGISTER')).toHaveLength(1);
    clock.advance(5000);
    await stopped;
    expect(done).toBe(true);
  });

  it('sends nothing for a trunk without registrar', async () => {
    const { registrar: _, ...noRegistrar } = seedTrunk();
    await startWith(noRegistrar);
    clock.advance(10_000);
    await settle();
    expect(stack.sent).toHaveLength(0);
    expect(adapter.status()[0]?.numbers.map((number) => number.state)).toEqual(['none', 'none', 'none']);
    expect(adapter.registerStatus()).toEqual([]);
  });
});
