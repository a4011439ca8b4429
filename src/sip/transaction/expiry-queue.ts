/**
 * The cleanup timers of the transaction layer (RFC 3261 §17: timers D, I, J, K; RFC 6026 §7.1
 * and §8.4: timers L and M) for many transactions on a few clock timers.
 *
 * Under load a UDP server holds tens of thousands of transactions in Completed, each waiting
 * 64*T1 for timer J (RFC 3261 §17.2.2). One clock timer per transaction costs a Timeout, a
 * callback and a slot object, all kept alive for 32 s. A cleanup timer has one duration for
 * every transaction (64*T1, T4), so deadlines arrive in the order they were set: one FIFO per
 * duration with one clock timer for its head is enough, and an entry costs two array slots.
 *
 * Lateness, by design and only for these timers: when the head is due, everything due is
 * expired, and the next clock timer is set no sooner than `resolution` later, so that a flood
 * of deadlines a microsecond apart does not cost a timer each. A cleanup timer therefore
 * fires at its deadline or up to `resolution` after it, never before. A transaction that
 * lingers a little longer only absorbs retransmissions a little longer, which RFC 3261 allows
 * (the values are minimums). Retransmission timers (A, E, G) and timeouts the TU hears of
 * (B, F, H) never go through here: they stay exact.
 *
 * The 100 Trying an INVITE server transaction sends when its TU is silent (RFC 3261 §17.2.1)
 * is checked here too: the 200 ms there is a judgement of how long a TU may take before the
 * caller should hear it is being worked on, not a protocol deadline, and a check that usually
 * finds the INVITE answered costs two array slots instead of a clock timer set and cleared.
 */
import type { Clock, TimerHandle } from '../clock.js';

export interface Expirable {
  /** The cleanup timer fired. */
  expire(): void;
}

/** Longest a cleanup timer fires after its deadline; shorter for short durations (see cleanupResolution). */
export const MAX_CLEANUP_LATENESS_MS = 250;

/** Compaction of the FIFO's consumed prefix, once this many slots are dead and half the array is. */
const COMPACT_AFTER = 1024;

/** One FIFO of deadlines of one duration. */
export class ExpiryQueue {
  private items: (Expirable | undefined)[] = [];
  private deadlines: number[] = [];
  /** Index of the first entry not yet expired or compacted away. */
  private head = 0;
  /** Ticket of items[0]: tickets are absolute positions, stable across compaction. */
  private base = 0;
  private live = 0;
  private timer: TimerHandle | undefined;
  /** Set while expiring: an add() from within expire() leaves the arming to the loop's end. */
  private firing = false;

  constructor(
    private readonly clock: Clock,
    private readonly durationMs: number,
    private readonly resolutionMs: number,
  ) {}

  get size(): number {
    return this.live;
  }

  /** Schedules `item.expire()` durationMs from now; returns the ticket that cancels it. */
  add(item: Expirable): number {
    const ticket = this.base + this.items.length;
    this.items.push(item);
    this.deadlines.push(this.clock.now() + this.durationMs);
    this.live++;
    if (this.timer === undefined && !this.firing) this.arm(this.durationMs);
    return ticket;
  }

  /** Forgets an entry (it will not fire and is no longer referenced); unknown tickets are ignored. */
  cancel(ticket: number): void {
    const index = ticket - this.base;
    if (index < this.head || index >= this.items.length || this.items[index] === undefined) return;
    this.items[index] = undefined;
    this.live--;
    if (this.live === 0) this.reset();
  }

  /** Drops every entry and the clock timer, without firing anything. */
  clear(): void {
    this.reset();
  }

  private arm(delayMs: number): void {
    this.timer = this.clock.setTimeout(this.fire, delayMs);
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const now = this.clock.now();
    this.firing = true;
    try {
      this.expireDue(now);
    } finally {
      // Even when an expire() threw: what is left must not wait for a timer nobody sets.
      this.firing = false;
      this.rearm(now);
    }
  };

  /** An entry's expire() may add or cancel entries: adds go to the tail, cancels blank a slot. */
  private expireDue(now: number): void {
    while (this.head < this.items.length && (this.deadlines[this.head] as number) <= now) {
      const item = this.items[this.head];
      this.items[this.head] = undefined;
      this.head++;
      if (item === undefined) continue;
      this.live--;
      item.expire();
    }
  }

  private rearm(now: number): void {
    if (this.live === 0) {
      this.reset();
      return;
    }
    this.skipCancelled();
    this.compact();
    this.arm(Math.max((this.deadlines[this.head] as number) - now, this.resolutionMs));
  }

  private skipCancelled(): void {
    while (this.head < this.items.length && this.items[this.head] === undefined) this.head++;
  }

  private compact(): void {
    if (this.head < COMPACT_AFTER || this.head * 2 < this.items.length) return;
    this.items.splice(0, this.head);
    this.deadlines.splice(0, this.head);
    this.base += this.head;
    this.head = 0;
  }

  private reset(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.base += this.items.length;
    this.items = [];
    this.deadlines = [];
    this.head = 0;
    this.live = 0;
  }
}

/** A cleanup resolution proportionate to the duration, so that a short test timer stays short. */
export function cleanupResolution(durationMs: number): number {
  return Math.min(MAX_CLEANUP_LATENESS_MS, durationMs / 8);
}

/** The cleanup FIFOs of a transaction layer, one per duration in use (in practice 64*T1 and T4). */
export class CleanupTimers {
  private readonly queues = new Map<number, ExpiryQueue>();

  constructor(private readonly clock: Clock) {}

  queue(durationMs: number): ExpiryQueue {
    let queue = this.queues.get(durationMs);
    if (queue === undefined) {
      queue = new ExpiryQueue(this.clock, durationMs, cleanupResolution(durationMs));
      this.queues.set(durationMs, queue);
    }
    return queue;
  }

  clear(): void {
    for (const queue of this.queues.values()) queue.clear();
  }
}
