/**
 * sipp registers the demo phones against the registrar with digest authentication, using the
 * Asterisk test suite's register_pass.xml (REGISTER → 401 → REGISTER with [authentication] →
 * 200), and fails as it should with a wrong password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSipLineAdapter, type SipLineAdapter } from '../../../src/adapters/sip-line/index.js';
import { loadSnapshot } from '../../../src/admin/index.js';
import { createSipStack, type SipStack } from '../../../src/sip/index.js';
import { type DemoStore, openDemoStore } from '../../helpers/demo-store.js';
import { interopAvailable } from '../../helpers/interop.js';
import { registerWithSipp } from '../../helpers/sipp-register.js';

const canRun = interopAvailable('sipp');

describe.runIf(canRun)('sipp register_pass.xml against the registrar', () => {
  let demo: DemoStore;
  let stack: SipStack;
  let adapter: SipLineAdapter;

  beforeAll(async () => {
    demo = await openDemoStore();
    const { store } = demo;
    const snapshot = await loadSnapshot(store);
    stack = await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    adapter = createSipLineAdapter({
      stack,
      store,
      snapshot: () => snapshot,
      realm: 'strowger',
      // sipp 3.6.1 (Debian) reads only the first challenge and knows only MD5, like many
      // deployed phones: such a deployment offers MD5 first.
      algorithms: ['MD5', 'SHA-256'],
    });
    await adapter.start();
  });

  afterAll(async () => {
    await adapter?.stop();
    await stack?.close();
    await demo?.dispose();
  });

  /** One run of register_pass.xml as phone `dn` (the scenario's [service]) with the given password. */
  const sippRegister = (dn: string, password: string) =>
    registerWithSipp({ server: `127.0.0.1:${stack.listening()[0]!.port}`, dn, password });

  it.each(['201', '202'])('sipp registers %s with digest auth, none failed', async (dn) => {
    const result = await sippRegister(dn, `demo-${dn}`);
    expect(result.failed, result.output).toBe(0);
    expect(result.successful, result.output).toBe(1);
    expect(result.exitCode, result.output).toBe(0);
    const [binding] = adapter.lookup(dn);
    expect(binding?.contact).toMatch(new RegExp(`^sip:${dn}@127\\.0\\.0\\.1:\\d+;transport=udp$`, 'i'));
    expect(binding?.expiresIn).toBeGreaterThan(50);
    expect(binding?.expiresIn).toBeLessThanOrEqual(60);
  });

  it('fails with a wrong password: the second REGISTER is challenged again, not bound', async () => {
    const result = await sippRegister('203', 'not-the-password');
    expect(result.failed, result.output).toBe(1);
    expect(result.successful, result.output).toBe(0);
    expect(result.exitCode, result.output).not.toBe(0);
    expect(adapter.lookup('203')).toEqual([]);
    expect(adapter.stats().authFailures).toBe(1);
  });
});
