/** Messages, endpoints and a layer on a fake transport and clock, shared by the transaction tests. */
import { FakeClock } from '../../../../src/sip/clock.js';
import { silentLogger } from '../../../../src/sip/logger.js';
import { createRequest, createResponse, parseMessage } from '../../../../src/sip/message/index.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../../src/sip/message/types.js';
import { createTransactionLayer, type TransactionTimers } from '../../../../src/sip/transaction/index.js';
import type { Endpoint, ReceiveInfo, TransportProtocol } from '../../../../src/sip/transport/types.js';
import { FakeTransport, LOCAL_ADDRESS, LOCAL_PORT } from './fake-transport.js';

export const T1 = 500;
export const T2 = 4000;
export const T4 = 5000;

export function peer(protocol: TransportProtocol = 'UDP'): Endpoint {
  return { protocol, address: '192.0.2.20', port: 5060 };
}

export function setup(timers?: Partial<TransactionTimers>) {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const layer = createTransactionLayer({
    transport,
    clock,
    logger: silentLogger,
    ...(timers ? { timers } : {}),
  });
  return { clock, transport, layer };
}

export function receiveInfo(clock: FakeClock, protocol: TransportProtocol = 'UDP'): ReceiveInfo {
  return {
    source: peer(protocol),
    local: { protocol, address: LOCAL_ADDRESS, port: LOCAL_PORT },
    receivedAt: clock.now(),
  };
}

/** A request the TU hands to the layer: no Via, the layer adds it. */
export function outgoing(method: string, cseq = 1): SipRequest {
  return createRequest({
    method,
    uri: 'sip:bob@192.0.2.20',
    from: '<sip:alice@example.com>;tag=a1',
    to: '<sip:bob@example.com>',
    callId: 'call-1@192.0.2.10',
    cseq,
  });
}

export interface IncomingFields {
  method: string;
  /** Omitted: no branch parameter at all (an RFC 2543 element). */
  branch?: string;
  sentBy?: string;
  transport?: TransportProtocol;
  uri?: string;
  cseq?: number;
  cseqMethod?: string;
  callId?: string;
  fromTag?: string;
  toTag?: string;
}

/** A request as a peer would send it, through the real parser. */
export function incoming(fields: IncomingFields): SipRequest {
  const via = `SIP/2.0/${fields.transport ?? 'UDP'} ${fields.sentBy ?? '192.0.2.20:5060'}${
    fields.branch === undefined ? '' : `;branch=${fields.branch}`
  }`;
  const lines = [
    `${fields.method} ${fields.uri ?? 'sip:bob@192.0.2.10'} SIP/2.0`,
    `Via: ${via}`,
    'Max-Forwards: 70',
    `From: <sip:alice@example.com>;tag=${fields.fromTag ?? 'f1'}`,
    `To: <sip:bob@example.com>${fields.toTag === undefined ? '' : `;tag=${fields.toTag}`}`,
    `Call-ID: ${fields.callId ?? 'in-call-1'}`,
    `CSeq: ${fields.cseq ?? 1} ${fields.cseqMethod ?? fields.method}`,
    'Content-Length: 0',
    '',
    '',
  ];
  return parse(lines.join('\r\n')) as SipRequest;
}

/** A peer's response to a request the layer sent, through the real serialiser-free parser path. */
export function answer(request: SipMessage, status: number, toTag = 'b1'): SipResponse {
  if (request.kind !== 'request') throw new TypeError('answer() needs a request');
  return createResponse(request, status, undefined, { toTag });
}

export function parse(text: string): SipMessage {
  const result = parseMessage(Buffer.from(text, 'latin1'));
  if (!result.ok) throw new Error(`fixture does not parse: ${result.error.message}`);
  return result.value;
}

export function isRequest(method: string) {
  return (message: SipMessage): boolean => message.kind === 'request' && message.method === method;
}

export function isStatus(status: number) {
  return (message: SipMessage): boolean => message.kind === 'response' && message.status === status;
}

/** Lets rejected transport promises reach the transactions. */
export async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}
