/**
 * sipp phones through the B2BUA: sipp registers as 202 with the registrar (digest), a sipp UAS
 * then answers as 202 on that contact, and a sipp UAC as 201 places 1000 calls that each
 * answer a 407 (scenarios/uac-auth.xml), ring, connect and hang up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLineRouter } from '../../../src/adapters/sip-line/calls/index.js';
import { loadSnapshot } from '../../../src/admin/index.js';
import { type DemoStore, openDemoStore } from '../../helpers/demo-store.js';
import { interopAvailable } from '../../helpers/interop.js';
import { freePort } from '../../helpers/ports.js';
import { runSipp, startSipp } from '../../helpers/sipp.js';
import { type SippLineNode, startSippLineNode } from '../../helpers/sipp-line-node.js';
import { registerWithSipp } from '../../helpers/sipp-register.js';

const UAC_SCENARIO = new URL('./scenarios/uac-auth.xml', import.meta.url).pathname;
const canRun = interopAvailable('sipp');
const CALLS = 1000;

describe.runIf(canRun)('sipp calls through the B2BUA', () => {
  let demo: DemoStore;
  let node: SippLineNode;

  beforeAll(async () => {
    demo = await openDemoStore();
    const { store } = demo;
    const config = await loadSnapshot(store);
    node = await startSippLineNode({ store, snapshot: () => config, router: createLineRouter });
  });

  afterAll(async () => {
    await node?.close();
    await demo?.dispose();
  });

  it(`connects ${CALLS} calls from a sipp UAC (201) to a registered sipp UAS (202), none failed`, async () => {
    const { server, registrar, core, records } = node;
    const phone202Port = await freePort('UDP');
    const registration = await registerWithSipp({
      server,
      dn: '202',
      password: 'demo-202',
      localPort: phone202Port,
    });
    expect(registration.successful, registration.output).toBe(1);
    expect(registrar.lookup('202')[0]?.source.port).toBe(phone202Port);

    const uas = startSipp(['-sn', 'uas', '-i', '127.0.0.1', '-p', String(phone202Port)]);
    try {
      const uac = await runSipp(
        [
          ...['-sf', UAC_SCENARIO, '-s', '202', '-au', '201', '-ap', 'demo-201'],
          ...['-m', String(CALLS), '-r', '200', '-l', '100', '-d', '0'],
          ...['-i', '127.0.0.1', '-p', String(await freePort('UDP')), '-timeout', '90s', server],
        ],
        100_000,
      );
      expect(uac.failed, uac.output).toBe(0);
      expect(uac.successful, uac.output).toBe(CALLS);
    } finally {
      const answered = await uas.stop();
      expect(answered.failed, answered.output).toBe(0);
    }
    await expect.poll(() => core.activeCalls).toBe(0);
    expect(records).toHaveLength(CALLS);
    expect(records.every((record) => record.calling === '201' && record.called === '202')).toBe(true);
    expect(records.every((record) => record.answerAt !== null && record.cause === 'normalClearing')).toBe(
      true,
    );
  }, 120_000);
});
