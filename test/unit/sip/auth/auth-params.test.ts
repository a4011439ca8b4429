import { describe, expect, it } from 'vitest';
import { authScheme, isQuotable, parseAuthParams } from '../../../../src/sip/auth/auth-params.js';
import { quoteString as quote } from '../../../../src/sip/message/index.js';

describe('parseAuthParams', () => {
  it('reads the scheme and parameters, tolerant of LWS and case', () => {
    const parsed = parseAuthParams(
      '  DIGEST   Realm = "a b" ,NONCE="n",  algorithm = SHA-256 ,qop="auth,auth-int"',
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.scheme).toBe('DIGEST');
    expect(Object.fromEntries(parsed.value.params)).toEqual({
      realm: 'a b',
      nonce: 'n',
      algorithm: 'SHA-256',
      qop: 'auth,auth-int',
    });
  });

  it('unescapes quoted-pairs and keeps commas inside quotes', () => {
    const parsed = parseAuthParams('Digest realm="a \\"quoted\\" \\\\ realm, with comma", nonce=x');
    expect(parsed.ok && parsed.value.params.get('realm')).toBe('a "quoted" \\ realm, with comma');
  });

  it('accepts empty list elements (RFC 7235 §7)', () => {
    const parsed = parseAuthParams('Digest , realm="r",, nonce="n" ,');
    expect(parsed.ok && [...parsed.value.params.keys()]).toEqual(['realm', 'nonce']);
  });

  it('accepts bare values that are not tokens, such as base64 nonces', () => {
    const parsed = parseAuthParams('Digest nonce=ab/c+d==, uri=sip:bob@example.com');
    expect(parsed.ok && Object.fromEntries(parsed.value.params)).toEqual({
      nonce: 'ab/c+d==',
      uri: 'sip:bob@example.com',
    });
  });

  it.each([
    ['', 'auth-scheme'],
    ['"Digest" realm=x', 'auth-scheme'],
    ['Digest realm="open', 'quoted-string'],
    ['Digest realm="a\u0000b"', 'quoted-string'],
    ['Digest realm="a\\\r"', 'quoted-pair'],
    ['Digest realm="ends with backslash\\', 'quoted-pair'],
    ['Digest realm', 'auth-param'],
    ['Digest realm=', 'auth-param'],
    ['Digest realm="a" nonce="b"', 'auth-param'],
    ['Digest realm="a", realm="b"', 'auth-param'],
    ['Digest =x', 'auth-param'],
  ])('rejects %j naming rule %s', (text, rule) => {
    const parsed = parseAuthParams(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.rule).toBe(rule);
  });

  it('bounds the number of parameters', () => {
    const many = Array.from({ length: 100 }, (_, i) => `p${i}=v`).join(', ');
    const parsed = parseAuthParams(`Digest ${many}`);
    expect(parsed.ok).toBe(false);
  });

  it('reads a scheme alone', () => {
    expect(authScheme('  NoOneKnowsThisScheme opaque-data=here')).toBe('NoOneKnowsThisScheme');
  });
});

describe('quoted values', () => {
  it("round-trip through the message layer's quoteString", () => {
    const value = 'tricky "realm" \\ with, commas';
    const parsed = parseAuthParams(`Digest realm=${quote(value)}`);
    expect(parsed.ok && parsed.value.params.get('realm')).toBe(value);
  });

  it('tells which values cannot be quoted', () => {
    expect(isQuotable('Jäsøn Doe\t')).toBe(true);
    expect(isQuotable('a\r\nInjected: header')).toBe(false);
  });
});
