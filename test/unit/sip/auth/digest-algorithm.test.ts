import { describe, expect, it } from 'vitest';
import {
  digestHa1,
  digestResponse,
  digestUserhash,
  hashOf,
  parseDigestAlgorithm,
} from '../../../../src/sip/auth/digest-algorithm.js';

const RFC7616_NONCE = '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v';
const RFC7616_CNONCE = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';

describe('digestResponse', () => {
  it('matches RFC 2617 §3.5 (MD5, qop=auth)', () => {
    const response = digestResponse({
      algorithm: 'MD5',
      ha1: digestHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life'),
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      method: 'GET',
      uri: '/dir/index.html',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
    });
    expect(response).toBe('6629fae49393a05397450978507c4ef1');
  });

  it.each([
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ] as const)('matches RFC 7616 §3.9.1 with %s', (algorithm, expected) => {
    const response = digestResponse({
      algorithm,
      ha1: digestHa1(algorithm, 'Mufasa', 'http-auth@example.org', 'Circle of Life'),
      nonce: RFC7616_NONCE,
      method: 'GET',
      uri: '/dir/index.html',
      qop: 'auth',
      nc: '00000001',
      cnonce: RFC7616_CNONCE,
    });
    expect(response).toBe(expected);
  });

  // A SIP REGISTER built on the RFC 4475 regaut01 message (j.user@example.com, Request-URI
  // sip:example.com), password "demo-password". Expected values computed independently with
  // Python's hashlib, e.g. for MD5:
  //   H = lambda s: hashlib.md5(s.encode()).hexdigest()
  //   H(H('j.user:example.com:demo-password') + ':ea9c8e88df84f1cec4341ae6cbe5a359:00000001:0a4f113b:auth:'
  //     + H('REGISTER:sip:example.com'))
  const register = {
    nonce: 'ea9c8e88df84f1cec4341ae6cbe5a359',
    method: 'REGISTER',
    uri: 'sip:example.com',
    nc: '00000001',
    cnonce: '0a4f113b',
  };
  const ha1 = (hash: 'MD5' | 'SHA-256' | 'SHA-512-256') =>
    digestHa1(hash, 'j.user', 'example.com', 'demo-password');

  it.each([
    ['MD5', 'f477d948795cde0e7cbce34034d87b0f'],
    ['SHA-256', '09e26f6b20636718479e19ee5d4888868b3e4cb5fbccd52662529ae0daee428a'],
    ['SHA-512-256', '07638976820e2a893e90441b3819d7e030cb8e2b92f713ff6dd72dd31eb14289'],
    ['MD5-sess', '32a3507f8226cc107be1435c7ff98f6d'],
    ['SHA-256-sess', '7196f95c6407bf8e32f1cf9622ae20e2a4320972de28a00ec0ddf16e65756082'],
  ] as const)('computes a SIP REGISTER digest with %s', (algorithm, expected) => {
    expect(digestResponse({ ...register, algorithm, ha1: ha1(hashOf(algorithm)), qop: 'auth' })).toBe(
      expected,
    );
  });

  it.each([
    ['MD5', 'b9d09d3521fbd56449c7c3124973efe9'],
    ['SHA-256', '7d3fef4a3e62b635d1a60a9b59b03236edf9f5403b5786bf99f0f63f53da6b9a'],
  ] as const)('computes the RFC 2069 form (no qop) with %s', (algorithm, expected) => {
    expect(
      digestResponse({
        algorithm,
        ha1: ha1(algorithm),
        nonce: register.nonce,
        method: 'REGISTER',
        uri: register.uri,
      }),
    ).toBe(expected);
  });

  it.each([
    ['MD5', '49ba864581b7e95e3962574c1041b043'],
    ['SHA-256', '1cbea47aee7398e61dafb15faa0613dfba9e77a00dd37b1bbf566d4154b07fdc'],
  ] as const)('hashes the body for qop=auth-int with %s', (algorithm, expected) => {
    const response = digestResponse({
      algorithm,
      ha1: ha1(algorithm),
      nonce: register.nonce,
      method: 'INVITE',
      uri: 'sip:bob@example.com',
      qop: 'auth-int',
      nc: '00000002',
      cnonce: '0a4f113b',
      body: Buffer.from('v=0\r\n'),
    });
    expect(response).toBe(expected);
  });
});

describe('algorithm names', () => {
  it('defaults to MD5 and folds case', () => {
    expect(parseDigestAlgorithm(undefined)).toBe('MD5');
    expect(parseDigestAlgorithm('sha-256-SESS')).toBe('SHA-256-sess');
    expect(parseDigestAlgorithm('SHA-1')).toBeUndefined();
  });

  it('hashes a username for userhash (RFC 7616 §3.4.4)', () => {
    // Python: hashlib.new('sha512_256', 'Jäsøn Doe:api@example.org'.encode()).hexdigest()
    expect(digestUserhash('SHA-512-256', 'Jäsøn Doe', 'api@example.org')).toBe(
      '793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b',
    );
  });
});
