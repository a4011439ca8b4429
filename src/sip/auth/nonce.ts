/**
 * Stateless server nonces (RFC 7616 §3.3 "nonce"): the nonce carries its issue time
 * and an HMAC over it, so a server keeps no memory per challenge and can still tell its own
 * fresh nonces from forged, foreign or expired ones.
 *
 * Layout before base64url: issue time (float64, the clock's milliseconds) | salt (4 bytes drawn
 * once per codec) | counter (uint32, one step per nonce) | HMAC-SHA-256(secret, realm | time |
 * salt | counter) truncated to 16 bytes. The counter keeps one process's nonces apart and the
 * salt those of processes sharing a secret; unpredictability comes from the HMAC, so no random
 * bytes are drawn per challenge.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TIME_BYTES = 8;
const SALT_OFFSET = TIME_BYTES;
const COUNTER_OFFSET = SALT_OFFSET + 4;
const PAYLOAD_BYTES = COUNTER_OFFSET + 4;
const MAC_BYTES = 16;
const NONCE_BYTES = PAYLOAD_BYTES + MAC_BYTES;
/**
 * The canonical base64url spelling of NONCE_BYTES: 43 characters, the last carrying two spare
 * bits that must be zero. Node's decoder also takes '+', '/', padding and skips stray
 * characters, so any other spelling of the same bytes is refused here: a second spelling of
 * one nonce would get a second nonce-count record (a replay hole).
 */
const CANONICAL = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

export class NonceCodec {
  private readonly salt = randomBytes(4).readUInt32BE(0);
  private counter = 0;
  private readonly realm: Buffer;
  /** Reused by `issue` and `issuedAt`: both finish with it before returning. */
  private readonly scratch = Buffer.alloc(NONCE_BYTES);

  constructor(
    private readonly secret: Buffer,
    realm: string,
  ) {
    this.realm = Buffer.from(realm, 'utf8');
  }

  issue(now: number): string {
    const nonce = this.scratch;
    nonce.writeDoubleBE(now, 0);
    nonce.writeUInt32BE(this.salt, SALT_OFFSET);
    nonce.writeUInt32BE(this.counter, COUNTER_OFFSET);
    this.counter = (this.counter + 1) >>> 0;
    this.mac(nonce.subarray(0, PAYLOAD_BYTES)).copy(nonce, PAYLOAD_BYTES, 0, MAC_BYTES);
    return nonce.toString('base64url');
  }

  /** The issue time of a nonce this codec issued, or undefined for anything else. */
  issuedAt(nonce: string): number | undefined {
    if (!CANONICAL.test(nonce)) return undefined;
    const bytes = this.scratch;
    if (bytes.write(nonce, 'base64url') !== NONCE_BYTES) return undefined;
    const expected = this.mac(bytes.subarray(0, PAYLOAD_BYTES)).subarray(0, MAC_BYTES);
    if (!timingSafeEqual(expected, bytes.subarray(PAYLOAD_BYTES))) return undefined;
    return bytes.readDoubleBE(0);
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(this.realm).update(payload).digest();
  }
}
