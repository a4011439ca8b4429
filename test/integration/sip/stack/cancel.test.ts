/** CANCEL of a ringing call (RFC 3261 §9): 200 to the CANCEL, 487 to the INVITE, no dialog left. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipStack } from '../../../../src/sip/index.js';
import { listenerOf, requestTo, startStack, untilFinal, Waiter } from './helpers.js';

describe.each(['UDP', 'TCP'] as const)('cancelling a call over %s', (protocol) => {
  let caller: SipStack;
  let callee: SipStack;
  const cancelled = new Waiter<string>();

  beforeAll(async () => {
    caller = await startStack();
    callee = await startStack();
    callee.onRequest('INVITE', (incoming) => {
      incoming.onCancel(() => cancelled.push(incoming.request.callId));
      // A Contact in the 180 makes it create an early dialog at the caller (RFC 3261 §12.1.2).
      incoming.reply(180, undefined, { contact: callee.contact(protocol) });
    });
  });

  afterAll(async () => {
    await caller.close();
    await callee.close();
  });

  it('the caller cancels after 180: the callee hears of it and the caller sees 487', async () => {
    const invite = requestTo(caller, callee, 'INVITE', protocol);
    const call = caller.invite(invite, { target: listenerOf(callee, protocol) });
    const seen = await untilFinal(call, (answer) => {
      expect(answer.dialog?.state).toBe('early');
      expect(caller.dialogs.size).toBe(1);
      call.cancel();
    });
    expect(seen.map((answer) => answer.response.status)).toEqual([180, 487]);
    expect(await cancelled.next()).toBe(invite.callId);
    expect(caller.dialogs.size).toBe(0);
    expect(callee.dialogs.size).toBe(0);
  });
});
