/** Two transaction layers talking over real UDP and TCP sockets on 127.0.0.1. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../../src/sip/clock.js';
import { silentLogger } from '../../../../src/sip/logger.js';
import { createRequest, createResponse } from '../../../../src/sip/message/index.js';
import type { SipRequest, SipResponse } from '../../../../src/sip/message/types.js';
import {
  type ClientTransaction,
  createTransactionLayer,
  type TransactionLayer,
} from '../../../../src/sip/transaction/index.js';
import { createTransportLayer } from '../../../../src/sip/transport/index.js';
import type { Endpoint, TransportLayer, TransportProtocol } from '../../../../src/sip/transport/types.js';

interface Node {
  transport: TransportLayer;
  transactions: TransactionLayer;
}

async function node(): Promise<Node> {
  const transport = await createTransportLayer({
    listeners: [
      { protocol: 'UDP', address: '127.0.0.1', port: 0 },
      { protocol: 'TCP', address: '127.0.0.1', port: 0 },
    ],
    logger: silentLogger,
  });
  const transactions = createTransactionLayer({ transport, clock: systemClock, logger: silentLogger });
  return { transport, transactions };
}

function listenerOf(target: Node, protocol: TransportProtocol): Endpoint {
  const endpoint = target.transport.listening().find((listener) => listener.protocol === protocol);
  if (endpoint === undefined) throw new Error(`no ${protocol} listener`);
  return endpoint;
}

/** Runs a client transaction to its final response, collecting every response on the way. */
function exchange(
  from: Node,
  request: SipRequest,
  target: Endpoint,
): { transaction: ClientTransaction; done: Promise<SipResponse[]> } {
  const responses: SipResponse[] = [];
  let transaction: ClientTransaction | undefined;
  const done = new Promise<SipResponse[]>((resolve) => {
    transaction = from.transactions.sendRequest(request, target, {
      onResponse: (response) => {
        responses.push(response);
        if (response.status >= 200) resolve(responses);
      },
    });
  });
  return { transaction: transaction!, done };
}

describe.each(['UDP', 'TCP'] as const)('transaction layers over %s', (protocol) => {
  let alice: Node;
  let bob: Node;
  const acks: SipRequest[] = [];
  let ackArrived: (ack: SipRequest) => void = () => {};

  beforeAll(async () => {
    alice = await node();
    bob = await node();
    bob.transactions.onRequest((request, transaction) => {
      if (request.method === 'INVITE') {
        transaction.respond(createResponse(request, 180, undefined, { toTag: 'bob-tag' }));
        transaction.respond(
          createResponse(request, 200, undefined, {
            toTag: 'bob-tag',
            headers: [['Contact', `<sip:bob@127.0.0.1:${listenerOf(bob, protocol).port}>`]],
          }),
        );
      } else {
        transaction.respond(createResponse(request, 200, undefined, { toTag: 'bob-tag' }));
      }
    });
    bob.transactions.onAck((ack) => {
      acks.push(ack);
      ackArrived(ack);
    });
  });

  afterAll(async () => {
    for (const side of [alice, bob]) {
      side?.transactions.close();
      await side?.transport.close();
    }
  });

  it('completes INVITE / 180 / 200 and carries the ACK for the 2xx outside the transaction', async () => {
    const target = listenerOf(bob, protocol);
    const invite = createRequest({
      method: 'INVITE',
      uri: `sip:bob@127.0.0.1:${target.port}`,
      from: '<sip:alice@example.com>;tag=alice-tag',
      to: '<sip:bob@example.com>',
      callId: `invite-${protocol}@127.0.0.1`,
      cseq: 1,
    });
    const { transaction, done } = exchange(alice, invite, target);
    const responses = await done;
    expect(responses.map((response) => response.status)).toEqual([180, 200]);
    expect(transaction.state).toBe('accepted');
    expect(bob.transactions.stats().inviteServer).toBe(1);

    const ok = responses[1]!;
    const ack = createRequest({
      method: 'ACK',
      uri: invite.uri,
      from: invite.from,
      to: ok.to,
      callId: invite.callId,
      cseq: 1,
    });
    const received = new Promise<SipRequest>((resolve) => {
      ackArrived = resolve;
    });
    await alice.transactions.sendAck(ack, target);
    const arrived = await received;
    expect(arrived.to.params.tag).toBe('bob-tag');
    expect(arrived.via[0]?.branch).not.toBe(transaction.branch);
    expect(acks).toHaveLength(1);
  });

  it('completes an OPTIONS / 200 exchange', async () => {
    const target = listenerOf(bob, protocol);
    const options = createRequest({
      method: 'OPTIONS',
      uri: `sip:bob@127.0.0.1:${target.port}`,
      from: '<sip:alice@example.com>;tag=alice-tag',
      to: '<sip:bob@example.com>',
      callId: `options-${protocol}@127.0.0.1`,
      cseq: 1,
    });
    const { transaction, done } = exchange(alice, options, target);
    const responses = await done;
    expect(responses.map((response) => response.status)).toEqual([200]);
    // Timer K keeps the UDP transaction for T4; over TCP it is zero.
    expect(transaction.state).toBe(protocol === 'UDP' ? 'completed' : 'terminated');
  });
});
