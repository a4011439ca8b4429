import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/sip/clock.js';
import { silentLogger } from '../../../../src/sip/logger.js';
import { createResponse } from '../../../../src/sip/message/index.js';
import type { SipRequest, SipResponse } from '../../../../src/sip/message/types.js';
import {
  createTransactionLayer,
  DEFAULT_LIMITS,
  DEFAULT_TIMERS,
  type ServerTransaction,
} from '../../../../src/sip/transaction/index.js';
import { FakeTransport } from './fake-transport.js';
import { answer, incoming, outgoing, peer, receiveInfo, settle, setup, T1 } from './fixtures.js';

function tuSetup(respond?: number) {
  const context = setup();
  const transactions: ServerTransaction[] = [];
  const acks: SipRequest[] = [];
  context.layer.onRequest((request, transaction) => {
    transactions.push(transaction);
    if (respond !== undefined)
      transaction.respond(createResponse(request, respond, undefined, { toTag: 'u1' }));
  });
  context.layer.onAck((ack) => acks.push(ack));
  return { ...context, transactions, acks };
}

function statuses(transport: FakeTransport): number[] {
  return transport.take().map((message) => (message.kind === 'response' ? message.status : 0));
}

describe('server transaction matching (RFC 3261 17.2.3)', () => {
  it('keeps transactions apart by method and by sent-by for one branch', () => {
    const { clock, transport, transactions } = tuSetup();
    transport.receive(incoming({ method: 'INVITE', branch: 'z9hG4bKsame' }), receiveInfo(clock));
    transport.receive(incoming({ method: 'INFO', branch: 'z9hG4bKsame', cseq: 2 }), receiveInfo(clock));
    transport.receive(
      incoming({ method: 'INVITE', branch: 'z9hG4bKsame', sentBy: '192.0.2.30' }),
      receiveInfo(clock),
    );
    transport.receive(incoming({ method: 'INVITE', branch: 'z9hG4bKsame' }), receiveInfo(clock));
    expect(transactions.map((t) => t.method)).toEqual(['INVITE', 'INFO', 'INVITE']);
  });

  it('falls back to the RFC 2543 rules for branches without the magic cookie', () => {
    const { clock, transport, transactions, acks } = tuSetup(404);
    const legacy = { method: 'INVITE', branch: '1234' };
    transport.receive(incoming(legacy), receiveInfo(clock));
    transport.receive(incoming(legacy), receiveInfo(clock));
    expect(transactions).toHaveLength(1);
    expect(statuses(transport)).toEqual([404, 404]);

    // Another Request-URI, or another CSeq, is another transaction.
    transport.receive(incoming({ ...legacy, uri: 'sip:carol@192.0.2.10' }), receiveInfo(clock));
    transport.receive(incoming({ ...legacy, cseq: 2 }), receiveInfo(clock));
    expect(transactions).toHaveLength(3);

    // The ACK carries the To tag of the response it acknowledges.
    transport.receive(incoming({ method: 'ACK', branch: '1234', toTag: 'u1' }), receiveInfo(clock));
    expect(transactions[0]!.state).toBe('confirmed');
    expect(acks).toEqual([]);
  });

  it('matches requests without any branch parameter by the RFC 2543 rules', () => {
    const { clock, transport, transactions } = tuSetup(200);
    transport.receive(incoming({ method: 'OPTIONS' }), receiveInfo(clock));
    transport.receive(incoming({ method: 'OPTIONS' }), receiveInfo(clock));
    transport.receive(incoming({ method: 'OPTIONS', fromTag: 'other' }), receiveInfo(clock));
    expect(transactions).toHaveLength(2);
    expect(statuses(transport)).toEqual([200, 200, 200]);
  });

  it('matches a Cisco ACK for a 487 that comes with a new branch by Call-ID, From tag and CSeq', () => {
    const { clock, transport, transactions, acks } = tuSetup(487);
    transport.receive(incoming({ method: 'INVITE', branch: 'z9hG4bKinvite' }), receiveInfo(clock));
    transport.receive(
      incoming({ method: 'ACK', branch: 'z9hG4bKfreshack', toTag: 'u1' }),
      receiveInfo(clock),
    );
    expect(transactions[0]!.state).toBe('confirmed');
    expect(acks).toEqual([]);
    clock.advance(64 * T1);
    expect(transport.sent.filter(({ at }) => at > 0)).toEqual([]); // timer G stopped by that ACK

    // An ACK for another CSeq is not taken for it.
    transport.receive(incoming({ method: 'INVITE', branch: 'z9hG4bKinvite2', cseq: 5 }), receiveInfo(clock));
    transport.receive(
      incoming({ method: 'ACK', branch: 'z9hG4bKother', cseq: 6, toTag: 'u1' }),
      receiveInfo(clock),
    );
    expect(transactions[1]!.state).toBe('completed');
    expect(acks).toHaveLength(1);
  });

  it('passes ACKs that match nothing to onAck (the ACK for a 2xx)', () => {
    const { clock, transport, acks, transactions } = tuSetup();
    transport.receive(incoming({ method: 'ACK', branch: 'z9hG4bKack', toTag: 'x' }), receiveInfo(clock));
    expect(acks).toHaveLength(1);
    expect(transactions).toEqual([]);
    expect(transport.sent).toEqual([]);
  });
});

