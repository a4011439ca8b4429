/**
 * Digest authentication through the real message layer: challenge, parse, answer, serialise,
 * parse again and verify, as a registrar and a registering trunk do on the wire.
 */
import { describe, expect, it } from 'vitest';
import { authorizeRequest, createDigestServer, DigestNonceCounter } from '../../../../src/sip/auth/index.js';
import { FakeClock } from '../../../../src/sip/clock.js';
import {
  createRequest,
  createResponse,
  parseMessage,
  type SipRequest,
  type SipResponse,
  serializeMessage,
} from '../../../../src/sip/message/index.js';

/** RFC 4475 §3.3.7 regaut01, byte for byte (CRLF line ends). */
const REGAUT01 = [
  'REGISTER sip:example.com SIP/2.0',
  'To: sip:j.user@example.com',
  'From: sip:j.user@example.com;tag=87321hj23128',
  'Max-Forwards: 8',
  'Call-ID: regaut01.0ha0isndaksdj',
  'CSeq: 9338 REGISTER',
  'Via: SIP/2.0/TCP 192.0.2.253;branch=z9hG4bKkdjuw',
  'Authorization: NoOneKnowsThisScheme opaque-data=here',
  'Content-Length:0',
  '',
  '',
].join('\r\n');

function register(cseq: number, headers: ReadonlyArray<readonly [string, string]> = []): SipRequest {
  return createRequest({
    method: 'REGISTER',
    uri: 'sip:strowger.example',
    from: '<sip:5123781000@strowger.example>;tag=8d2a',
    to: '<sip:5123781000@strowger.example>',
    callId: 'reg-5123781000@192.0.2.50',
    cseq,
    via: [
      {
        protocol: 'SIP/2.0',
        transport: 'UDP',
        host: '192.0.2.50',
        port: 5060,
        params: {},
        branch: `z9hG4bK-${cseq}`,
      },
    ],
    contact: '<sip:5123781000@192.0.2.50:5060>',
    headers,
  });
}

/** What the other side receives: the message serialised and parsed again. */
function overTheWire<T extends SipRequest | SipResponse>(message: T): T {
  const parsed = parseMessage(serializeMessage(message));
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value as T;
}

describe('digest over the message layer', () => {
  const lookup = (username: string) =>
    username === '5123781000' ? { password: 'demo-trunk-password' } : undefined;

  it('challenges the RFC 4475 regaut01 REGISTER with its unknown scheme', () => {
    const parsed = parseMessage(Buffer.from(REGAUT01, 'latin1'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok || parsed.value.kind !== 'request') return;
    const server = createDigestServer({ realm: 'example.com', clock: new FakeClock() });
    expect(server.verify(parsed.value, { proxy: false, lookup })).toEqual({ status: 'missing' });
  });

  it('registers: 401, answer, 200; then reuses the nonce with the next nc; a replay is refused', () => {
    const clock = new FakeClock();
    const server = createDigestServer({ realm: 'strowger.example', clock });
    const counter = new DigestNonceCounter();

    const first = overTheWire(register(1));
    expect(server.verify(first, { proxy: false, lookup })).toEqual({ status: 'missing' });
    const challenge = server.challenge({ proxy: false });
    const unauthorized = overTheWire(
      createResponse(first, challenge.status, undefined, {
        headers: challenge.values.map((value) => [challenge.name, value] as const),
      }),
    );
    expect(unauthorized.headers.getAll('WWW-Authenticate')).toHaveLength(2);

    const authorization = authorizeRequest({
      response: unauthorized,
      request: register(1),
      account: { username: '5123781000', password: 'demo-trunk-password' },
      counter,
    });
    if (!authorization.ok) throw new Error(authorization.error.message);
    const header = authorization.value.values.map((value) => [authorization.value.name, value] as const);
    const second = overTheWire(register(2, header));
    expect(server.verify(second, { proxy: false, lookup })).toEqual({
      status: 'ok',
      username: '5123781000',
      algorithm: 'SHA-256',
    });
    expect(server.verify(second, { proxy: false, lookup })).toMatchObject({
      status: 'invalid',
      reason: 'replay',
    });

    // The refresh answers the same challenge again: the counter moves nc to 2.
    clock.advance(60_000);
    const refreshAuth = authorizeRequest({
      response: unauthorized,
      request: register(3),
      account: { username: '5123781000', password: 'demo-trunk-password' },
      counter,
    });
    if (!refreshAuth.ok) throw new Error(refreshAuth.error.message);
    expect(refreshAuth.value.values[0]).toContain('nc=00000002');
    const refresh = overTheWire(
      register(
        3,
        refreshAuth.value.values.map((value) => ['Authorization', value] as const),
      ),
    );
    expect(server.verify(refresh, { proxy: false, lookup }).status).toBe('ok');

    // After the nonce lifetime the same answer is stale: re-challenge with stale=true.
    clock.advance(300_000);
    expect(server.verify(refresh, { proxy: false, lookup })).toEqual({
      status: 'stale',
      username: '5123781000',
    });
    expect(server.challenge({ proxy: false, stale: true }).values[0]).toContain('stale=true');
  });
});
