/**
 * Nonce-count replay protection (RFC 7616 §3.4 "nc"; RFC 3261 §22.4) in bounded memory.
 *
 * Each nonce in use has a record of the highest nc seen and a 32-wide window of the counts
 * just below it, so requests sharing a nonce may arrive slightly out of order (UDP, parallel
 * transactions) but no count is accepted twice. When the table is full the oldest record is
 * dropped and its issue time remembered: a nonce issued no later than that, with no record,
 * may have been used before, so it is refused as stale and the client simply fetches a new one.
 */

import { ownedText } from './owned-text.js';

export type NonceCountVerdict = 'fresh' | 'replay' | 'forgotten';

interface NonceRecord {
  issuedAt: number;
  highest: number;
  /** Bit k set: count `highest - 1 - k` has been seen. */
  below: number;
}

const WINDOW = 32;

export class NonceCountWindow {
  private readonly records = new Map<string, NonceRecord>();
  /**
   * The nonces with a record, oldest first, in a ring: records are only ever dropped oldest
   * first, and a ring finds the oldest at once where a Map's iterator would first walk the
   * slots its earlier deletions left behind.
   */
  private readonly order: (string | undefined)[];
  private head = 0;
  /** Latest issue time among records dropped while still valid. */
  private forgottenUpTo = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly maxNonces: number,
    private readonly lifetimeMs: number,
  ) {
    this.order = new Array<string | undefined>(maxNonces).fill(undefined);
  }

  get size(): number {
    return this.records.size;
  }

  /** Issue time of a nonce with a record: it was verified when the record was made. */
  issuedAtOf(nonce: string): number | undefined {
    return this.records.get(nonce)?.issuedAt;
  }

  /** Records use of `nc` on `nonce`; call only after the request's digest proved correct. */
  check(nonce: string, issuedAt: number, nc: number, now: number): NonceCountVerdict {
    const record = this.records.get(nonce);
    if (record === undefined) {
      if (issuedAt <= this.forgottenUpTo) return 'forgotten';
      this.makeRoom(now);
      const key = ownedText(nonce);
      this.records.set(key, { issuedAt, highest: nc, below: 0 });
      this.order[(this.head + this.records.size - 1) % this.maxNonces] = key;
      return 'fresh';
    }
    if (nc > record.highest) {
      const shift = nc - record.highest;
      // Slide the window: the old highest becomes bit (shift - 1). JavaScript shifts are mod 32.
      if (shift < WINDOW) record.below = ((record.below << shift) | (1 << (shift - 1))) >>> 0;
      else record.below = shift === WINDOW ? 0x8000_0000 : 0;
      record.highest = nc;
      return 'fresh';
    }
    const distance = record.highest - nc;
    if (distance === 0 || distance > WINDOW) return 'replay';
    const bit = (1 << (distance - 1)) >>> 0;
    if ((record.below & bit) !== 0) return 'replay';
    record.below = (record.below | bit) >>> 0;
    return 'fresh';
  }

  /** Drops expired records, then the oldest until one more fits. */
  private makeRoom(now: number): void {
    while (this.records.size > 0) {
      const nonce = this.order[this.head] as string;
      const record = this.records.get(nonce) as NonceRecord;
      const expired = now - record.issuedAt > this.lifetimeMs;
      if (!expired && this.records.size < this.maxNonces) return;
      this.records.delete(nonce);
      this.order[this.head] = undefined;
      this.head = (this.head + 1) % this.maxNonces;
      // Expired records need no remembering: their nonces are refused as stale anyway.
      if (!expired && record.issuedAt > this.forgottenUpTo) this.forgottenUpTo = record.issuedAt;
    }
  }
}
