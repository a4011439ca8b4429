import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NonceCodec } from '../../../../src/sip/auth/nonce.js';

describe('NonceCodec', () => {
  const codec = new NonceCodec(Buffer.alloc(32, 1), 'strowger.example');

  it('reads back the issue time of its own nonces', () => {
    const nonce = codec.issue(123_456.75);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(codec.issuedAt(nonce)).toBe(123_456.75);
    expect(codec.issue(0)).not.toBe(codec.issue(0));
  });

  it('refuses forged, foreign, truncated and re-spelled nonces', () => {
    const nonce = codec.issue(1000);
    const flipped = `${nonce[0] === 'A' ? 'B' : 'A'}${nonce.slice(1)}`;
    expect(codec.issuedAt(flipped)).toBeUndefined();
    expect(new NonceCodec(Buffer.alloc(32, 2), 'strowger.example').issuedAt(nonce)).toBeUndefined();
    expect(new NonceCodec(Buffer.alloc(32, 1), 'other.example').issuedAt(nonce)).toBeUndefined();
    expect(codec.issuedAt(nonce.slice(0, -1))).toBeUndefined();
    expect(codec.issuedAt(`${nonce.slice(0, -1)}*`)).toBeUndefined();
    // The last base64 character carries two spare bits: another spelling of the same bytes.
    const last = nonce.charCodeAt(42);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = nonce.slice(0, 42) + alphabet[alphabet.indexOf(String.fromCharCode(last)) ^ 1];
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(nonce, 'base64url'));
    expect(codec.issuedAt(respelled)).toBeUndefined();
  });

  it('issues distinct nonces at one instant, and so does another codec with the same secret', () => {
    const issued = new Set(Array.from({ length: 1000 }, () => codec.issue(5)));
    expect(issued.size).toBe(1000);
    const sibling = new NonceCodec(Buffer.alloc(32, 1), 'strowger.example');
    const nonce = sibling.issue(5);
    expect(issued.has(nonce)).toBe(false);
    expect(codec.issuedAt(nonce)).toBe(5);
  });

  it.each([
    ['a 32-byte', 32],
    ['a block-sized', 64],
    ['a longer-than-a-block', 100],
  ])('ends in the RFC 2104 HMAC-SHA-256 of realm and payload under %s secret', (_, length) => {
    const secret = Buffer.from(Array.from({ length }, (_unused, i) => (i * 37 + 11) & 0xff));
    const bytes = Buffer.from(new NonceCodec(secret, 'strowger.example').issue(42.5), 'base64url');
    const payload = bytes.subarray(0, 16);
    const expected = createHmac('sha256', secret).update('strowger.example').update(payload).digest();
    expect(bytes.readDoubleBE(0)).toBe(42.5);
    expect(bytes.subarray(16).toString('hex')).toBe(expected.subarray(0, 16).toString('hex'));
  });

  it('tells its own nonces by their HMAC long after issuing them, and a changed HMAC never', () => {
    const fresh = new NonceCodec(Buffer.alloc(32, 3), 'strowger.example');
    const first = fresh.issue(11);
    const forged = (nonce: string) => {
      const bytes = Buffer.from(nonce, 'base64url');
      bytes[20] = (bytes[20] as number) ^ 1;
      return bytes.toString('base64url');
    };
    const latest = fresh.issue(12);
    expect(fresh.issuedAt(forged(latest))).toBeUndefined();
    for (let i = 0; i < 10_000; i++) fresh.issue(13);
    expect(fresh.issuedAt(first)).toBe(11);
    expect(fresh.issuedAt(forged(first))).toBeUndefined();
    expect(fresh.issuedAt(latest)).toBe(12);
  });

  it("refuses the standard base64 alphabet's spelling of a nonce", () => {
    let nonce = codec.issue(7);
    while (!/[-_]/.test(nonce)) nonce = codec.issue(7);
    const standard = nonce.replaceAll('-', '+').replaceAll('_', '/');
    expect(Buffer.from(standard, 'base64url')).toEqual(Buffer.from(nonce, 'base64url'));
    expect(codec.issuedAt(standard)).toBeUndefined();
    expect(codec.issuedAt(nonce)).toBe(7);
  });
});
