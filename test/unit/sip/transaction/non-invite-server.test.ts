import { describe, expect, it } from 'vitest';
import { createResponse } from '../../../../src/sip/message/index.js';
import type { SipMessage } from '../../../../src/sip/message/types.js';
import type { ServerTransaction } from '../../../../src/sip/transaction/index.js';
import { respondStatelessly } from '../../../../src/sip/transaction/transaction-layer.js';
import { incoming, receiveInfo, setup, T1 } from './fixtures.js';

function statusesOf(messages: SipMessage[]): number[] {
  return messages.map((message) => (message.kind === 'response' ? message.status : 0));
}

describe('non-INVITE server transaction (RFC 3261 17.2.2)', () => {
  it('absorbs retransmissions in Trying, replays the provisional in Proceeding and the final in Completed until timer J', () => {
    const { clock, transport, layer } = setup();
    const transactions: ServerTransaction[] = [];
    layer.onRequest((_request, transaction) => transactions.push(transaction));
    const options = () => incoming({ method: 'OPTIONS', branch: 'z9hG4bKopt1' });

    transport.receive(options(), receiveInfo(clock));
    const transaction = transactions[0]!;
    expect(transaction.state).toBe('trying');
    transport.receive(options(), receiveInfo(clock));
    expect(transport.take()).toEqual([]);
    clock.advance(1000);
    expect(transport.take()).toEqual([]); // no 100 Trying for non-INVITE (RFC 3261 17.2.2)

    transaction.respond(createResponse(options(), 100));
    expect(transaction.state).toBe('proceeding');
    transport.receive(options(), receiveInfo(clock));
    expect(statusesOf(transport.take())).toEqual([100, 100]);

    transaction.respond(createResponse(options(), 200, undefined, { toTag: 'u1' }));
    expect(transaction.state).toBe('completed');
    expect(transaction.respond(createResponse(options(), 500))).toBe(false);
    transport.receive(options(), receiveInfo(clock));
    expect(statusesOf(transport.take())).toEqual([200, 200]);
    expect(transactions).toHaveLength(1);

    clock.advance(64 * T1 - 1);
    expect(transaction.state).toBe('completed');
    clock.advance(1);
    expect(transaction.state).toBe('terminated');
    expect(layer.stats().nonInviteServer).toBe(0);

    transport.receive(options(), receiveInfo(clock));
    expect(transactions).toHaveLength(2); // after timer J a retransmission is a new request
  });

  it('has a zero timer J over TCP', () => {
    const { clock, transport, layer } = setup();
    layer.onRequest((request, transaction) =>
      transaction.respond(createResponse(request, 200, undefined, { toTag: 'u1' })),
    );
    transport.receive(
      incoming({ method: 'OPTIONS', branch: 'z9hG4bKopt1', transport: 'TCP' }),
      receiveInfo(clock, 'TCP'),
    );
    expect(statusesOf(transport.take())).toEqual([200]);
    expect(layer.stats().nonInviteServer).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('answers statelessly (RFC 3261 8.2.7): no transaction stays, a retransmission soon after gets the same bytes', () => {
    const { clock, transport, layer } = setup();
    const transactions: ServerTransaction[] = [];
    layer.onRequest((request, transaction) => {
      transactions.push(transaction);
      respondStatelessly(
        transaction,
        createResponse(request, 401, undefined, { toTag: `u${transactions.length}` }),
      );
    });
    const register = (branch = 'z9hG4bKreg1') => incoming({ method: 'REGISTER', branch });

    transport.receive(register(), receiveInfo(clock));
    const [first] = transport.take();
    expect(first?.kind === 'response' && first.status).toBe(401);
    expect(transactions[0]!.state).toBe('terminated');
    expect(layer.stats()).toMatchObject({ nonInviteServer: 0, pendingServer: 0 });
    expect(clock.pending).toBe(0);

    transport.receive(register(), receiveInfo(clock));
    const [replayed] = transport.take();
    expect(transactions).toHaveLength(1);
    expect(replayed?.headers.get('To')).toBe(first?.headers.get('To'));
    expect(respondStatelessly(transactions[0]!, createResponse(register(), 500))).toBe(false);
    expect(transport.take()).toEqual([]);
  });

  it('forgets the oldest stateless answers first: a retransmission after them is a new request', () => {
    const { clock, transport, layer } = setup();
    let handled = 0;
    layer.onRequest((request, transaction) => {
      handled++;
      respondStatelessly(transaction, createResponse(request, 401, undefined, { toTag: 'u1' }));
    });
    for (let i = 0; i <= 4096; i++) {
      transport.receive(incoming({ method: 'REGISTER', branch: `z9hG4bKreg${i}` }), receiveInfo(clock));
    }
    transport.receive(incoming({ method: 'REGISTER', branch: 'z9hG4bKreg1' }), receiveInfo(clock));
    expect(handled).toBe(4097);
    transport.receive(incoming({ method: 'REGISTER', branch: 'z9hG4bKreg0' }), receiveInfo(clock));
    expect(handled).toBe(4098);
    expect(layer.stats().nonInviteServer).toBe(0);
  });

  it('keeps no stateless answer over TCP, where nothing is retransmitted', () => {
    const { clock, transport, layer } = setup();
    let handled = 0;
    layer.onRequest((request, transaction) => {
      handled++;
      respondStatelessly(transaction, createResponse(request, 401, undefined, { toTag: 'u1' }));
    });
    const register = () => incoming({ method: 'REGISTER', branch: 'z9hG4bKtcp1', transport: 'TCP' });
    transport.receive(register(), receiveInfo(clock, 'TCP'));
    transport.receive(register(), receiveInfo(clock, 'TCP'));
    expect(handled).toBe(2);
    expect(statusesOf(transport.take())).toEqual([401, 401]);
  });

  it('sends a provisional response asked for statelessly within the transaction, and then the final one once', () => {
    const { clock, transport, layer } = setup();
    const transactions: ServerTransaction[] = [];
    layer.onRequest((_request, transaction) => transactions.push(transaction));
    const options = () => incoming({ method: 'OPTIONS', branch: 'z9hG4bKopt2' });

    transport.receive(options(), receiveInfo(clock));
    const transaction = transactions[0]!;
    expect(respondStatelessly(transaction, createResponse(options(), 100))).toBe(true);
    expect(transaction.state).toBe('proceeding');
    expect(respondStatelessly(transaction, createResponse(options(), 200, undefined, { toTag: 'u1' }))).toBe(
      true,
    );
    expect(transaction.state).toBe('terminated');
    expect(statusesOf(transport.take())).toEqual([100, 200]);
    transport.receive(options(), receiveInfo(clock));
    expect(statusesOf(transport.take())).toEqual([200]);
    expect(transactions).toHaveLength(1);
  });
});
