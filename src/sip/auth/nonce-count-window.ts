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

const WINDOW = 32;

export class NonceCountWindow {
  /**
   * Each nonce with a record, by its slot. Records are only ever dropped oldest first, so they
   * sit in a ring of slots, oldest at `head`: finding the oldest costs nothing, and a record is
   * three numbers in typed arrays rather than an object per nonce that ages into the old
   * generation of the heap over its lifetime.
   */
  private readonly slots = new Map<string, number>();
  private readonly nonces: (string | undefined)[];
  private readonly issuedAt: Float64Array;
  /** The highest nc seen. */
  private readonly highest: Uint32Array;
  /** Bit k set: count `highest - 1 - k` has been seen. */
  private readonly below: Uint32Array;
  private head = 0;
  /** Latest issue time among records dropped while still valid. */
  private forgottenUpTo = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly maxNonces: number,
    private readonly lifetimeMs: number,
  ) {
    this.nonces = new Array<string | undefined>(maxNonces).fill(undefined);
    this.issuedAt = new Float64Array(maxNonces);
    this.highest = new Uint32Array(maxNonces);
    this.below = new Uint32Array(maxNonces);
  }

  get size(): number {
    return this.slots.size;
  }

  /** Issue time of a nonce with a record: it was verified when the record was made. */
  issuedAtOf(nonce: string): number | undefined {
    const slot = this.slots.get(nonce);
    return slot === undefined ? undefined : this.issuedAt[slot];
  }

  /** Records use of `nc` on `nonce`; call only after the request's digest proved correct. */
  check(nonce: string, issuedAt: number, nc: number, now: number): NonceCountVerdict {
    const slot = this.slots.get(nonce);
    if (slot === undefined) {
      if (issuedAt <= this.forgottenUpTo) return 'forgotten';
      this.makeRoom(now);
      const key = ownedText(nonce);
      const added = (this.head + this.slots.size) % this.maxNonces;
      this.slots.set(key, added);
      this.nonces[added] = key;
      this.issuedAt[added] = issuedAt;
      this.highest[added] = nc;
      this.below[added] = 0;
      return 'fresh';
    }
    const highest = this.highest[slot] as number;
    const below = this.below[slot] as number;
    if (nc > highest) {
      const shift = nc - highest;
      // Slide the window: the old highest becomes bit (shift - 1). JavaScript shifts are mod 32.
      if (shift < WINDOW) this.below[slot] = (below << shift) | (1 << (shift - 1));
      else this.below[slot] = shift === WINDOW ? 0x8000_0000 : 0;
      this.highest[slot] = nc;
      return 'fresh';
    }
    const distance = highest - nc;
    if (distance === 0 || distance > WINDOW) return 'replay';
    const bit = (1 << (distance - 1)) >>> 0;
    if ((below & bit) !== 0) return 'replay';
    this.below[slot] = below | bit;
    return 'fresh';
  }

  /** Drops expired records, then the oldest until one more fits. */
  private makeRoom(now: number): void {
    while (this.slots.size > 0) {
      const head = this.head;
      const issuedAt = this.issuedAt[head] as number;
      const expired = now - issuedAt > this.lifetimeMs;
      if (!expired && this.slots.size < this.maxNonces) return;
      this.slots.delete(this.nonces[head] as string);
      this.nonces[head] = undefined;
      this.head = (head + 1) % this.maxNonces;
      // Expired records need no remembering: their nonces are refused as stale anyway.
      if (!expired && issuedAt > this.forgottenUpTo) this.forgottenUpTo = issuedAt;
    }
  }
}
