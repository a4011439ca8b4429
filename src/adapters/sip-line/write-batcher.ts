/**
 * Group commit for binding rows: changes that arrive while a store write is in flight wait and
 * go together into the next one (one multi-row upsert and one multi-row delete), and each
 * submitter learns the outcome of the write that carried its changes. Durability is unchanged
 * (nothing resolves before its rows are committed) while the number of store round trips per
 * REGISTER falls as load rises.
 *
 * A write starts only once the event loop has read what is waiting on the sockets (`defer`,
 * setImmediate by default): the embedded store runs its queries on this thread, so a write
 * started at once would finish before any other REGISTER could join it.
 */
import type { RegistrationBinding } from '../../store/index.js';

export type RowKey = Pick<RegistrationBinding, 'aor' | 'contactUri'>;

/** One stored binding's change: its new row, or its removal. */
export type RowChange =
  | { readonly kind: 'upsert'; readonly row: RegistrationBinding }
  | ({ readonly kind: 'delete' } & RowKey);

/** Writes one batch atomically; the keys are distinct across both lists. */
export type BatchWrite = (upserts: RegistrationBinding[], deletes: RowKey[]) => Promise<void>;

export interface WriteBatcherLimits {
  /** Row changes per store write. A submission larger than this is written alone. */
  readonly maxBatch: number;
  /** Row changes waiting for a write; `tryWrite` refuses beyond it. */
  readonly maxQueued: number;
}

/** Runs `task` once pending I/O has been handled. */
export type Defer = (task: () => void) => void;

const afterIo: Defer = (task) => setImmediate(task);

interface Submission {
  readonly changes: readonly RowChange[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class WriteBatcher {
  private waiting: Submission[] = [];
  private queuedChanges = 0;
  private draining = false;

  constructor(
    private readonly write: BatchWrite,
    private readonly limits: WriteBatcherLimits,
    private readonly defer: Defer = afterIo,
  ) {}

  /** Row changes waiting for a write (not counting the one in flight). */
  get queued(): number {
    return this.queuedChanges;
  }

  /**
   * Queues `changes` for the next write; resolves once they are committed and rejects with the
   * store's error when that write fails. Undefined (nothing queued) when the queue is full.
   */
  tryWrite(changes: readonly RowChange[]): Promise<void> | undefined {
    if (this.queuedChanges + changes.length > this.limits.maxQueued) return undefined;
    return this.submit(changes);
  }

  /** Queues `changes` whatever the queue length (for work that must not be dropped, like expiry). */
  submit(changes: readonly RowChange[]): Promise<void> {
    if (changes.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ changes, resolve, reject });
      this.queuedChanges += changes.length;
      if (!this.draining) {
        this.draining = true;
        this.defer(() => void this.drain());
      }
    });
  }

  /** Writes batches until nothing waits. Never rejects: each batch's outcome goes to its submitters. */
  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.takeBatch();
      const { upserts, deletes } = coalesce(batch);
      try {
        await this.write(upserts, deletes);
        for (const submission of batch) submission.resolve();
      } catch (error) {
        for (const submission of batch) submission.reject(error);
      }
      // Let what arrived during the write join the next batch.
      await new Promise<void>((resolve) => this.defer(resolve));
    }
    this.draining = false;
  }

  /** The oldest submissions up to `maxBatch` row changes, at least one; a submission is never split. */
  private takeBatch(): Submission[] {
    let count = 0;
    let taken = 0;
    for (const submission of this.waiting) {
      if (taken > 0 && count + submission.changes.length > this.limits.maxBatch) break;
      count += submission.changes.length;
      taken++;
    }
    this.queuedChanges -= count;
    return this.waiting.splice(0, taken);
  }
}

/** One change per row key, the latest submitted winning (the order the per-line queue gave them). */
function coalesce(batch: readonly Submission[]): { upserts: RegistrationBinding[]; deletes: RowKey[] } {
  const latest = new Map<string, RowChange>();
  for (const submission of batch)
    for (const change of submission.changes) latest.set(rowKeyOf(change), change);
  const upserts: RegistrationBinding[] = [];
  const deletes: RowKey[] = [];
  for (const change of latest.values()) {
    if (change.kind === 'upsert') upserts.push(change.row);
    else deletes.push({ aor: change.aor, contactUri: change.contactUri });
  }
  return { upserts, deletes };
}

/** The store's key of the row a change is about, as one string. */
export function rowKeyOf(change: RowChange): string {
  return change.kind === 'upsert'
    ? `${change.row.aor}\u0000${change.row.contactUri}`
    : `${change.aor}\u0000${change.contactUri}`;
}
