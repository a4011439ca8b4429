import { describe, expect, it } from 'vitest';
import { digestUriMatches } from '../../../../src/sip/auth/digest-uri.js';
import type { Uri } from '../../../../src/sip/message/types.js';

function uri(fields: Partial<Uri>): Uri {
  return { scheme: 'sip', host: 'example.com', params: {}, headers: {}, ...fields };
}

describe('digestUriMatches (RFC 3261 §19.1.4)', () => {
  it.each([
    ['sip:example.com', uri({})],
    ['SIP:EXAMPLE.COM', uri({})],
    ['sip:alice@example.com:5070', uri({ user: 'alice', port: 5070 })],
    ['sip:%61lice@example.com', uri({ user: 'alice' })],
    ['sip:alice:secret@example.com', uri({ user: 'alice', password: 'secret' })],
    [
      'sip:bob@[2001:db8::1]:5060;transport=TCP',
      uri({ user: 'bob', host: '[2001:db8::1]', port: 5060, params: { transport: 'tcp' } }),
    ],
    ['sip:bob@example.com;lr;foo=bar', uri({ user: 'bob', params: { lr: null } })],
    ['sips:bob@example.com', uri({ scheme: 'sips', user: 'bob' })],
    ['tel:+15551234;phone-context=x', uri({ scheme: 'tel', host: '', user: '+15551234' })],
  ])('%s names the Request-URI', (text, requestUri) => {
    expect(digestUriMatches(text, requestUri)).toBe(true);
  });

  it.each([
    ['sip:other.example', uri({})],
    ['sips:example.com', uri({})],
    ['sip:Alice@example.com', uri({ user: 'alice' })],
    ['sip:example.com:5060', uri({})],
    ['sip:example.com', uri({ port: 5060 })],
    ['sip:example.com;transport=udp', uri({})],
    ['sip:example.com', uri({ params: { user: 'phone' } })],
    ['sip:example.com;foo=1', uri({ params: { foo: '2' } })],
    ['sip:%zzalice@example.com', uri({ user: '%zzalice' })],
    ['sip:example.com:99999999', uri({ port: 99999999 })],
    ['/dir/index.html', uri({})],
    ['sip:', uri({})],
    ['', uri({})],
  ])('%s does not', (text, requestUri) => {
    expect(digestUriMatches(text, requestUri)).toBe(false);
  });
});
