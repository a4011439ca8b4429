import type { Clock, TimerHandle } from '../clock.js';
import type { TransactionLimits, TransactionTimers } from './types.js';

/** RFC 3261 §17.1.1.1 defaults; `trying` is the 200 ms of RFC 3261 §17.2.1. */
export const DEFAULT_TIMERS: Readonly<TransactionTimers> = { T1: 500, T2: 4000, T4: 5000, trying: 200 };

/** See TransactionLimits for the memory each bound stands for. */
export const DEFAULT_LIMITS: Readonly<TransactionLimits> = {
  maxServerTransactions: 1_000_000,
  maxPendingServerTransactions: 50_000,
};

/** Fills in defaults and rejects values no timer can run on (a programming error, so it throws). */
export function resolveTimers(partial: Partial<TransactionTimers> = {}): TransactionTimers {
  const timers = { ...DEFAULT_TIMERS, ...partial };
  for (const [name, value] of Object.entries(timers)) {
    if (!Number.isFinite(value) || value <= 0)
      throw new RangeError(`timer ${name} must be a positive number of ms`);
  }
  return timers;
}

export function resolveLimits(partial: Partial<TransactionLimits> = {}): TransactionLimits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  }
  return limits;
}

/** One named protocol timer of a transaction: at most one pending callback at a time. */
export class TimerSlot {
  private handle: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly onFire: () => void,
  ) {}

  /** (Re)arms the timer; the previous schedule, if any, is dropped. */
  start(ms: number): void {
    this.stop();
    this.handle = this.clock.setTimeout(this.fire, ms);
  }

  stop(): void {
    if (this.handle === undefined) return;
    this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }

  private readonly fire = (): void => {
    this.handle = undefined;
    this.onFire();
  };
}
