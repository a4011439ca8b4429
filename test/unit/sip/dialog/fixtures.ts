/** SIP messages as text for the dialog tests: an INVITE from Alice and Bob's answers to it. */
import { parseMessage } from '../../../../src/sip/message/index.js';
import type { SipRequest, SipResponse } from '../../../../src/sip/message/types.js';

function parse(lines: string[], body = ''): ReturnType<typeof parseMessage> {
  const text = `${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  return parseMessage(Buffer.from(text, 'latin1'));
}

export function request(lines: string[]): SipRequest {
  const parsed = parse(lines);
  if (!parsed.ok || parsed.value.kind !== 'request') throw new Error(`fixture is not a request: ${lines[0]}`);
  return parsed.value;
}

export function response(lines: string[]): SipResponse {
  const parsed = parse(lines);
  if (!parsed.ok || parsed.value.kind !== 'response')
    throw new Error(`fixture is not a response: ${lines[0]}`);
  return parsed.value;
}

export const CALL_ID = 'a84b4c76e66710@pc33.atlanta.example.com';

/** Alice's INVITE after two record-routing proxies (RFC 3261 §24.2 style). */
export function aliceInvite(scheme: 'sip' | 'sips' = 'sip'): SipRequest {
  return request([
    `INVITE ${scheme}:bob@biloxi.example.com SIP/2.0`,
    'Via: SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1',
    'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;received=192.0.2.1',
    'Max-Forwards: 69',
    'Record-Route: <sip:p2.biloxi.example.com;lr>',
    'Record-Route: <sip:p1.atlanta.example.com;lr>',
    `To: Bob <${scheme}:bob@biloxi.example.com>`,
    `From: Alice <${scheme}:alice@atlanta.example.com>;tag=1928301774`,
    `Call-ID: ${CALL_ID}`,
    'CSeq: 314159 INVITE',
    `Contact: <${scheme}:alice@pc33.atlanta.example.com>`,
  ]);
}

/** Bob's answer to Alice's INVITE, with the Record-Route the proxies copied into it. */
export function bobAnswer(
  status: number,
  options: { toTag?: string; contact?: string | null } = {},
): SipResponse {
  const toTag =
    options.toTag === undefined ? ';tag=a6c85cf' : options.toTag === '' ? '' : `;tag=${options.toTag}`;
  const contact = options.contact === undefined ? '<sip:bob@192.0.2.4>' : options.contact;
  return response([
    `SIP/2.0 ${status} Answer`,
    'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;received=192.0.2.1',
    'Record-Route: <sip:p2.biloxi.example.com;lr>',
    'Record-Route: <sip:p1.atlanta.example.com;lr>',
    `To: Bob <sip:bob@biloxi.example.com>${toTag}`,
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    `Call-ID: ${CALL_ID}`,
    'CSeq: 314159 INVITE',
    ...(contact === null ? [] : [`Contact: ${contact}`]),
  ]);
}
