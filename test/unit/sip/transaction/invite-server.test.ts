import { describe, expect, it } from 'vitest';
import { createResponse } from '../../../../src/sip/message/index.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../../src/sip/message/types.js';
import type { ServerTransaction } from '../../../../src/sip/transaction/index.js';
import type { TransportProtocol } from '../../../../src/sip/transport/types.js';
import { incoming, isStatus, receiveInfo, settle, setup, T1, T4 } from './fixtures.js';

const BRANCH = 'z9hG4bKinvite1';

/** A layer whose TU records every new server transaction and every ACK handed to it. */
function serverSetup(options: { respond?: number; trying?: number } = {}) {
  const context = setup(options.trying === undefined ? undefined : { trying: options.trying });
  const transactions: ServerTransaction[] = [];
  const acks: SipRequest[] = [];
  context.layer.onRequest((request, transaction) => {
    transactions.push(transaction);
    if (options.respond !== undefined)
      transaction.respond(createResponse(request, options.respond, undefined, { toTag: 'u1' }));
  });
  context.layer.onAck((ack) => acks.push(ack));
  return { ...context, transactions, acks };
}

function statusesOf(messages: SipMessage[]): number[] {
  return messages.map((message) => (message.kind === 'response' ? message.status : 0));
}

function ackFor(protocol: TransportProtocol = 'UDP', branch = BRANCH, toTag = 'u1'): SipRequest {
  return incoming({ method: 'ACK', branch, toTag, transport: protocol });
}

