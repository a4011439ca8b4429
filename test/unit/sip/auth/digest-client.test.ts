import { describe, expect, it } from 'vitest';
import {
  answerChallenge,
  authorizeRequest,
  DigestNonceCounter,
} from '../../../../src/sip/auth/digest-client.js';
import { parseDigestCredentials } from '../../../../src/sip/auth/digest-header.js';
import type { SipHeaders } from '../../../../src/sip/message/types.js';
import { sipUri, testRequest } from './test-request.js';

const base = { method: 'REGISTER', uri: 'sip:example.com', username: 'j.user', password: 'demo-password' };
const nonce = 'ea9c8e88df84f1cec4341ae6cbe5a359';

function credentialsOf(value: string) {
  const parsed = parseDigestCredentials(value);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

describe('answerChallenge', () => {
  it('reproduces RFC 2617 §3.5 (opaque echoed, qop=auth)', () => {
    const answer = answerChallenge({
      challenges:
        'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
        'opaque="5ccc069c403ebaf9f0171e9517f40e41"',
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      password: 'Circle Of Life',
      cnonce: '0a4f113b',
    });
    expect(answer.ok).toBe(true);
    if (!answer.ok) return;
    expect(credentialsOf(answer.value.value)).toMatchObject({
      response: '6629fae49393a05397450978507c4ef1',
      opaque: '5ccc069c403ebaf9f0171e9517f40e41',
      qop: 'auth',
      nc: '00000001',
    });
    // The challenge named no algorithm, so neither do the credentials.
    expect(credentialsOf(answer.value.value).algorithm).toBeUndefined();
  });

  it('picks the strongest algorithm offered, whatever the order (RFC 8760 §2.4)', () => {
    const answer = answerChallenge({
      ...base,
      challenges: [
        `Digest realm="example.com", nonce="${nonce}", algorithm=MD5, qop="auth"`,
        `Digest realm="example.com", nonce="${nonce}", algorithm=SHA-256, qop="auth"`,
        `Digest realm="example.com", nonce="${nonce}", algorithm=SHA-1, qop="auth"`,
      ],
      cnonce: '0a4f113b',
    });
    expect(answer.ok && answer.value.algorithm).toBe('SHA-256');
    // Same value as the independently computed SIP REGISTER vector in digest-algorithm.test.ts.
    expect(answer.ok && credentialsOf(answer.value.value).response).toBe(
      '09e26f6b20636718479e19ee5d4888868b3e4cb5fbccd52662529ae0daee428a',
    );
  });

  it('increments nc when the same nonce is reused, and restarts at 1 for a new one', () => {
    const counter = new DigestNonceCounter();
    const challenge = `Digest realm="example.com", nonce="${nonce}", qop="auth"`;
    const ncs = [1, 2, 3].map(() => {
      const answer = answerChallenge({ ...base, challenges: challenge, counter });
      return answer.ok ? credentialsOf(answer.value.value).nc : undefined;
    });
    expect(ncs).toEqual(['00000001', '00000002', '00000003']);
    const fresh = answerChallenge({ ...base, challenges: challenge.replace(nonce, 'other'), counter });
    expect(fresh.ok && credentialsOf(fresh.value.value).nc).toBe('00000001');
  });

  it('makes a fresh cnonce for each answer', () => {
    const challenge = `Digest realm="example.com", nonce="${nonce}", qop="auth"`;
    const one = answerChallenge({ ...base, challenges: challenge });
    const two = answerChallenge({ ...base, challenges: challenge });
    expect(one.ok && two.ok && credentialsOf(one.value.value).cnonce).not.toBe(
      two.ok && credentialsOf(two.value.value).cnonce,
    );
  });

  it('uses auth-int when it is all that is offered', () => {
    const counter = new DigestNonceCounter();
    counter.next(nonce); // a second request on this nonce: nc=00000002, as in the vector
    const answer = answerChallenge({
      ...base,
      method: 'INVITE',
      uri: 'sip:bob@example.com',
      challenges: `Digest realm="example.com", nonce="${nonce}", qop="auth-int", algorithm=MD5`,
      body: Buffer.from('v=0\r\n'),
      cnonce: '0a4f113b',
      counter,
    });
    expect(answer.ok && credentialsOf(answer.value.value)).toMatchObject({
      qop: 'auth-int',
      response: '49ba864581b7e95e3962574c1041b043',
    });
  });

  it('answers an RFC 2069 challenge without qop, nc or cnonce', () => {
    const answer = answerChallenge({ ...base, challenges: `Digest realm="example.com", nonce="${nonce}"` });
    expect(answer.ok && credentialsOf(answer.value.value)).toMatchObject({
      response: 'b9d09d3521fbd56449c7c3124973efe9',
    });
    expect(answer.ok && credentialsOf(answer.value.value).cnonce).toBeUndefined();
  });

  it('sends the hashed username when asked (RFC 7616 §3.4.4)', () => {
    const answer = answerChallenge({
      ...base,
      username: 'Jäsøn Doe',
      challenges:
        'Digest realm="api@example.org", nonce="n", algorithm=SHA-512-256, qop="auth", userhash=true',
    });
    expect(answer.ok && credentialsOf(answer.value.value)).toMatchObject({
      username: '793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b',
      userhash: true,
    });
  });

  it.each([
    [`Digest realm="example.com", nonce="${nonce}", algorithm=SHA-1`, 'algorithm'],
    [`Digest realm="example.com", nonce="${nonce}", qop="auth-conf"`, 'qop'],
    [`Digest realm="example.com", nonce="${nonce}", algorithm=MD5-sess`, 'qop'],
    ['Digest realm="example.com"', 'digest-challenge'],
    ['Basic realm="example.com"', 'auth-scheme'],
  ])('explains why it cannot answer %j', (challenges, rule) => {
    const answer = answerChallenge({ ...base, challenges });
    expect(!answer.ok && answer.error.rule).toBe(rule);
  });

  it('refuses a username that would break the header', () => {
    const answer = answerChallenge({
      ...base,
      username: 'a\r\nVia: injected',
      challenges: `Digest realm="example.com", nonce="${nonce}"`,
    });
    expect(answer.ok).toBe(false);
  });
});

describe('authorizeRequest', () => {
  function response(
    status: number,
    headers: ReadonlyArray<[string, string]>,
  ): { status: number; headers: SipHeaders } {
    return { status, headers: testRequest('REGISTER', sipUri('example.com'), headers).headers };
  }
  const request = testRequest('REGISTER', sipUri('example.com'), []);

  it('answers a 401 with Authorization', () => {
    const result = authorizeRequest({
      response: response(401, [
        ['WWW-Authenticate', `Digest realm="example.com", nonce="${nonce}", qop="auth"`],
      ]),
      request,
      account: { username: 'j.user', password: 'demo-password' },
    });
    expect(result.ok && result.value.name).toBe('Authorization');
    expect(result.ok && result.value.values.length).toBe(1);
  });

  it('answers each realm of a 407 it holds an account for (RFC 3261 §22.3)', () => {
    const counter = new DigestNonceCounter();
    const result = authorizeRequest({
      response: response(407, [
        ['Proxy-Authenticate', 'Digest realm="one.example", nonce="a", algorithm=MD5, qop="auth"'],
        ['Proxy-Authenticate', 'Digest realm="one.example", nonce="a", algorithm=SHA-256, qop="auth"'],
        ['Proxy-Authenticate', 'Digest realm="two.example", nonce="b", qop="auth"'],
        ['Proxy-Authenticate', 'Digest realm="three.example", nonce="c", qop="auth"'],
      ]),
      request,
      account: (realm) => (realm === 'three.example' ? undefined : { username: realm, password: 'p' }),
      counter,
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.name).toBe('Proxy-Authorization');
    expect(result.value.values.map((value) => credentialsOf(value))).toMatchObject([
      { realm: 'one.example', username: 'one.example', algorithm: 'SHA-256' },
      { realm: 'two.example', username: 'two.example' },
    ]);
  });

  it('fails when nothing can be answered or the status is no challenge', () => {
    expect(
      authorizeRequest({ response: response(403, []), request, account: { username: 'u', password: 'p' } })
        .ok,
    ).toBe(false);
    expect(
      authorizeRequest({
        response: response(401, [['WWW-Authenticate', 'Basic realm="x"']]),
        request,
        account: { username: 'u', password: 'p' },
      }).ok,
    ).toBe(false);
  });
});
