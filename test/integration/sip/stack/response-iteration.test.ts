/**
 * Reading an INVITE's responses: readers may ask ahead, and a peer repeating provisional
 * responses to a reader that does not keep up cannot pile them up without bound.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createRequest,
  createResponse,
  createTransactionLayer,
  createTransportLayer,
  type Endpoint,
  generateCallId,
  type SipStack,
  silentLogger,
  systemClock,
  type TransactionLayer,
  type TransportLayer,
} from '../../../../src/sip/index.js';
import { eventually, startStack } from './helpers.js';

describe('iterating the responses to an INVITE', () => {
  let stack: SipStack;
  let transport: TransportLayer;
  let transactions: TransactionLayer;
  let peer: Endpoint;

  beforeEach(async () => {
    stack = await startStack();
    transport = await createTransportLayer({
      listeners: [{ protocol: 'TCP', address: '127.0.0.1', port: 0 }],
      logger: silentLogger,
    });
    transactions = createTransactionLayer({ transport, clock: systemClock, logger: silentLogger });
    peer = transport.listening()[0] as Endpoint;
  });

  afterEach(async () => {
    await stack.close();
    transactions.close();
    await transport.close();
  });

  /** The peer answers with `ringing` 180s (To tag and Contact: one early dialog), then 486. */
  function ringThenBusy(ringing: number): void {
    transactions.onRequest((request, transaction) => {
      const options = {
        toTag: 'busy-peer',
        headers: [['Contact', `<sip:peer@127.0.0.1:${peer.port};transport=tcp>`]] as [string, string][],
      };
      for (let count = 0; count < ringing; count++)
        transaction.respond(createResponse(request, 180, undefined, options));
      transaction.respond(createResponse(request, 486, undefined, options));
    });
  }

  function invite() {
    return stack.invite(
      createRequest({
        method: 'INVITE',
        uri: `sip:peer@127.0.0.1:${peer.port};transport=tcp`,
        from: '<sip:caller@127.0.0.1>;tag=reader',
        to: '<sip:peer@127.0.0.1>',
        callId: generateCallId(),
        cseq: 1,
        contact: stack.contact('TCP', 'caller'),
      }),
      { target: peer },
    );
  }

  it('serves readers that ask for several responses at once, in order', async () => {
    ringThenBusy(1);
    const iterator = invite()[Symbol.asyncIterator]();
    const [first, second, third] = await Promise.all([iterator.next(), iterator.next(), iterator.next()]);
    expect(first.done ? undefined : first.value.response.status).toBe(180);
    expect(second.done ? undefined : second.value.response.status).toBe(486);
    expect(third.done).toBe(true);
  });

  it('keeps a bounded number of unread provisional responses, and always the final one', async () => {
    ringThenBusy(500);
    const call = invite();
    // Over TCP the INVITE transaction ends at once with its final response (RFC 3261 §17.1.1.2, Timer D 0).
    await eventually(() => stack.transactions.stats().inviteClient === 0, 'the INVITE transaction ends');
    const statuses: number[] = [];
    for await (const { response } of call) statuses.push(response.status);
    expect(statuses.length).toBeLessThan(500);
    expect(statuses.at(-1)).toBe(486);
    expect(statuses[0]).toBe(180);
    expect(stack.dialogs.size).toBe(0);
  });
});
