import { describe, expect, it } from 'vitest';
import { formatUri } from '../../../../src/sip/message/index.js';
import type { SipRequest, SipResponse } from '../../../../src/sip/message/types.js';
import type { ClientTransactionHandlers } from '../../../../src/sip/transaction/index.js';
import { TransportError } from '../../../../src/sip/transport/types.js';
import { LOCAL_ADDRESS, LOCAL_PORT } from './fake-transport.js';
import { answer, isRequest, outgoing, peer, receiveInfo, settle, setup, T1 } from './fixtures.js';

function recorder() {
  const responses: SipResponse[] = [];
  const events: string[] = [];
  const handlers: ClientTransactionHandlers = {
    onResponse: (response, info) => {
      responses.push(response);
      events.push(`${response.status}${info === undefined ? ' synthesized' : ''}`);
    },
    onTimeout: () => events.push('timeout'),
    onTransportError: (error) => events.push(`transport-error ${error.name}`),
    onTerminated: () => events.push('terminated'),
  };
  return { responses, events, handlers };
}

describe('INVITE client transaction (RFC 3261 17.1.1, RFC 6026 8.4)', () => {
  it('adds a top Via with the transport sent-by, a z9hG4bK branch and rport', () => {
    const { layer } = setup();
    const invite = outgoing('INVITE');
    const transaction = layer.sendRequest(invite, peer(), recorder().handlers);
    const top = invite.via[0];
    expect(invite.via).toHaveLength(1);
    expect(top).toMatchObject({ transport: 'UDP', host: LOCAL_ADDRESS, port: LOCAL_PORT, rport: true });
    expect(top?.branch).toMatch(/^z9hG4bK.+/);
    expect(transaction.branch).toBe(top?.branch);
    expect(transaction.state).toBe('calling');
  });

  it('retransmits over UDP on timer A (T1, doubling) until timer B reports 408 at 64*T1', () => {
    const { clock, transport, layer } = setup();
    const { events, handlers } = recorder();
    const transaction = layer.sendRequest(outgoing('INVITE'), peer(), handlers);
    clock.advance(64 * T1 - 1);
    expect(transport.timesOf(isRequest('INVITE'))).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual(['timeout', '408 synthesized', 'terminated']);
    expect(transaction.state).toBe('terminated');
    expect(layer.stats().inviteClient).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('sends once over TCP (no timer A) and still times out on timer B', () => {
    const { clock, transport, layer } = setup();
    const { events, handlers } = recorder();
    layer.sendRequest(outgoing('INVITE'), peer('TCP'), handlers);
    clock.advance(64 * T1);
    expect(transport.timesOf(isRequest('INVITE'))).toEqual([0]);
    expect(events).toEqual(['timeout', '408 synthesized', 'terminated']);
  });

  it('stops retransmitting and disarms timer B on a provisional response', () => {
    const { clock, transport, layer } = setup();
    const { events, handlers } = recorder();
    const invite = outgoing('INVITE');
    const transaction = layer.sendRequest(invite, peer(), handlers);
    clock.advance(700);
    transport.receive(answer(invite, 180), receiveInfo(clock));
    clock.advance(10 * 64 * T1);
    expect(transport.timesOf(isRequest('INVITE'))).toEqual([0, 500]);
    expect(events).toEqual(['180']);
    expect(transaction.state).toBe('proceeding');
  });

  it('ACKs a non-2xx final itself with the INVITE branch and absorbs its retransmissions for timer D', () => {
    const { clock, transport, layer } = setup();
    const { events, handlers } = recorder();
    const invite = outgoing('INVITE');
    const transaction = layer.sendRequest(invite, peer(), handlers);
    transport.take();
    transport.receive(answer(invite, 486), receiveInfo(clock));
    const [ack, ...rest] = transport.take() as SipRequest[];
    expect(rest).toEqual([]);
    expect(ack?.method).toBe('ACK');
    expect(ack?.via).toHaveLength(1);
    expect(ack?.via[0]?.branch).toBe(transaction.branch);
    expect(ack?.cseq).toEqual({ seq: 1, method: 'ACK' });
    expect(ack?.to.params.tag).toBe('b1');
    expect(ack?.from.params.tag).toBe('a1');
    expect(ack?.callId).toBe(invite.callId);
    expect(formatUri(ack!.uri)).toBe(formatUri(invite.uri));
    expect(transaction.state).toBe('completed');

    transport.receive(answer(invite, 486), receiveInfo(clock));
    expect(transport.take().map((m) => (m.kind === 'request' ? m.method : m.status))).toEqual(['ACK']);
    expect(events).toEqual(['486']);

    clock.advance(32_000 - 1);
    expect(transaction.state).toBe('completed');
    clock.advance(1);
    expect(transaction.state).toBe('terminated');
    expect(events).toEqual(['486', 'terminated']);
    expect(layer.stats().inviteClient).toBe(0);
  });

  it('has a zero timer D over TCP', () => {
    const { clock, transport, layer } = setup();
    const invite = outgoing('INVITE');
    const transaction = layer.sendRequest(invite, peer('TCP'), recorder().handlers);
    transport.receive(answer(invite, 603), receiveInfo(clock, 'TCP'));
    expect(transaction.state).toBe('terminated');
    expect(transport.timesOf(isRequest('ACK'))).toEqual([0]);
    expect(clock.pending).toBe(0);
  });

  it('passes every 2xx up while Accepted (forking) and ends on timer M without ACKing', () => {
    const { clock, transport, layer } = setup();
    const { responses, handlers } = recorder();
    const strays: SipResponse[] = [];
    layer.onStrayResponse((response) => strays.push(response));
    const invite = outgoing('INVITE');
    const transaction = layer.sendRequest(invite, peer(), handlers);
    transport.receive(answer(invite, 183, 'b1'), receiveInfo(clock));
    transport.receive(answer(invite, 200, 'b1'), receiveInfo(clock));
    expect(transaction.state).toBe('accepted');
    clock.advance(1000);
    transport.receive(answer(invite, 200, 'b2'), receiveInfo(clock));
    transport.receive(answer(invite, 200, 'b1'), receiveInfo(clock));
    transport.receive(answer(invite, 486, 'b3'), receiveInfo(clock));
    expect(responses.map((r) => `${r.status} ${r.to.params.tag}`)).toEqual([
      '183 b1',
      '200 b1',
      '200 b2',
      '200 b1',
    ]);
    expect(transport.timesOf(isRequest('ACK'))).toEqual([]);
    clock.advance(64 * T1 - 1000 - 1);
    expect(transaction.state).toBe('accepted');
    clock.advance(1);
    expect(transaction.state).toBe('terminated');
    transport.receive(answer(invite, 200, 'b4'), receiveInfo(clock));
    expect(strays.map((r) => r.to.params.tag)).toEqual(['b4']);
  });

  it('reports a transport failure as a synthesized 503 and terminates', async () => {
    const { clock, transport, layer } = setup();
    const errors: Error[] = [];
    const { events, handlers } = recorder();
    transport.failing = true;
    const transaction = layer.sendRequest(outgoing('INVITE'), peer(), {
      ...handlers,
      onTransportError: (error) => {
        errors.push(error);
        handlers.onTransportError?.(error);
      },
    });
    await settle();
    expect(events).toEqual(['transport-error TransportError', '503 synthesized', 'terminated']);
    expect(errors[0]).toBeInstanceOf(TransportError);
    expect(transaction.state).toBe('terminated');
    expect(clock.pending).toBe(0);
  });

  it('does not add a 503 after the final response when only the ACK fails', async () => {
    const { clock, transport, layer } = setup();
    const { events, handlers } = recorder();
    const invite = outgoing('INVITE');
    const transaction = layer.sendRequest(invite, peer(), handlers);
    transport.failing = true;
    transport.receive(answer(invite, 404), receiveInfo(clock));
    await settle();
    expect(events).toEqual(['404', 'terminated']);
    expect(transaction.state).toBe('terminated');
  });

  it('refuses ACK: an ACK for 2xx goes through sendAck outside any transaction', async () => {
    const { transport, layer } = setup();
    expect(() => layer.sendRequest(outgoing('ACK'), peer(), recorder().handlers)).toThrow(TypeError);
    const ack = outgoing('ACK');
    await layer.sendAck(ack, peer());
    expect(ack.via[0]?.branch).toMatch(/^z9hG4bK/);
    expect(transport.timesOf(isRequest('ACK'))).toEqual([0]);
    expect(layer.stats()).toEqual({
      inviteClient: 0,
      nonInviteClient: 0,
      inviteServer: 0,
      nonInviteServer: 0,
      pendingServer: 0,
    });
  });
});

describe('CANCEL from an INVITE client transaction (RFC 3261 9.1)', () => {
  it('waits for a provisional response, then sends CANCEL with the INVITE branch as its own transaction', () => {
    const { clock, transport, layer } = setup();
    const invite = outgoing('INVITE');
    const inviteEvents = recorder();
    const cancelEvents = recorder();
    const transaction = layer.sendRequest(invite, peer(), inviteEvents.handlers);
    expect(transaction.cancel(cancelEvents.handlers)).toBe(true);
    expect(transaction.cancel()).toBe(false);
    transport.take();
    clock.advance(100);
    expect(transport.take()).toEqual([]);

    transport.receive(answer(invite, 180), receiveInfo(clock));
    const [cancel, ...rest] = transport.take() as SipRequest[];
    expect(rest).toEqual([]);
    expect(cancel?.method).toBe('CANCEL');
    expect(cancel?.via).toHaveLength(1);
    expect(cancel?.via[0]?.branch).toBe(transaction.branch);
    expect(cancel?.cseq).toEqual({ seq: 1, method: 'CANCEL' });
    expect(cancel?.to.params.tag).toBeUndefined();
    expect(cancel?.from.params.tag).toBe('a1');
    expect(layer.stats()).toMatchObject({ inviteClient: 1, nonInviteClient: 1 });

    transport.receive(answer(cancel!, 200), receiveInfo(clock));
    transport.receive(answer(invite, 487), receiveInfo(clock));
    expect(cancelEvents.events).toEqual(['200']);
    expect(inviteEvents.events).toEqual(['180', '487']);
    expect(transport.timesOf(isRequest('ACK'))).toEqual([100]);
  });

  it('sends CANCEL at once in Proceeding and refuses once a final response arrived', () => {
    const { clock, transport, layer } = setup();
    const invite = outgoing('INVITE');
    const transaction = layer.sendRequest(invite, peer(), recorder().handlers);
    transport.receive(answer(invite, 183), receiveInfo(clock));
    expect(transaction.cancel()).toBe(true);
    expect(transport.timesOf(isRequest('CANCEL'))).toEqual([0]);
    transport.receive(answer(invite, 200), receiveInfo(clock));
    expect(transaction.cancel()).toBe(false);
  });

  it('drops a pending CANCEL when the INVITE ends without a provisional response', () => {
    const { clock, transport, layer } = setup();
    const transaction = layer.sendRequest(outgoing('INVITE'), peer(), recorder().handlers);
    transaction.cancel();
    clock.advance(64 * T1);
    expect(transport.timesOf(isRequest('CANCEL'))).toEqual([]);
    expect(layer.stats().nonInviteClient).toBe(0);
  });

  it('gives up on the INVITE 64*T1 after the CANCEL when no final response comes', () => {
    const { clock, transport, layer } = setup();
    const invite = outgoing('INVITE');
    const inviteEvents = recorder();
    const cancelEvents = recorder();
    const transaction = layer.sendRequest(invite, peer(), inviteEvents.handlers);
    clock.advance(1000);
    transport.receive(answer(invite, 180), receiveInfo(clock));
    transaction.cancel(cancelEvents.handlers);
    clock.advance(64 * T1 - 1);
    expect(transaction.state).toBe('proceeding');
    expect(inviteEvents.events).toEqual(['180']);
    clock.advance(1);
    // The CANCEL's own timer F and the INVITE's guard fall on the same instant.
    expect(cancelEvents.events).toEqual(['timeout', '408 synthesized', 'terminated']);
    expect(inviteEvents.events).toEqual(['180', 'timeout', '408 synthesized', 'terminated']);
    expect(layer.stats()).toMatchObject({ inviteClient: 0, nonInviteClient: 0 });
  });
});
