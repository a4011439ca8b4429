import { describe, expect, it } from 'vitest';
import {
  formatDigestChallenge,
  formatDigestCredentials,
  parseDigestChallenge,
  parseDigestCredentials,
} from '../../../../src/sip/auth/digest-header.js';

describe('Digest challenge', () => {
  it('parses the RFC 7616 §3.9.1 challenge', () => {
    const parsed = parseDigestChallenge(
      'Digest\trealm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, ' +
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    );
    expect(parsed).toEqual({
      ok: true,
      value: {
        realm: 'http-auth@example.org',
        nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
        algorithm: 'SHA-256',
        qop: ['auth', 'auth-int'],
        opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
        stale: false,
        userhash: false,
      },
    });
  });

  it('reads stale case-insensitively and round-trips through the formatter', () => {
    const parsed = parseDigestChallenge(
      'digest REALM="atlanta.com", domain="sip:ss1.carrier.com", nonce="n", stale=TRUE',
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.stale).toBe(true);
    expect(parsed.value.qop).toEqual([]);
    expect(parseDigestChallenge(formatDigestChallenge(parsed.value))).toEqual(parsed);
  });

  it('names what is missing', () => {
    const noNonce = parseDigestChallenge('Digest realm="r"');
    expect(!noNonce.ok && noNonce.error.message).toBe('Challenge has no nonce');
    const basic = parseDigestChallenge('Basic realm="r"');
    expect(!basic.ok && basic.error.rule).toBe('auth-scheme');
  });
});

describe('Digest credentials', () => {
  const value =
    'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
    'uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", ' +
    'response="6629FAE49393A05397450978507C4EF1", opaque="5ccc069c403ebaf9f0171e9517f40e41"';

  it('parses the RFC 2617 §3.5 credentials, folding the response to lower case', () => {
    const parsed = parseDigestCredentials(value);
    expect(parsed).toEqual({
      ok: true,
      value: {
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        uri: '/dir/index.html',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
        response: '6629fae49393a05397450978507c4ef1',
        opaque: '5ccc069c403ebaf9f0171e9517f40e41',
        userhash: false,
      },
    });
    if (parsed.ok) expect(parseDigestCredentials(formatDigestCredentials(parsed.value))).toEqual(parsed);
  });

  it.each([
    ['Digest realm="r", nonce="n", uri="sip:a", response="x"', 'Credentials have no username'],
    ['Digest username="u", nonce="n", uri="sip:a", response="x"', 'Credentials have no realm'],
    ['Digest username="u", realm="r", uri="sip:a", response="x"', 'Credentials have no nonce'],
    ['Digest username="u", realm="r", nonce="n", response="x"', 'Credentials have no uri'],
    ['Digest username="u", realm="r", nonce="n", uri="sip:a"', 'Credentials have no response'],
    [
      'Digest username="u", realm="r", nonce="n", uri="sip:a", response="x", nc=1',
      'nc is not eight hex digits',
    ],
  ])('rejects %j', (text, message) => {
    const parsed = parseDigestCredentials(text);
    expect(!parsed.ok && parsed.error.message).toBe(message);
  });
});