describe('transaction layer boundaries', () => {
  it('passes responses that match no client transaction to onStrayResponse', () => {
    const { clock, transport, layer } = setup();
    const strays: SipResponse[] = [];
    layer.onStrayResponse((response) => strays.push(response));
    const request = outgoing('OPTIONS');
    const answered: number[] = [];
    layer.sendRequest(request, peer(), { onResponse: (response) => answered.push(response.status) });
    const reply = answer(request, 200);
    reply.headers.set('CSeq', '1 INFO'); // same branch, other method: RFC 3261 17.1.3 says no match
    transport.receive(reply, receiveInfo(clock));
    expect(strays.map((r) => r.cseq.method)).toEqual(['INFO']);
    expect(answered).toEqual([]);
  });

  it('refuses requests with 503 when no TU listens, and with 500 when the TU throws', () => {
    const { clock, transport, layer } = setup();
    transport.receive(incoming({ method: 'OPTIONS', branch: 'z9hG4bK1' }), receiveInfo(clock));
    expect(statuses(transport)).toEqual([503]);
    layer.onRequest(() => {
      throw new Error('broken TU');
    });
    transport.receive(incoming({ method: 'INVITE', branch: 'z9hG4bK2' }), receiveInfo(clock));
    expect(statuses(transport)).toEqual([500]);
  });

  it('refuses new requests statelessly with 503 and Retry-After when the server table is full', () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(clock);
    const layer = createTransactionLayer({
      transport,
      clock,
      logger: silentLogger,
      limits: { maxServerTransactions: 1 },
    });
    const seen: string[] = [];
    layer.onRequest((request) => seen.push(request.method));
    transport.receive(incoming({ method: 'INVITE', branch: 'z9hG4bK1' }), receiveInfo(clock));
    transport.receive(incoming({ method: 'OPTIONS', branch: 'z9hG4bK2' }), receiveInfo(clock));
    const [refusal] = transport.take() as SipResponse[];
    expect(refusal?.status).toBe(503);
    expect(refusal?.headers.get('Retry-After')).toBe('5');
    expect(seen).toEqual(['INVITE']);
    expect(layer.stats()).toEqual({
      inviteClient: 0,
      nonInviteClient: 0,
      inviteServer: 1,
      nonInviteServer: 0,
      pendingServer: 1,
    });
  });

  it('refuses new requests while the TU holds too many unanswered ones, and admits them once it answers', async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(clock);
    const layer = createTransactionLayer({
      transport,
      clock,
      logger: silentLogger,
      limits: { maxPendingServerTransactions: 2 },
    });
    const held: { request: SipRequest; transaction: ServerTransaction }[] = [];
    layer.onRequest((request, transaction) => held.push({ request, transaction }));
    for (const branch of ['z9hG4bK1', 'z9hG4bK2', 'z9hG4bK3']) {
      transport.receive(incoming({ method: 'REGISTER', branch }), receiveInfo(clock));
    }
    expect(statuses(transport)).toEqual([503]);
    expect(layer.stats()).toMatchObject({ nonInviteServer: 2, pendingServer: 2 });

    const first = held[0]!;
    first.transaction.respond(createResponse(first.request, 200, undefined, { toTag: 'u1' }));
    expect(layer.stats()).toMatchObject({ nonInviteServer: 2, pendingServer: 1 });
    transport.receive(incoming({ method: 'REGISTER', branch: 'z9hG4bK4' }), receiveInfo(clock));
    expect(held.map(({ request }) => request.via[0]?.branch)).toEqual(['z9hG4bK1', 'z9hG4bK2', 'z9hG4bK4']);

    // A transaction that ends without a final response (transport failure) frees its slot too.
    transport.failing = true;
    held[1]!.transaction.respond(createResponse(held[1]!.request, 100));
    await settle();
    expect(held[1]!.transaction.state).toBe('terminated');
    expect(layer.stats()).toMatchObject({ nonInviteServer: 2, pendingServer: 1 });
  });

  it('sizes the tables for 15,000 non-INVITE requests per second over UDP by default', () => {
    const timerJSeconds = (64 * DEFAULT_TIMERS.T1) / 1000;
    expect(DEFAULT_LIMITS.maxServerTransactions / timerJSeconds).toBeGreaterThanOrEqual(15_000);
    expect(() =>
      createTransactionLayer({
        transport: new FakeTransport(new FakeClock()),
        clock: new FakeClock(),
        logger: silentLogger,
        limits: { maxPendingServerTransactions: 0 },
      }),
    ).toThrow(RangeError);
  });

  it('counts live transactions by kind and forgets everything on close', () => {
    const { clock, transport, layer } = setup();
    layer.onRequest(() => {});
    layer.sendRequest(outgoing('INVITE'), peer(), { onResponse: () => {} });
    layer.sendRequest(outgoing('OPTIONS', 2), peer(), { onResponse: () => {} });
    transport.receive(incoming({ method: 'INVITE', branch: 'z9hG4bK1' }), receiveInfo(clock));
    transport.receive(incoming({ method: 'SUBSCRIBE', branch: 'z9hG4bK2' }), receiveInfo(clock));
    transport.receive(incoming({ method: 'NOTIFY' }), receiveInfo(clock));
    expect(layer.stats()).toEqual({
      inviteClient: 1,
      nonInviteClient: 1,
      inviteServer: 1,
      nonInviteServer: 2,
      pendingServer: 3,
    });
    layer.close();
    expect(layer.stats()).toEqual({
      inviteClient: 0,
      nonInviteClient: 0,
      inviteServer: 0,
      nonInviteServer: 0,
      pendingServer: 0,
    });
    expect(clock.pending).toBe(0);
    expect(() => layer.sendRequest(outgoing('OPTIONS', 3), peer(), { onResponse: () => {} })).toThrow();
  });

  it('keeps running the state machine when a TU handler throws, and logs it', () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(clock);
    const errors: string[] = [];
    const logger = { ...silentLogger, error: (_fields: object, message: string) => errors.push(message) };
    const layer = createTransactionLayer({ transport, clock, logger });
    const request = outgoing('INVITE');
    const seen: number[] = [];
    const transaction = layer.sendRequest(request, peer(), {
      onResponse: (response) => {
        seen.push(response.status);
        throw new Error('broken TU');
      },
    });
    transport.receive(answer(request, 180), receiveInfo(clock));
    transport.receive(answer(request, 486), receiveInfo(clock));
    expect(seen).toEqual([180, 486]);
    expect(transaction.state).toBe('completed');
    expect(errors).toEqual(['transaction user handler threw', 'transaction user handler threw']);
  });

  it('gives a branch to a top Via the TU wrote without one', () => {
    const { layer } = setup();
    const request = outgoing('OPTIONS');
    request.headers.prepend('Via', 'SIP/2.0/UDP 198.51.100.7:5070;rport');
    const transaction = layer.sendRequest(request, peer(), { onResponse: () => {} });
    expect(request.via).toHaveLength(1);
    expect(request.via[0]).toMatchObject({ host: '198.51.100.7', port: 5070, rport: true });
    expect(request.via[0]?.branch).toBe(transaction.branch);
    expect(transaction.branch).toMatch(/^z9hG4bK./);
  });

  it('rejects a second client transaction on the same branch and method', () => {
    const { layer } = setup();
    const request = outgoing('OPTIONS');
    layer.sendRequest(request, peer(), { onResponse: () => {} });
    expect(() => layer.sendRequest(request, peer(), { onResponse: () => {} })).toThrow(/branch/);
  });
});
