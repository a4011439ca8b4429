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
 *
 * The HMAC (RFC 2104 §2) is computed from its definition, H(K ⊕ opad | H(K ⊕ ipad | text)),
 * over buffers that hold the padded key from the start: two one-shot hashes cost about two
 * thirds of an HMAC object, which would set up the key again for every nonce.
 */
import crypto, { randomBytes, timingSafeEqual } from 'node:crypto';

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

/** RFC 2104 §2: SHA-256 works on 64-byte blocks; a longer key is hashed first. */
const BLOCK_BYTES = 64;
const HASH_BYTES = 32;
const IPAD = 0x36;
const OPAD = 0x5c;

type OneShotHash = (algorithm: string, data: Buffer, outputEncoding: 'buffer') => Buffer;
/** One-shot hashing (Node 20.12 and later); earlier versions take the Hash object. */
const oneShot: OneShotHash =
  typeof crypto.hash === 'function'
    ? (crypto.hash as OneShotHash)
    : (algorithm, data) => crypto.createHash(algorithm).update(data).digest();

/** HMAC-SHA-256 of `realm | payload` under one key, with the key's pads laid out once. */
class RealmMac {
  /** K ⊕ ipad | realm | payload: the payload is written in place before each hash. */
  private readonly inner: Buffer;
  /** K ⊕ opad | inner hash. */
  private readonly outer = Buffer.alloc(BLOCK_BYTES + HASH_BYTES);
  private readonly payloadOffset: number;

  constructor(secret: Buffer, realm: Buffer, payloadBytes: number) {
    const key = secret.length > BLOCK_BYTES ? oneShot('sha256', secret, 'buffer') : secret;
    this.payloadOffset = BLOCK_BYTES + realm.length;
    this.inner = Buffer.alloc(this.payloadOffset + payloadBytes);
    for (let i = 0; i < BLOCK_BYTES; i++) {
      const byte = key[i] ?? 0;
      this.inner[i] = byte ^ IPAD;
      this.outer[i] = byte ^ OPAD;
    }
    realm.copy(this.inner, BLOCK_BYTES);
  }

  of(payload: Buffer): Buffer {
    payload.copy(this.inner, this.payloadOffset);
    oneShot('sha256', this.inner, 'buffer').copy(this.outer, BLOCK_BYTES);
    return oneShot('sha256', this.outer, 'buffer');
  }
}

/**
 * Nonces remembered as issued, by counter: a client answers a challenge within a round trip or
 * two, so at thousands of challenges a second its nonce is still here, and its first use costs
 * a comparison rather than an HMAC. Any other nonce has its HMAC checked.
 */
const RECENT_NONCES = 4096;

export class NonceCodec {
  /** Never 0, so that no nonce can match a slot of `recent` not yet written. */
  private readonly salt = (randomBytes(4).readUInt32BE(0) | 1) >>> 0;
  private counter = 0;
  private readonly macs: RealmMac;
  /** Reused by `issue` and `issuedAt`: both finish with it before returning. */
  private readonly scratch = Buffer.alloc(NONCE_BYTES);
  /** The nonce issued with counter c, in bytes, at slot c mod RECENT_NONCES until overwritten. */
  private readonly recent = Buffer.alloc(RECENT_NONCES * NONCE_BYTES);

  constructor(secret: Buffer, realm: string) {
    this.macs = new RealmMac(secret, Buffer.from(realm, 'utf8'), PAYLOAD_BYTES);
  }

  issue(now: number): string {
    const nonce = this.scratch;
    nonce.writeDoubleBE(now, 0);
    nonce.writeUInt32BE(this.salt, SALT_OFFSET);
    nonce.writeUInt32BE(this.counter, COUNTER_OFFSET);
    this.counter = (this.counter + 1) >>> 0;
    this.mac(nonce.subarray(0, PAYLOAD_BYTES)).copy(nonce, PAYLOAD_BYTES, 0, MAC_BYTES);
    nonce.copy(this.recent, this.slotOf(nonce));
    return nonce.toString('base64url');
  }

  /** The issue time of a nonce this codec issued, or undefined for anything else. */
  issuedAt(nonce: string): number | undefined {
    if (!CANONICAL.test(nonce)) return undefined;
    const bytes = this.scratch;
    if (bytes.write(nonce, 'base64url') !== NONCE_BYTES) return undefined;
    if (bytes.readUInt32BE(SALT_OFFSET) === this.salt) {
      const slot = this.slotOf(bytes);
      // Constant time, as the HMAC comparison below: timing tells nothing about a stored nonce.
      if (timingSafeEqual(bytes, this.recent.subarray(slot, slot + NONCE_BYTES)))
        return bytes.readDoubleBE(0);
    }
    const expected = this.mac(bytes.subarray(0, PAYLOAD_BYTES)).subarray(0, MAC_BYTES);
    if (!timingSafeEqual(expected, bytes.subarray(PAYLOAD_BYTES))) return undefined;
    return bytes.readDoubleBE(0);
  }

  /** Offset in `recent` of the nonce with the counter written in `nonce`. */
  private slotOf(nonce: Buffer): number {
    return (nonce.readUInt32BE(COUNTER_OFFSET) % RECENT_NONCES) * NONCE_BYTES;
  }

  private mac(payload: Buffer): Buffer {
    return this.macs.of(payload);
  }
}
