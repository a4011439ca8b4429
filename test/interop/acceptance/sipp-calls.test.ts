/**
 * Acceptance of calls between SIP phones on the node as a user runs it (`strowger start` with
 * the demo configuration), with sipp as the phones 201 and 202: each registers with digest
 * authentication from the port it then calls from and answers on. 1000 calls, cancel and BYE
 * in both directions with each phone in both roles, busy, unregistered, unknown number and a
 * wrong password; after each, what `strowger show cdr|calls` and `/metrics` say.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RegistrationView } from '../../../src/api/index.js';
import { interopAvailable } from '../../helpers/interop.js';
import { type NodeProcess, startNode } from '../../helpers/node-process.js';
import { runSipp, startSipp } from '../../helpers/sipp.js';
import { callsEnded, settle, showJson } from './node-views.js';
import {
  answerArgs,
  callArgs,
  demoPhone,
  methods,
  register,
  runTraced,
  type SippPhone,
  startTraced,
  statuses,
} from './sipp-phone.js';

const canRun = interopAvailable('sipp');
const CALLS = 1000;

describe.runIf(canRun)('calls between sipp phones through the node', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strowger-acceptance-'));
  let node: NodeProcess;
  const phones: Record<'201' | '202', SippPhone> = {} as Record<'201' | '202', SippPhone>;
  /** Call records the node should hold so far. */
  let recorded = 0;

  beforeAll(async () => {
    node = await startNode({ dataDir, config: 'examples/demo.yaml' });
    phones['201'] = await demoPhone('201');
    phones['202'] = await demoPhone('202');
  });

  afterAll(async () => {
    if (node) expect(await node.stop()).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  // The sipp registration scenario asks for 60 s; every test starts from fresh bindings.
  beforeEach(async () => {
    for (const phone of Object.values(phones)) {
      const registration = await register(node, phone);
      expect(registration.successful, registration.output).toBe(1);
    }
  });

  it(`connects ${CALLS} calls from 201 to 202, none failed, and records them`, async () => {
    const registrations = await showJson<RegistrationView[]>(node, 'registrations');
    expect(registrations.map((r) => `${r.dn} ${r.phone} ${r.source.port}`).sort()).toEqual([
      `201 phone-201 ${phones['201'].port}`,
      `202 phone-202 ${phones['202'].port}`,
    ]);

    const callee = startSipp(answerArgs(phones['202'], 'uas'));
    try {
      const caller = await runSipp(
        [
          ...callArgs(node, phones['201'], '202', 'uac-call.xml', { calls: CALLS }),
          ...['-r', '200', '-l', '100', '-d', '0'],
        ],
        100_000,
      );
      expect(caller.failed, caller.output).toBe(0);
      expect(caller.successful, caller.output).toBe(CALLS);
    } finally {
      const answered = await callee.stop();
      expect(answered.failed, answered.output).toBe(0);
    }
    recorded += CALLS;

    const { records, calls } = await settle(node, recorded, CALLS);
    expect(calls).toEqual([]);
    expect(records).toHaveLength(CALLS);
    const summary = new Set(records.map((r) => `${r.calling}>${r.called} ${r.cause} ${r.answerAt !== null}`));
    expect([...summary]).toEqual(['201>202 normalClearing true']);
    expect((await callsEnded(node)).normalClearing).toBe(CALLS);
  }, 150_000);

  describe.each([
    ['201', '202'],
    ['202', '201'],
  ] as const)('%s calls %s', (from, to) => {
    it('the caller cancels while it rings: the callee sees CANCEL and answers 487, the caller gets 487', async () => {
      const callee = startTraced([...answerArgs(phones[to], 'uas-cancelled.xml'), '-m', '1']);
      const caller = await runTraced(callArgs(node, phones[from], to, 'uac-cancel.xml'));
      const answered = await callee.exited;
      expect(caller.successful, caller.output).toBe(1);
      expect(statuses(caller.received)).toEqual([407, 180, 200, 487]);
      expect(answered.successful, answered.output).toBe(1);
      expect(methods(answered.received)).toEqual(['INVITE', 'CANCEL', 'ACK']);

      const { records, calls } = await settle(node, ++recorded);
      expect(calls).toEqual([]);
      expect(records[0]).toMatchObject({ calling: from, called: to, answerAt: null, cause: 'callCancelled' });
    });

    it('the caller hangs up: BYE reaches the callee', async () => {
      const callee = startTraced([...answerArgs(phones[to], 'uas'), '-m', '1']);
      const caller = await runTraced([...callArgs(node, phones[from], to, 'uac-call.xml'), '-d', '200']);
      const answered = await callee.exited;
      expect(caller.successful, caller.output).toBe(1);
      expect(answered.successful, answered.output).toBe(1);
      expect(methods(answered.received)).toEqual(['INVITE', 'ACK', 'BYE']);

      const { records, calls } = await settle(node, ++recorded);
      expect(calls).toEqual([]);
      expect(records[0]).toMatchObject({ calling: from, called: to, cause: 'normalClearing' });
      expect(records[0]?.answerAt).not.toBeNull();
    });

    it('the callee hangs up: BYE reaches the caller', async () => {
      const callee = startTraced([...answerArgs(phones[to], 'uas-hang-up.xml'), '-m', '1']);
      const caller = await runTraced(callArgs(node, phones[from], to, 'uac-hung-up.xml'));
      const answered = await callee.exited;
      expect(caller.successful, caller.output).toBe(1);
      expect(methods(caller.received)).toEqual(['BYE']);
      expect(answered.successful, answered.output).toBe(1);
      expect(statuses(answered.received)).toEqual([200]);

      const { records, calls } = await settle(node, ++recorded);
      expect(calls).toEqual([]);
      expect(records[0]).toMatchObject({ calling: from, called: to, cause: 'normalClearing' });
      expect(records[0]?.answerAt).not.toBeNull();
    });
  });

  it('a busy callee (486) gives the caller 486', async () => {
    const callee = startTraced([...answerArgs(phones['202'], 'uas-busy.xml'), '-m', '1']);
    const caller = await runTraced(callArgs(node, phones['201'], '202', 'uac-refused.xml'));
    const answered = await callee.exited;
    expect(caller.successful, caller.output).toBe(1);
    expect(statuses(caller.received).at(-1)).toBe(486);
    expect(answered.successful, answered.output).toBe(1);

    const { records } = await settle(node, ++recorded);
    expect(records[0]).toMatchObject({ calling: '201', called: '202', answerAt: null, cause: 'busy' });
  });

  it('a line with no registered phone (203) gives 480', async () => {
    const caller = await runTraced(callArgs(node, phones['201'], '203', 'uac-refused.xml'));
    expect(caller.successful, caller.output).toBe(1);
    expect(statuses(caller.received).at(-1)).toBe(480);

    const { records } = await settle(node, ++recorded);
    expect(records[0]).toMatchObject({ calling: '201', called: '203', answerAt: null });
  });

  it('a number nobody has (299) gives 404', async () => {
    const caller = await runTraced(callArgs(node, phones['201'], '299', 'uac-refused.xml'));
    expect(caller.successful, caller.output).toBe(1);
    expect(statuses(caller.received).at(-1)).toBe(404);

    const { records } = await settle(node, ++recorded);
    expect(records[0]).toMatchObject({
      calling: '201',
      called: '299',
      answerAt: null,
      cause: 'destNotObtainable',
    });
  });

  it('a wrong password is challenged again (407) and the call never reaches the callee', async () => {
    const ended = await callsEnded(node);
    const callee = startTraced(answerArgs(phones['202'], 'uas'));
    const caller = await runTraced(
      callArgs(node, phones['201'], '202', 'uac-refused.xml', { password: 'not-the-password' }),
    );
    expect(caller.successful, caller.output).toBe(1);
    expect(statuses(caller.received)).toEqual([407, 407]);
    const answered = await callee.stop();
    expect(answered.received).toEqual([]);

    // No call was made: no record, no call ended.
    const { records, calls } = await settle(node, recorded);
    expect(calls).toEqual([]);
    expect(records[0]).toMatchObject({ calling: '201', called: '299' });
    expect(await callsEnded(node)).toEqual(ended);
  });
});
