/**
 * Acceptance with a real softphone: linphone (Debian linphone-cli) registers as 203 with the
 * node as a user runs it, answers a call from a sipp phone (201) by itself, and the call ends
 * cleanly whichever side hangs up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RegistrationView } from '../../../src/api/index.js';
import { interopAvailable } from '../../helpers/interop.js';
import { type NodeProcess, startNode } from '../../helpers/node-process.js';
import { type Linphone, startLinphone } from './linphone.js';
import { settle, showJson } from './node-views.js';
import {
  callArgs,
  demoPhone,
  methods,
  register,
  runTraced,
  type SippPhone,
  startTraced,
} from './sipp-phone.js';

const canRun = interopAvailable('sipp', 'linphone-daemon');
const NO_CALL = /No current call available/;

describe.runIf(canRun)('a softphone (linphone) on the node', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strowger-acceptance-'));
  let node: NodeProcess;
  let linphone: Linphone;
  let phone201: SippPhone;
  let recorded = 0;

  beforeAll(async () => {
    node = await startNode({ dataDir, config: 'examples/demo.yaml' });
    linphone = await startLinphone({
      dn: '203',
      password: 'demo-203',
      registrar: { host: '127.0.0.1', port: node.sipPort },
    });
    phone201 = await demoPhone('201');
  });

  afterAll(async () => {
    await linphone?.stop();
    if (node) expect(await node.stop()).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    const registration = await register(node, phone201);
    expect(registration.successful, registration.output).toBe(1);
  });

  it('registers 203 with digest authentication', async () => {
    const registrations = await showJson<RegistrationView[]>(node, 'registrations');
    const softphone = registrations.find((registration) => registration.dn === '203');
    expect(softphone).toMatchObject({ phone: 'phone-203', source: { address: '127.0.0.1' } });
    expect(softphone?.instanceId).toMatch(/^<urn:uuid:/);
  });

  it('answers a call from 201 by itself; the caller hangs up and the softphone releases the call', async () => {
    const caller = await runTraced([...callArgs(node, phone201, '203', 'uac-call.xml'), '-d', '500']);
    expect(caller.successful, caller.output).toBe(1);

    await linphone.waitFor('call-status', NO_CALL);
    await expect.poll(() => linphone.callStates().at(-1)).toBe('LinphoneCallReleased');
    expect(linphone.callStates()).toEqual(
      expect.arrayContaining([
        'LinphoneCallIncomingReceived',
        'LinphoneCallStreamsRunning',
        'LinphoneCallEnd',
      ]),
    );
    const { records, calls } = await settle(node, ++recorded);
    expect(calls).toEqual([]);
    expect(records[0]).toMatchObject({ calling: '201', called: '203', cause: 'normalClearing' });
    expect(records[0]?.answerAt).not.toBeNull();
  });

  it('the softphone hangs up: the caller gets BYE', async () => {
    const caller = startTraced(callArgs(node, phone201, '203', 'uac-hung-up.xml'));
    await linphone.waitFor('call-status', /LinphoneCallStreamsRunning/);
    expect(await linphone.command('terminate')).toMatch(/^Status: Ok/);
    const result = await caller.exited;
    expect(result.successful, result.output).toBe(1);
    expect(methods(result.received)).toEqual(['BYE']);

    await linphone.waitFor('call-status', NO_CALL);
    const { records, calls } = await settle(node, ++recorded);
    expect(calls).toEqual([]);
    expect(records[0]).toMatchObject({ calling: '201', called: '203', cause: 'normalClearing' });
    expect(records[0]?.answerAt).not.toBeNull();
  });
});
