/**
 * Stateless server nonces (RFC 7616 §3.3 "nonce"): the nonce carries its issue time
 * and an HMAC over it, so a server keeps no memory per challenge and can still tell its own
 * fresh nonces from forged, foreign or expired ones.
 *
 * Layout before base64url: issue time (float64, the clock's milliseconds) | 8 random bytes |
 * HMAC-SHA-256(secret, realm | time | random) truncated to 16 bytes.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TIME_BYTES = 8;
const RANDOM_BYTES = 8;
const MAC_BYTES = 16;
const PAYLOAD_BYTES = TIME_BYTES + RANDOM_BYTES;
const NONCE_BYTES = PAYLOAD_BYTES + MAC_BYTES;
/** base64url length of NONCE_BYTES without padding. */
const NONCE_LENGTH = Math.ceil((NONCE_BYTES * 4) / 3);

export class NonceCodec {
  constructor(
    private readonly secret: Buffer,
    private readonly realm: string,
  ) {}

  issue(now: number): string {
    const nonce = Buffer.allocUnsafe(NONCE_BYTES);
    nonce.writeDoubleBE(now, 0);
    randomBytes(RANDOM_BYTES).copy(nonce, TIME_BYTES);
    this.mac(nonce.subarray(0, PAYLOAD_BYTES)).copy(nonce, PAYLOAD_BYTES, 0, MAC_BYTES);
    return nonce.toString('base64url');
  }

  /** The issue time of a nonce this codec issued, or undefined for anything else. */
  issuedAt(nonce: string): number | undefined {
    if (nonce.length !== NONCE_LENGTH) return undefined;
    const bytes = Buffer.from(nonce, 'base64url');
    // Only the canonical spelling: base64 leaves spare bits in the last character, and a
    // second spelling of one nonce would get a second nonce-count record (a replay hole).
    if (bytes.length !== NONCE_BYTES || bytes.toString('base64url') !== nonce) return undefined;
    const expected = this.mac(bytes.subarray(0, PAYLOAD_BYTES)).subarray(0, MAC_BYTES);
    if (!timingSafeEqual(expected, bytes.subarray(PAYLOAD_BYTES))) return undefined;
    return bytes.readDoubleBE(0);
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(this.realm).update(payload).digest();
  }
}
