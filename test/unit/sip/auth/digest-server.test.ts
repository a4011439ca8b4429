import { describe, expect, it } from 'vitest';
import { answerChallenge, DigestNonceCounter } from '../../../../src/sip/auth/digest-client.js';
import { parseDigestChallenge } from '../../../../src/sip/auth/digest-header.js';
import {
  createDigestServer,
  type DigestLookup,
  type DigestServerOptions,
} from '../../../../src/sip/auth/digest-server.js';
import { digestHa1 } from '../../../../src/sip/auth/index.js';
import { FakeClock } from '../../../../src/sip/clock.js';
import { sipUri, testRequest } from './test-request.js';

const REALM = 'strowger.example';
const users: DigestLookup = (username) => (username === 'alice' ? { password: 'wonderland' } : undefined);

function setup(options: Partial<DigestServerOptions> = {}) {
  const clock = new FakeClock();
  const server = createDigestServer({ realm: REALM, clock, ...options });
  return { clock, server };
}

/** A REGISTER answering `challengeValues` the way a phone would. */
function signedRegister(
  challengeValues: string[],
  options: {
    password?: string;
    counter?: DigestNonceCounter;
    uri?: string;
    header?: string;
    realm?: string;
  } = {},
) {
  const uriText = options.uri ?? 'sip:strowger.example';
  const answer = answerChallenge({
    challenges: challengeValues,
    method: 'REGISTER',
    uri: uriText,
    username: 'alice',
    password: options.password ?? 'wonderland',
    counter: options.counter,
  });
  if (!answer.ok) throw new Error(answer.error.message);
  let value = answer.value.value;
  if (options.realm !== undefined) value = value.replace(`realm="${REALM}"`, `realm="${options.realm}"`);
  return testRequest('REGISTER', sipUri('strowger.example'), [[options.header ?? 'Authorization', value]]);
}

