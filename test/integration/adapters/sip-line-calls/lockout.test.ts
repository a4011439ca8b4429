/**
 * Brute force through INVITE: wrong credentials count toward the same source lockout as the
 * registrar's, and a locked-out source gets 403 before any challenge.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SourceLockout } from '../../../../src/adapters/sip-line/index.js';
import type { SipStack } from '../../../../src/sip/index.js';
import { type B2bua, call, startB2bua, startPhone } from './harness.js';

let b2bua: B2bua;
let phone: SipStack;
const lockout = new SourceLockout({ failures: 3, windowMs: 60_000, durationMs: 60_000 });

beforeAll(async () => {
  b2bua = await startB2bua({ lockout });
  phone = await startPhone();
});

afterAll(async () => {
  await phone.close();
  await b2bua.close();
});

it('locks a source out after repeated wrong INVITE passwords, and then refuses even the right one', async () => {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const { response } = await (await call(phone, b2bua, '202', { password: 'guess' })).waitFor('final');
    expect(response.status, `wrong password, attempt ${attempt}`).toBe(407);
  }
  const { response } = await (await call(phone, b2bua, '202')).waitFor('final');
  expect(response.status).toBe(403);
  expect(lockout.isLocked('127.0.0.1', performance.now())).toBe(true);
  expect(b2bua.records).toEqual([]);
});
