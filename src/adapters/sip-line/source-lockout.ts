/**
 * Brute-force protection for digest authentication: a source address that fails too often
 * within a window is refused outright for a while. Memory is bounded: the table keeps at most
 * `maxSources` addresses and forgets the least recently active one first.
 */

export interface LockoutPolicy {
  /** Failures within `windowMs` that lock a source out. */
  readonly failures: number;
  readonly windowMs: number;
  /** How long a locked-out source is refused. */
  readonly durationMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = Object.freeze({
  failures: 10,
  windowMs: 600_000,
  durationMs: 600_000,
});

const DEFAULT_MAX_SOURCES = 10_000;

interface SourceRecord {
  /** Times of the most recent failures, oldest first; at most `policy.failures` of them. */
  failures: number[];
  lockedUntil: number;
}

export class SourceLockout {
  private readonly sources = new Map<string, SourceRecord>();

  constructor(
    private readonly policy: LockoutPolicy,
    private readonly maxSources = DEFAULT_MAX_SOURCES,
  ) {
    if (!(policy.failures >= 1 && policy.windowMs > 0 && policy.durationMs > 0))
      throw new Error('lockout needs failures >= 1 and positive windowMs and durationMs');
  }

  isLocked(source: string, now: number): boolean {
    const record = this.sources.get(source);
    return record !== undefined && record.lockedUntil > now;
  }

  /** Counts one failure; true when this failure locked the source out. */
  recordFailure(source: string, now: number): boolean {
    let record = this.sources.get(source);
    if (record === undefined) {
      record = { failures: [], lockedUntil: 0 };
      if (this.sources.size >= this.maxSources) this.forgetOldest();
    } else {
      // Re-inserting keeps the map ordered by last activity, oldest first.
      this.sources.delete(source);
    }
    this.sources.set(source, record);
    if (record.lockedUntil > now) return false;
    const windowStart = now - this.policy.windowMs;
    while (record.failures.length > 0 && (record.failures[0] as number) <= windowStart)
      record.failures.shift();
    record.failures.push(now);
    if (record.failures.length < this.policy.failures) return false;
    record.failures.length = 0;
    record.lockedUntil = now + this.policy.durationMs;
    return true;
  }

  /** Sources locked out at `now`. */
  lockedCount(now: number): number {
    let count = 0;
    for (const record of this.sources.values()) if (record.lockedUntil > now) count++;
    return count;
  }

  private forgetOldest(): void {
    const oldest = this.sources.keys().next();
    if (!oldest.done) this.sources.delete(oldest.value);
  }
}
