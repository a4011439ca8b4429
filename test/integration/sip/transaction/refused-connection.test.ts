/**
 * RFC 3261 §8.1.3.1 / §17.1.4: a TCP or TLS connection the target refuses is a transport error,
 * reported to the TU at once as a synthesized 503, not left to timer B or F.
 *
 * The transaction layer runs on a FakeClock that is never advanced, so its timers cannot fire:
 * a final response can only come from the transport failure itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/sip/clock.js';
import { silentLogger } from '../../../../src/sip/logger.js';
import { createRequest } from '../../../../src/sip/message/index.js';
import type { SipResponse } from '../../../../src/sip/message/types.js';
import { createTransactionLayer, type TransactionLayer } from '../../../../src/sip/transaction/index.js';
import { createTransportLayer, TransportError } from '../../../../src/sip/transport/index.js';
import type { Endpoint, TransportLayer } from '../../../../src/sip/transport/types.js';
import { freePort } from '../../../helpers/ports.js';

interface Outcome {
  response: SipResponse;
  transportError: Error | undefined;
  timedOut: boolean;
  state: string;
}

describe.each(['TCP', 'TLS'] as const)('a request over %s to a port that refuses connections', (protocol) => {
  let transport: TransportLayer;
  let transactions: TransactionLayer;
  let clock: FakeClock;
  let closed: Endpoint;

  beforeAll(async () => {
    transport = await createTransportLayer({
      listeners: [{ protocol: 'TCP', address: '127.0.0.1', port: 0 }],
      logger: silentLogger,
    });
    clock = new FakeClock();
    transactions = createTransactionLayer({ transport, clock, logger: silentLogger });
    // Nothing listens on this port: the connect attempt is refused (RST).
    closed = { protocol, address: '127.0.0.1', port: await freePort('TCP') };
  });

  afterAll(async () => {
    transactions?.close();
    await transport?.close();
  });

  function send(method: 'INVITE' | 'OPTIONS'): Promise<Outcome> {
    const request = createRequest({
      method,
      uri: `sip:bob@127.0.0.1:${closed.port};transport=${protocol.toLowerCase()}`,
      from: '<sip:alice@example.com>;tag=alice-tag',
      to: '<sip:bob@example.com>',
      callId: `refused-${method}-${protocol}@127.0.0.1`,
      cseq: 1,
    });
    let transportError: Error | undefined;
    let timedOut = false;
    return new Promise((resolve) => {
      const transaction = transactions.sendRequest(request, closed, {
        onTransportError: (error) => {
          transportError = error;
        },
        onTimeout: () => {
          timedOut = true;
        },
        onResponse: (response) => {
          if (response.status < 200) return;
          // The handler runs before the transaction leaves; read its state on the next turn.
          queueMicrotask(() => resolve({ response, transportError, timedOut, state: transaction.state }));
        },
      });
    });
  }

  it.each(['INVITE', 'OPTIONS'] as const)('fails the %s at once with a synthesized 503', async (method) => {
    const outcome = await send(method);
    expect(outcome.response.status).toBe(503);
    expect(outcome.timedOut).toBe(false);
    expect(outcome.transportError).toBeInstanceOf(TransportError);
    expect((outcome.transportError as TransportError).target).toEqual(closed);
    expect(outcome.state).toBe('terminated');
    // Timer B / F never fired (the clock stood still), and nothing of the transaction is left.
    expect(clock.now()).toBe(0);
    expect(transactions.stats().inviteClient + transactions.stats().nonInviteClient).toBe(0);
  });
});
