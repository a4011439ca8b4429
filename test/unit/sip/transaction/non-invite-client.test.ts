import { describe, expect, it } from 'vitest';
import type { ClientTransactionHandlers } from '../../../../src/sip/transaction/index.js';
import { answer, isRequest, outgoing, peer, receiveInfo, settle, setup, T1, T4 } from './fixtures.js';

function recorder() {
  const events: string[] = [];
  const handlers: ClientTransactionHandlers = {
    onResponse: (response, info) =>
      events.push(`${response.status}${info === undefined ? ' synthesized' : ''}`),
    onTimeout: () => events.push('timeout'),
    onTransportError: (error) => events.push(`transport-error ${error.name}`),
    onTerminated: () => events.push('terminated'),
  };
  return { events, handlers };
}

describe('non-INVITE client transaction (RFC 3261 17.1.2)', () => {
  it('retransmits on timer E doubling up to T2, then times out with 408 on timer F', () => {
    const { clock, transport, layer } = setup();
    const { events, handlers } = recorder();
    const transaction = layer.sendRequest(outgoing('OPTIONS'), peer(), handlers);
    expect(transaction.state).toBe('trying');
    clock.advance(64 * T1 - 1);
    expect(transport.timesOf(isRequest('OPTIONS'))).toEqual([
      0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ]);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual(['timeout', '408 synthesized', 'terminated']);
    expect(layer.stats().nonInviteClient).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('retransmits every T2 once Proceeding, and timer F still applies', () => {
    const { clock, transport, layer } = setup();
    const { events, handlers } = recorder();
    const request = outgoing('REGISTER');
    const transaction = layer.sendRequest(request, peer(), handlers);
    clock.advance(600);
    transport.receive(answer(request, 100), receiveInfo(clock));
    expect(transaction.state).toBe('proceeding');
    clock.advance(64 * T1 - 600);
    expect(transport.timesOf(isRequest('REGISTER'))).toEqual([
      0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500,
    ]);
    expect(events).toEqual(['100', 'timeout', '408 synthesized', 'terminated']);
  });

  it('absorbs final response retransmissions in Completed for timer K = T4', () => {
    const { clock, transport, layer } = setup();
    const { events, handlers } = recorder();
    const request = outgoing('OPTIONS');
    const transaction = layer.sendRequest(request, peer(), handlers);
    clock.advance(700);
    transport.receive(answer(request, 200), receiveInfo(clock));
    expect(transaction.state).toBe('completed');
    transport.receive(answer(request, 200), receiveInfo(clock));
    clock.advance(T4 - 1);
    expect(transaction.state).toBe('completed');
    expect(transport.timesOf(isRequest('OPTIONS'))).toEqual([0, 500]);
    clock.advance(1);
    expect(transaction.state).toBe('terminated');
    expect(events).toEqual(['200', 'terminated']);
    expect(clock.pending).toBe(0);
  });

  it('over TCP: sends once, timer F at 64*T1, and a zero timer K', () => {
    const { clock, transport, layer } = setup();
    const first = recorder();
    layer.sendRequest(outgoing('OPTIONS', 1), peer('TCP'), first.handlers);
    clock.advance(64 * T1);
    expect(transport.timesOf(isRequest('OPTIONS'))).toEqual([0]);
    expect(first.events).toEqual(['timeout', '408 synthesized', 'terminated']);

    const second = recorder();
    const request = outgoing('OPTIONS', 2);
    const transaction = layer.sendRequest(request, peer('TCP'), second.handlers);
    transport.receive(answer(request, 404), receiveInfo(clock, 'TCP'));
    expect(transaction.state).toBe('terminated');
    expect(second.events).toEqual(['404', 'terminated']);
    expect(clock.pending).toBe(0);
  });

  it('reports a transport failure as a synthesized 503', async () => {
    const { clock, transport, layer } = setup();
    const { events, handlers } = recorder();
    transport.failing = true;
    layer.sendRequest(outgoing('MESSAGE'), peer(), handlers);
    await settle();
    expect(events).toEqual(['transport-error TransportError', '503 synthesized', 'terminated']);
    expect(clock.pending).toBe(0);
  });

  it('honours configured timer values', () => {
    const { clock, transport, layer } = setup({ T1: 100, T2: 400 });
    const { events, handlers } = recorder();
    layer.sendRequest(outgoing('OPTIONS'), peer(), handlers);
    clock.advance(64 * 100);
    expect(transport.timesOf(isRequest('OPTIONS')).slice(0, 6)).toEqual([0, 100, 300, 700, 1100, 1500]);
    expect(events).toEqual(['timeout', '408 synthesized', 'terminated']);
  });
});