describe('challenge', () => {
  it('offers one challenge per algorithm, in the configured order (RFC 8760 §2.4)', () => {
    const { server } = setup({ algorithms: ['SHA-256', 'MD5'] });
    const challenge = server.challenge({ proxy: false });
    expect(challenge.name).toBe('WWW-Authenticate');
    expect(challenge.status).toBe(401);
    const parsed = challenge.values.map((value) => parseDigestChallenge(value));
    expect(parsed.map((p) => p.ok && p.value.algorithm)).toEqual(['SHA-256', 'MD5']);
    expect(parsed.map((p) => p.ok && p.value.qop)).toEqual([['auth'], ['auth']]);
    expect(parsed.every((p) => p.ok && p.value.realm === REALM && !p.value.stale)).toBe(true);
  });

  it('uses Proxy-Authenticate for a proxy and marks stale re-challenges', () => {
    const { server } = setup();
    const challenge = server.challenge({ proxy: true, stale: true });
    expect(challenge.name).toBe('Proxy-Authenticate');
    expect(challenge.status).toBe(407);
    const first = parseDigestChallenge(challenge.values[0]!);
    expect(first.ok && first.value.stale).toBe(true);
  });

  it('writes a fresh nonce into each challenge, whatever text the realm holds', () => {
    const realm = 'a " nonce " realm';
    const { server } = setup({ realm, algorithms: ['SHA-256', 'MD5'] });
    const [first, second] = [
      server.challenge({ proxy: false }),
      server.challenge({ proxy: false, stale: true }),
    ];
    const parsed = [...first.values, ...second.values].map((value) => parseDigestChallenge(value));
    const nonces = parsed.map((p) => (p.ok ? p.value.nonce : ''));
    expect(parsed.map((p) => p.ok && p.value.realm)).toEqual([realm, realm, realm, realm]);
    expect(parsed.map((p) => p.ok && p.value.stale)).toEqual([false, false, true, true]);
    expect(nonces[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(nonces[1]).toBe(nonces[0]);
    expect(nonces[2]).not.toBe(nonces[0]);
  });

  it('refuses a configuration it cannot honour', () => {
    expect(() => createDigestServer({ realm: 'a\r\nb' })).toThrow();
    expect(() => createDigestServer({ realm: REALM, algorithms: [] })).toThrow();
    expect(() => createDigestServer({ realm: REALM, algorithms: ['SHA-1' as 'MD5'] })).toThrow();
  });
});

describe('verify', () => {
  it('accepts the strongest algorithm a client picks and reports the user', () => {
    const { server } = setup();
    const request = signedRegister(server.challenge({ proxy: false }).values);
    expect(server.verify(request, { proxy: false, lookup: users })).toEqual({
      status: 'ok',
      username: 'alice',
      algorithm: 'SHA-256',
    });
  });

  it.each(['MD5', 'SHA-256', 'SHA-512-256', 'MD5-sess', 'SHA-256-sess'] as const)(
    'verifies %s',
    (algorithm) => {
      const { server } = setup({ algorithms: [algorithm] });
      const request = signedRegister(server.challenge({ proxy: false }).values);
      expect(server.verify(request, { proxy: false, lookup: users })).toMatchObject({
        status: 'ok',
        algorithm,
      });
    },
  );

  it('checks each request against its own method and Request-URI, however they alternate', () => {
    const { server } = setup({ algorithms: ['SHA-256', 'MD5'] });
    const signed = (method: string, host: string, algorithm: 'SHA-256' | 'MD5', password = 'wonderland') => {
      const challenge = server
        .challenge({ proxy: false })
        .values.filter((value) => value.includes(algorithm));
      const answer = answerChallenge({
        challenges: challenge,
        method,
        uri: `sip:${host}`,
        username: 'alice',
        password,
      });
      if (!answer.ok) throw new Error(answer.error.message);
      return testRequest(method, sipUri(host), [['Authorization', answer.value.value]]);
    };
    const verdicts = [
      signed('REGISTER', 'a.example', 'MD5'),
      signed('REGISTER', 'a.example', 'MD5'),
      signed('REGISTER', 'a.example', 'SHA-256'),
      signed('REGISTER', 'b.example', 'SHA-256'),
      signed('SUBSCRIBE', 'b.example', 'SHA-256'),
      signed('REGISTER', 'b.example', 'SHA-256', 'guess'),
      signed('REGISTER', 'a.example', 'MD5'),
    ].map((request) => server.verify(request, { proxy: false, lookup: users }).status);
    expect(verdicts).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'invalid', 'ok']);
  });

  it('verifies against a stored HA1 instead of a password', () => {
    const { server } = setup();
    const request = signedRegister(server.challenge({ proxy: false }).values);
    const ha1 = { 'SHA-256': digestHa1('SHA-256', 'alice', REALM, 'wonderland') };
    expect(server.verify(request, { proxy: false, lookup: () => ({ ha1 }) }).status).toBe('ok');
    expect(server.verify(request, { proxy: false, lookup: () => ({ ha1: {} }) })).toMatchObject({
      status: 'invalid',
      reason: 'algorithm',
    });
  });

  it('asks the lookup for the secret of the hash the credentials use, so it may keep one HA1 per hash', () => {
    const { server } = setup({ algorithms: ['MD5'] });
    const request = signedRegister(server.challenge({ proxy: false }).values);
    const asked: string[] = [];
    const lookup = (_username: string, _realm: string, hash: string) => {
      asked.push(hash);
      return { ha1: { MD5: digestHa1('MD5', 'alice', REALM, 'wonderland') } };
    };
    expect(server.verify(request, { proxy: false, lookup }).status).toBe('ok');
    expect(asked).toEqual(['MD5']);
  });

  it('reads Proxy-Authorization for a proxy', () => {
    const { server } = setup();
    const request = signedRegister(server.challenge({ proxy: true }).values, {
      header: 'Proxy-Authorization',
    });
    expect(server.verify(request, { proxy: true, lookup: users }).status).toBe('ok');
    expect(server.verify(request, { proxy: false, lookup: users }).status).toBe('missing');
  });

  it('answers missing without credentials, and for an unknown scheme (RFC 4475 regaut01)', () => {
    const { server } = setup();
    const none = testRequest('REGISTER', sipUri('example.com'), []);
    expect(server.verify(none, { proxy: false, lookup: users })).toEqual({ status: 'missing' });
    const unknown = testRequest('REGISTER', sipUri('example.com'), [
      ['Authorization', 'NoOneKnowsThisScheme opaque-data=here'],
    ]);
    expect(server.verify(unknown, { proxy: false, lookup: users })).toEqual({ status: 'missing' });
  });

  it('refuses a wrong password', () => {
    const { server } = setup();
    const request = signedRegister(server.challenge({ proxy: false }).values, { password: 'looking-glass' });
    expect(server.verify(request, { proxy: false, lookup: users })).toMatchObject({
      status: 'invalid',
      reason: 'response',
    });
  });

  it('refuses an unknown user', () => {
    const { server } = setup();
    const request = signedRegister(server.challenge({ proxy: false }).values);
    expect(server.verify(request, { proxy: false, lookup: () => undefined })).toMatchObject({
      status: 'invalid',
      reason: 'unknown-user',
    });
  });

  it('refuses a wrong realm at a UAS, ignores it at a proxy (RFC 3261 §22.3)', () => {
    const { server } = setup();
    const request = signedRegister(server.challenge({ proxy: false }).values, { realm: 'elsewhere' });
    expect(server.verify(request, { proxy: false, lookup: users })).toMatchObject({
      status: 'invalid',
      reason: 'realm',
    });
    const proxied = signedRegister(server.challenge({ proxy: true }).values, {
      realm: 'elsewhere',
      header: 'Proxy-Authorization',
    });
    expect(server.verify(proxied, { proxy: true, lookup: users })).toEqual({ status: 'missing' });
  });

  it('refuses credentials for another Request-URI', () => {
    const { server } = setup();
    const request = signedRegister(server.challenge({ proxy: false }).values, { uri: 'sip:other.example' });
    expect(server.verify(request, { proxy: false, lookup: users })).toMatchObject({
      status: 'invalid',
      reason: 'uri',
    });
  });

  it('answers stale for a correct response on an expired nonce', () => {
    const { clock, server } = setup({ nonceLifetimeMs: 300_000 });
    const request = signedRegister(server.challenge({ proxy: false }).values);
    clock.advance(300_001);
    expect(server.verify(request, { proxy: false, lookup: users })).toEqual({
      status: 'stale',
      username: 'alice',
    });
  });

  it('answers stale for a correct response on a nonce it never issued (e.g. before a restart)', () => {
    const clock = new FakeClock();
    const before = createDigestServer({ realm: REALM, clock });
    const after = createDigestServer({ realm: REALM, clock });
    const request = signedRegister(before.challenge({ proxy: false }).values);
    expect(after.verify(request, { proxy: false, lookup: users }).status).toBe('stale');
  });

  it('accepts nonces across instances sharing a secret', () => {
    const clock = new FakeClock();
    const secret = Buffer.alloc(32, 7);
    const one = createDigestServer({ realm: REALM, clock, secret });
    const two = createDigestServer({ realm: REALM, clock, secret });
    const request = signedRegister(one.challenge({ proxy: false }).values);
    expect(two.verify(request, { proxy: false, lookup: users }).status).toBe('ok');
  });

  it('refuses a replayed nonce count and accepts the next one', () => {
    const { server } = setup();
    const values = server.challenge({ proxy: false }).values;
    const counter = new DigestNonceCounter();
    const first = signedRegister(values, { counter });
    expect(server.verify(first, { proxy: false, lookup: users }).status).toBe('ok');
    expect(server.verify(first, { proxy: false, lookup: users })).toMatchObject({
      status: 'invalid',
      reason: 'replay',
    });
    const second = signedRegister(values, { counter });
    expect(server.verify(second, { proxy: false, lookup: users }).status).toBe('ok');
  });

  it('refuses the legacy form unless configured, then accepts it', () => {
    const legacyChallenge = (nonce: string) => `Digest realm="${REALM}", nonce="${nonce}"`;
    const strict = setup();
    const nonce = parseDigestChallenge(strict.server.challenge({ proxy: false }).values[0]!);
    if (!nonce.ok) throw new Error('challenge');
    const request = signedRegister([legacyChallenge(nonce.value.nonce)]);
    expect(strict.server.verify(request, { proxy: false, lookup: users })).toMatchObject({ reason: 'qop' });

    const lenient = setup({ allowRfc2069: true, algorithms: ['MD5'] });
    const lenientNonce = parseDigestChallenge(lenient.server.challenge({ proxy: false }).values[0]!);
    if (!lenientNonce.ok) throw new Error('challenge');
    const legacy = signedRegister([legacyChallenge(lenientNonce.value.nonce)]);
    expect(lenient.server.verify(legacy, { proxy: false, lookup: users }).status).toBe('ok');
  });

  it('refuses an algorithm it did not offer', () => {
    const { server } = setup({ algorithms: ['SHA-256'] });
    const nonce = parseDigestChallenge(server.challenge({ proxy: false }).values[0]!);
    if (!nonce.ok) throw new Error('challenge');
    const request = signedRegister([
      `Digest realm="${REALM}", nonce="${nonce.value.nonce}", algorithm=MD5, qop="auth"`,
    ]);
    expect(server.verify(request, { proxy: false, lookup: users })).toMatchObject({
      status: 'invalid',
      reason: 'algorithm',
    });
  });

  it.each([
    ['Digest username="alice", realm="strowger.example"', 'malformed'],
    [
      'Digest username="alice", realm="strowger.example", nonce="n", uri="sip:strowger.example", response="00"',
      'qop',
    ],
    [
      'Digest username="alice", realm="strowger.example", nonce="n", uri="sip:strowger.example", response="00", qop=auth, nc=00000001',
      'qop',
    ],
    [
      'Digest username="alice", realm="strowger.example", nonce="n", uri="sip:strowger.example", response="00", qop=auth, cnonce="c", nc=00000000',
      'qop',
    ],
    [
      'Digest username="alice", realm="strowger.example", nonce="n", uri="sip:strowger.example", response="00", qop=auth-int, cnonce="c", nc=00000001',
      'qop',
    ],
    [
      'Digest username="alice", realm="strowger.example", nonce="n", uri="sip:strowger.example", response="00", qop=auth, cnonce="c", nc=00000001, userhash=true',
      'malformed',
    ],
    ['Digest realm="strowger.example", username="alice", nonce="unterminated', 'malformed'],
  ])('refuses malformed credentials %j', (value, reason) => {
    const { server } = setup();
    const request = testRequest('REGISTER', sipUri('strowger.example'), [['Authorization', value]]);
    expect(server.verify(request, { proxy: false, lookup: users })).toMatchObject({
      status: 'invalid',
      reason,
    });
  });

  it('finds our credentials among those for other realms', () => {
    const { server } = setup();
    const ours = signedRegister(server.challenge({ proxy: true }).values, { header: 'Proxy-Authorization' });
    const theirs =
      'Digest username="bob", realm="carrier.example", nonce="x", uri="sip:strowger.example", response="00"';
    const request = testRequest('REGISTER', sipUri('strowger.example'), [
      ['Proxy-Authorization', theirs],
      ['Proxy-Authorization', ours.headers.get('Proxy-Authorization')!],
    ]);
    expect(server.verify(request, { proxy: true, lookup: users }).status).toBe('ok');
  });

  it('never throws on hostile header values', () => {
    const { server } = setup();
    const hostile = [
      '',
      ',,,',
      'Digest',
      'Digest "',
      'Digest a=b=c',
      'Digest \u0000',
      'digest nc=zz',
      `Digest ${'x'.repeat(10_000)}`,
    ];
    for (const value of hostile) {
      const request = testRequest('REGISTER', sipUri('strowger.example'), [['Authorization', value]]);
      expect(['missing', 'invalid']).toContain(
        server.verify(request, { proxy: false, lookup: users }).status,
      );
    }
  });
});