describe('INVITE server transaction (RFC 3261 17.2.1, RFC 6026 7.1)', () => {
  it('sends 100 Trying itself when the TU is silent for 200 ms, and replays it on retransmission', () => {
    const { clock, transport, layer, transactions } = serverSetup();
    transport.receive(incoming({ method: 'INVITE', branch: BRANCH }), receiveInfo(clock));
    clock.advance(199);
    expect(transport.sent).toEqual([]);
    clock.advance(1);
    const [trying] = transport.take() as SipResponse[];
    expect(trying?.status).toBe(100);
    expect(trying?.to.params.tag).toBeUndefined();
    transport.receive(incoming({ method: 'INVITE', branch: BRANCH }), receiveInfo(clock));
    expect(statusesOf(transport.take())).toEqual([100]);
    expect(transactions).toHaveLength(1);
    expect(layer.stats().inviteServer).toBe(1);
  });

  it('sends no 100 when the TU answered in time, and honours the trying delay option', () => {
    const { clock, transport, transactions } = serverSetup({ trying: 50 });
    transport.receive(incoming({ method: 'INVITE', branch: BRANCH }), receiveInfo(clock));
    clock.advance(49);
    const request = incoming({ method: 'INVITE', branch: BRANCH });
    transactions[0]!.respond(createResponse(request, 180, undefined, { toTag: 'u1' }));
    clock.advance(1000);
    expect(statusesOf(transport.take())).toEqual([180]);

    transport.receive(incoming({ method: 'INVITE', branch: 'z9hG4bKinvite2', cseq: 2 }), receiveInfo(clock));
    clock.advance(50);
    expect(statusesOf(transport.take())).toEqual([100]);
  });

  it('checks INVITEs waiting at once in turn: a 100 for each silent one, none for one answered', () => {
    const { clock, transport, transactions } = serverSetup();
    const invite = (n: number) => incoming({ method: 'INVITE', branch: `z9hG4bKinvite${n}`, cseq: n });
    transport.receive(invite(1), receiveInfo(clock));
    clock.advance(10);
    transport.receive(invite(2), receiveInfo(clock));
    clock.advance(10);
    transactions[1]!.respond(createResponse(invite(2), 180, undefined, { toTag: 'u2' }));
    clock.advance(130);
    transport.receive(invite(3), receiveInfo(clock));
    // RFC 3261 §17.2.1: each silent INVITE hears 100 at its 200 ms, or at most 25 ms after (one
    // clock timer serves them all); the one answered in time hears nothing more.
    clock.advance(400);
    const trying = transport.sent.filter((entry) => isStatus(100)(entry.message));
    expect(trying.map((entry) => (entry.message as SipResponse).cseq.seq)).toEqual([1, 3]);
    expect(trying[0]!.at).toBe(200);
    expect(trying[1]!.at).toBeGreaterThanOrEqual(350);
    expect(trying[1]!.at).toBeLessThanOrEqual(375);
    expect(transport.timesOf(isStatus(180))).toEqual([20]);
  });

  it('retransmits a non-2xx final on timer G (T1 doubling, capped at T2) until timer H reports a timeout', () => {
    const { clock, transport, layer, transactions } = serverSetup({ respond: 486 });
    transport.receive(incoming({ method: 'INVITE', branch: BRANCH }), receiveInfo(clock));
    const transaction = transactions[0]!;
    let timeouts = 0;
    transaction.onTimeout(() => timeouts++);
    expect(transaction.state).toBe('completed');
    clock.advance(64 * T1 - 1);
    expect(transport.timesOf(isStatus(486))).toEqual([
      0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ]);
    expect(timeouts).toBe(0);
    clock.advance(1);
    expect(timeouts).toBe(1);
    expect(transaction.state).toBe('terminated');
    expect(layer.stats().inviteServer).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('answers an INVITE retransmission in Completed with the final response', () => {
    const { clock, transport, transactions } = serverSetup({ respond: 404 });
    transport.receive(incoming({ method: 'INVITE', branch: BRANCH }), receiveInfo(clock));
    transport.take();
    clock.advance(100);
    transport.receive(incoming({ method: 'INVITE', branch: BRANCH }), receiveInfo(clock));
    expect(statusesOf(transport.take())).toEqual([404]);
    expect(transactions).toHaveLength(1);
  });

  it('is Confirmed by the ACK: G stops, ACK retransmissions are absorbed for timer I = T4', () => {
    const { clock, transport, transactions, acks } = serverSetup({ respond: 486 });
    transport.receive(incoming({ method: 'INVITE', branch: BRANCH }), receiveInfo(clock));
    const transaction = transactions[0]!;
    clock.advance(600);
    transport.receive(ackFor(), receiveInfo(clock));
    expect(transaction.state).toBe('confirmed');
    transport.receive(ackFor(), receiveInfo(clock));
    clock.advance(T4 - 1);
    expect(transaction.state).toBe('confirmed');
    expect(transport.timesOf(isStatus(486))).toEqual([0, 500]);
    clock.advance(1);
    expect(transaction.state).toBe('terminated');
    expect(acks).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('over TCP: no timer G, timer H still runs, and a zero timer I', () => {
    const { clock, transport, transactions } = serverSetup({ respond: 486 });
    transport.receive(
      incoming({ method: 'INVITE', branch: BRANCH, transport: 'TCP' }),
      receiveInfo(clock, 'TCP'),
    );
    let timeouts = 0;
    transactions[0]!.onTimeout(() => timeouts++);
    clock.advance(64 * T1);
    expect(transport.timesOf(isStatus(486))).toEqual([0]);
    expect(timeouts).toBe(1);

    transport.receive(
      incoming({ method: 'INVITE', branch: 'z9hG4bKinvite2', cseq: 2, transport: 'TCP' }),
      receiveInfo(clock, 'TCP'),
    );
    const second = transactions[1]!;
    transport.receive(
      incoming({ method: 'ACK', branch: 'z9hG4bKinvite2', cseq: 2, toTag: 'u1', transport: 'TCP' }),
      receiveInfo(clock, 'TCP'),
    );
    expect(second.state).toBe('terminated');
    expect(clock.pending).toBe(0);
  });

  it('stays Accepted after a 2xx for timer L: absorbs INVITE retransmissions, passes TU 2xx retransmissions and ACKs up', () => {
    const { clock, transport, layer, transactions, acks } = serverSetup({ respond: 200 });
    transport.receive(incoming({ method: 'INVITE', branch: BRANCH }), receiveInfo(clock));
    const transaction = transactions[0]!;
    expect(transaction.state).toBe('accepted');
    transport.take();

    transport.receive(incoming({ method: 'INVITE', branch: BRANCH }), receiveInfo(clock));
    expect(transport.take()).toEqual([]);
    clock.advance(T1);
    expect(transport.take()).toEqual([]); // the TU, not the transaction, retransmits a 2xx

    const request = incoming({ method: 'INVITE', branch: BRANCH });
    expect(transaction.respond(createResponse(request, 200, undefined, { toTag: 'u1' }))).toBe(true);
    expect(transaction.respond(createResponse(request, 486, undefined, { toTag: 'u1' }))).toBe(false);
    expect(statusesOf(transport.take())).toEqual([200]);

    // RFC 3261 17.2.3: the ACK for a 2xx has its own branch and matches nothing.
    transport.receive(ackFor('UDP', 'z9hG4bKack2xx'), receiveInfo(clock));
    // RFC 6026 7.1: an ACK that does match in Accepted still goes to the TU.
    transport.receive(ackFor(), receiveInfo(clock));
    expect(acks.map((ack) => ack.via[0]?.branch)).toEqual(['z9hG4bKack2xx', BRANCH]);
    expect(transaction.state).toBe('accepted');

    clock.advance(64 * T1 - T1 - 1);
    expect(transaction.state).toBe('accepted');
    clock.advance(1);
    expect(transaction.state).toBe('terminated');
    expect(layer.stats().inviteServer).toBe(0);
  });

  it('refuses a second final response and anything after Terminated', () => {
    const { clock, transport, transactions } = serverSetup({ respond: 603 });
    transport.receive(
      incoming({ method: 'INVITE', branch: BRANCH, transport: 'TCP' }),
      receiveInfo(clock, 'TCP'),
    );
    const transaction = transactions[0]!;
    const request = incoming({ method: 'INVITE', branch: BRANCH, transport: 'TCP' });
    expect(transaction.respond(createResponse(request, 200, undefined, { toTag: 'u1' }))).toBe(false);
    expect(transaction.respond(createResponse(request, 180, undefined, { toTag: 'u1' }))).toBe(false);
    clock.advance(64 * T1);
    expect(transaction.respond(createResponse(request, 500))).toBe(false);
    expect(statusesOf(transport.take())).toEqual([603]);
  });

  it('terminates and tells the TU when a response cannot be sent', async () => {
    const { clock, transport, layer, transactions } = serverSetup();
    transport.receive(incoming({ method: 'INVITE', branch: BRANCH }), receiveInfo(clock));
    const transaction = transactions[0]!;
    const errors: Error[] = [];
    transaction.onTransportError((error) => errors.push(error));
    transport.failing = true;
    transaction.respond(
      createResponse(incoming({ method: 'INVITE', branch: BRANCH }), 486, undefined, { toTag: 'u1' }),
    );
    await settle();
    expect(errors.map((error) => error.name)).toEqual(['TransportError']);
    expect(transaction.state).toBe('terminated');
    expect(layer.stats().inviteServer).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
