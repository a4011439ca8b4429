/** Random identifiers: branch (RFC 3261 §8.1.1.7), tags (§19.3), Call-ID (§8.1.1.4). */
import { randomFillSync } from 'node:crypto';

/** RFC 3261 §8.1.1.7: the branch of every RFC 3261 transaction starts with this cookie. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

// Random octets are drawn from a pool so that a busy server does not pay a system call per id.
const pool = Buffer.allocUnsafe(4096);
let poolOffset = pool.length;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** A globally unique branch: the magic cookie and 96 random bits (RFC 3261 §17.2.3 needs uniqueness). */
export function generateBranch(): string {
  return BRANCH_MAGIC_COOKIE + randomHex(12);
}

/** A From/To tag with 64 random bits (RFC 3261 §19.3 asks for at least 32). */
export function generateTag(): string {
  return randomHex(8);
}

/** A Call-ID with 128 random bits (RFC 3261 §8.1.1.4). */
export function generateCallId(): string {
  return randomHex(16);
}
