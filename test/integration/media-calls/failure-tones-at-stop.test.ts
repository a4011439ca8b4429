/**
 * A node that stops while a failed call's caller hears its failure tone (`node.media.callFailure`)
 * ends the tone and sends the caller the final response it was owed, rather than leaving the
 * INVITE unanswered until the caller's Timer B (RFC 3261 §17.1.1.2) or the tone's time limit.
 */
import { rm } from 'node:fs/promises';
import { afterAll, expect, it } from 'vitest';
import type { Endpoint } from '../../../src/sip/index.js';
import { registerPhone } from '../device-status/test-phone.js';
import { type DemoNode, startDemoNode } from './demo-node.js';
import { dial, type MediaNode, type MediaParty, startPhone } from './harness.js';

let demo: DemoNode | undefined;
let caller: MediaParty | undefined;

afterAll(async () => {
  await caller?.close();
  if (demo) await rm(demo.dataDir, { recursive: true, force: true });
});

it('answers a caller hearing the intercept tone with its 404 when the node stops', async () => {
  // A 60 s tone: the 404 can only come this early from the stop.
  demo = await startDemoNode('failure-tone-stop', { callFailureInband: 'all', callFailureSeconds: 60 });
  const { node } = demo;
  caller = await startPhone('ulaw');
  const target = node.sip.listening().find((listener) => listener.protocol === 'UDP') as Endpoint;
  const { response } = await registerPhone({
    stack: caller.stack,
    target,
    mac: '000000000203',
    dn: '203',
    account: { username: '203', password: 'demo-203' },
  });
  expect(response.status).toBe(200);
  const phone = caller;
  const attempt = await dial(phone, { server: node.sip } as unknown as MediaNode, '203', '299');
  await attempt.waitFor(183);
  await phone.rtp.until(() => phone.rtp.received.length >= 5, 5000, 'the intercept tone');

  const final = attempt.waitFor('final');
  await node.stop();
  expect((await final).response.status).toBe(404);
}, 30_000);
