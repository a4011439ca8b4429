/**
 * Write-back of binding rows, as Kamailio's usrloc does with `db_mode 2`: a REGISTER is answered
 * from the in-memory table at once, and its row changes wait here until a flush, at most
 * `intervalMs` later, writes them to the store in batches. Changes are kept one per binding (its
 * row key): the latest state of a binding is all a restart needs, so a binding refreshed or moved
 * many times between two flushes costs one row, and the backlog is bounded by the number of
 * bindings, not of REGISTERs.
 *
 * A crash loses at most what changed since the last flush: new bindings are missing after the
 * restart and their phones register again when they next refresh or find their calls failing
 * (RFC 3261 §10.2.4: a client keeps its own bindings alive); a removal that was not written comes
 * back until the row's expiry. A clean stop writes everything (`close`).
 *
 * Flushes go through the `WriteBatcher`, which cuts them into statements of bounded size and lets
 * the sockets be read between two of them.
 */
import type { Clock, SipLogger, TimerHandle } from '../../sip/index.js';
import { type RowChange, rowKeyOf, type WriteBatcher } from './write-batcher.js';

const ignore = () => {};

export interface WriteBackLimits {
  /** Longest time a change waits for the store: the most a crash can lose. */
  readonly intervalMs: number;
  /** Bindings with a change waiting; `tryQueue` refuses a new one beyond it. */
  readonly maxPending: number;
}

export class WriteBack {
  private pending = new Map<string, RowChange>();
  private timer: TimerHandle | undefined;
  private flushing: Promise<void> | undefined;
  /** Whether the backlog's overflow or a failing store has been logged since the last good flush. */
  private overflowLogged = false;
  private failureLogged = false;
  private closed = false;

  constructor(
    private readonly writer: WriteBatcher,
    private readonly limits: WriteBackLimits,
    private readonly clock: Clock,
    private readonly logger: SipLogger,
    /** Row changes per store statement. */
    private readonly maxBatch: number,
  ) {}

  /** Bindings whose change has not reached the store yet (not counting a flush in flight). */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Queues `changes` unless they would add bindings beyond `maxPending`; a change of a binding
   * already waiting replaces it and never counts. False: nothing was queued.
   */
  tryQueue(changes: readonly RowChange[]): boolean {
    if (this.pending.size + changes.length > this.limits.maxPending) {
      let added = 0;
      for (const change of changes) if (!this.pending.has(rowKeyOf(change))) added++;
      if (this.pending.size + added > this.limits.maxPending) {
        this.logOverflow();
        return false;
      }
    }
    this.queue(changes);
    return true;
  }

  /** Queues `changes` whatever the backlog, for work that must not be refused (an expiry). */
  queue(changes: readonly RowChange[]): void {
    for (const change of changes) this.pending.set(rowKeyOf(change), change);
    this.arm();
  }

  /**
   * The last flush, after the one in flight if any: everything waiting is written now, and
   * nothing on a timer any more. Rejects with the store's error when a write fails.
   */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing !== undefined) await this.flushing;
    this.disarm();
    if (this.pending.size > 0) await this.run();
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.closed || this.timer !== undefined || this.flushing !== undefined || this.pending.size === 0)
      return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      // A failure is logged by writeAll; its changes wait for the next interval.
      this.run().catch(ignore);
    }, this.limits.intervalMs);
  }

  /** One flush of the backlog; the next interval starts when it ends. */
  private run(): Promise<void> {
    const written = this.writeAll();
    this.flushing = written.then(ignore, ignore).finally(() => {
      this.flushing = undefined;
      this.arm();
    });
    return written;
  }

  /** Writes the whole backlog; a failed batch goes back behind any newer change of its bindings. */
  private async writeAll(): Promise<void> {
    const taken = [...this.pending.values()];
    this.pending = new Map();
    const batches: Promise<void>[] = [];
    for (let start = 0; start < taken.length; start += this.maxBatch) {
      const batch = taken.slice(start, start + this.maxBatch);
      batches.push(
        this.writer.submit(batch).catch((error: unknown) => {
          for (const change of batch) {
            const key = rowKeyOf(change);
            if (!this.pending.has(key)) this.pending.set(key, change);
          }
          throw error;
        }),
      );
    }
    const outcomes = await Promise.allSettled(batches);
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure === undefined) {
      if (this.failureLogged) this.logger.info({ rows: taken.length }, 'registrations written again');
      this.failureLogged = false;
      this.overflowLogged = false;
      return;
    }
    if (!this.failureLogged)
      this.logger.warn(
        { err: failure.reason, waiting: this.pending.size },
        'registrations could not be written to the store; retrying',
      );
    this.failureLogged = true;
    throw failure.reason;
  }

  private logOverflow(): void {
    if (this.overflowLogged) return;
    this.overflowLogged = true;
    this.logger.warn(
      { waiting: this.pending.size, maxPending: this.limits.maxPending },
      'the store falls behind the registrations: new bindings are refused (503) until it catches up',
    );
  }
}
