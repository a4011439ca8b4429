/**
 * An INVITE answered from several forks (RFC 3261 §13.2.2.4): each 2xx with its own To tag gets
 * its dialog and its ACK; a peer that invents To tags without end is held to a bound.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createRequest,
  createResponse,
  createTransactionLayer,
  createTransportLayer,
  generateCallId,
  type SipRequest,
  type SipStack,
  silentLogger,
  systemClock,
  type TransactionLayer,
  type TransportLayer,
} from '../../../../src/sip/index.js';
import { startStack, TEST_TIMERS, Waiter } from './helpers.js';

describe('forked answers to one INVITE', () => {
  let stack: SipStack;
  let transport: TransportLayer;
  let transactions: TransactionLayer;
  let port: number;
  const acks = new Waiter<SipRequest>();

  beforeEach(async () => {
    stack = await startStack();
    transport = await createTransportLayer({
      listeners: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
      logger: silentLogger,
    });
    transactions = createTransactionLayer({
      transport,
      clock: systemClock,
      logger: silentLogger,
      timers: TEST_TIMERS,
    });
    transactions.onAck((ack) => acks.push(ack));
    port = transport.listening()[0]?.port ?? 0;
  });

  afterEach(async () => {
    await stack.close();
    transactions.close();
    await transport.close();
  });

  /** The peer answers 200 from `forks` different To tags, as a forking proxy would pass them on. */
  function answerFrom(forks: number): void {
    transactions.onRequest((request, transaction) => {
      for (let fork = 0; fork < forks; fork++) {
        transaction.respond(
          createResponse(request, 200, undefined, {
            toTag: `fork-${fork}`,
            headers: [['Contact', `<sip:fork-${fork}@127.0.0.1:${port}>`]],
          }),
        );
      }
    });
  }

  async function call(): Promise<{ statuses: number[]; tags: string[] }> {
    const invite = createRequest({
      method: 'INVITE',
      uri: `sip:forked@127.0.0.1:${port}`,
      from: '<sip:caller@127.0.0.1>;tag=caller',
      to: '<sip:forked@127.0.0.1>',
      callId: generateCallId(),
      cseq: 1,
      contact: stack.contact('UDP', 'caller'),
    });
    const statuses: number[] = [];
    const tags: string[] = [];
    // The stream ends when the INVITE transaction stops waiting for forks (RFC 6026 §8.4).
    for await (const { response, dialog } of stack.invite(invite)) {
      statuses.push(response.status);
      if (dialog) tags.push(dialog.id.remoteTag);
    }
    return { statuses, tags };
  }

  it('gives each fork its dialog and its own ACK', async () => {
    answerFrom(2);
    const { statuses, tags } = await call();
    expect(statuses).toEqual([200, 200]);
    expect(tags).toEqual(['fork-0', 'fork-1']);
    expect(stack.dialogs.size).toBe(2);
    const acked = [await acks.next(), await acks.next()].map((ack) => ack.to.params.tag).sort();
    expect(acked).toEqual(['fork-0', 'fork-1']);
  });

  it('creates no more than 16 dialogs however many To tags come', async () => {
    answerFrom(40);
    const { tags } = await call();
    expect(tags).toHaveLength(16);
    expect(stack.dialogs.size).toBe(16);
  });
});
