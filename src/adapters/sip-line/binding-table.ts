/**
 * The bindings in memory, by DN, each expiring on the injected clock. Reads are synchronous so
 * that call routing never waits on the store.
 *
 * Sized for tens of thousands of lines with a binding or two each: a DN's bindings (every
 * partition, every contact) sit in one small array, searched in place, rather than in Maps of
 * Maps; and one clock timer serves every expiry through a heap ordered by expiry, rather than
 * a timer per binding that each refresh would cancel and create again.
 *
 * A refresh that moves an expiry later leaves the heap alone: the entry keeps the instant it was
 * queued under (`dueAt`), and when that comes the entry is queued again under the binding's
 * current expiry. A refresh then costs no walk through the heap, and a binding costs one move
 * per interval it was first queued for, however often it is refreshed.
 */
import type { Clock, TimerHandle } from '../../sip/index.js';
import type { Binding, LineRef } from './binding.js';

interface Entry {
  binding: Binding;
  /** Index in the expiry heap; NOT_QUEUED once its expiry has been reported. */
  slot: number;
  /** The heap's key: when to look at the entry again, never later than its binding's expiry. */
  dueAt: number;
}

const NOT_QUEUED = -1;

export class BindingTable {
  /** DN → its bindings in every partition, in registration order. */
  private readonly byDn = new Map<string, Entry[]>();
  /** The entries not yet reported expired, as a binary min-heap on `dueAt`. */
  private readonly heap: Entry[] = [];
  private count = 0;
  private timer: TimerHandle | undefined;
  /** When the armed timer fires; Infinity when none is armed. */
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: (binding: Binding) => void,
  ) {}

  get size(): number {
    return this.count;
  }

  get(line: LineRef, contactKey: string): Binding | undefined {
    return this.find(line, contactKey)?.binding;
  }

  /**
   * The bindings of one line (`partition` undefined: of the DN in every partition) that expire
   * after `now`, in registration order. An expired binding may wait a moment for its timer.
   */
  live(dn: string, partition: string | undefined, now: number): Binding[] {
    const bindings: Binding[] = [];
    const entries = this.byDn.get(dn);
    if (entries === undefined) return bindings;
    for (const { binding } of entries) {
      if (binding.expiresAt > now && (partition === undefined || binding.line.partition === partition))
        bindings.push(binding);
    }
    return bindings;
  }

  *all(): IterableIterator<Binding> {
    for (const entries of this.byDn.values()) for (const entry of entries) yield entry.binding;
  }

  /**
   * Adds or replaces the binding with the same line and contact key. Its expiry is reported
   * once through `onExpire`; a replacement is reported at its own expiry.
   */
  set(binding: Binding): void {
    const entry = this.find(binding.line, binding.contactKey);
    if (entry === undefined) {
      const added: Entry = { binding, slot: NOT_QUEUED, dueAt: binding.expiresAt };
      const entries = this.byDn.get(binding.line.dn);
      if (entries === undefined) this.byDn.set(binding.line.dn, [added]);
      else entries.push(added);
      this.count++;
      this.enqueue(added);
    } else {
      entry.binding = binding;
      if (entry.slot === NOT_QUEUED) {
        entry.dueAt = binding.expiresAt;
        this.enqueue(entry);
      } else if (binding.expiresAt < entry.dueAt) {
        entry.dueAt = binding.expiresAt;
        this.siftUp(entry.slot);
      }
    }
    this.arm();
  }

  /** Removes exactly this binding (not a newer one for the same contact); true when it was there. */
  remove(binding: Binding): boolean {
    const entries = this.byDn.get(binding.line.dn);
    const index = entries?.findIndex((entry) => entry.binding === binding) ?? -1;
    if (entries === undefined || index < 0) return false;
    const [entry] = entries.splice(index, 1);
    if (entries.length === 0) this.byDn.delete(binding.line.dn);
    this.count--;
    if (entry !== undefined && entry.slot !== NOT_QUEUED) this.dequeue(entry.slot);
    return true;
  }

  /** Disarms the timer and forgets every binding. */
  clear(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.byDn.clear();
    this.heap.length = 0;
    this.count = 0;
  }

  private find(line: LineRef, contactKey: string): Entry | undefined {
    const entries = this.byDn.get(line.dn);
    if (entries === undefined) return undefined;
    for (const entry of entries) {
      const { binding } = entry;
      if (binding.contactKey === contactKey && binding.line.partition === line.partition) return entry;
    }
    return undefined;
  }

  /**
   * Keeps a timer armed no later than the earliest expiry. A timer that would fire later is
   * moved; one that fires earlier (the earliest binding was refreshed meanwhile) finds nothing
   * due and arms the next, which is cheaper than moving it at every refresh.
   */
  private arm(): void {
    const next = this.heap[0];
    if (next === undefined || next.dueAt >= this.timerAt) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = next.dueAt;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, this.timerAt - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    const due: Binding[] = [];
    for (let head = this.heap[0]; head !== undefined && head.dueAt <= now; head = this.heap[0]) {
      if (head.binding.expiresAt > now) {
        // Refreshed since it was queued: queued again under its current expiry.
        head.dueAt = head.binding.expiresAt;
        this.siftDown(0);
        continue;
      }
      this.dequeue(0);
      due.push(head.binding);
    }
    this.arm();
    // Reported after the heap is settled: the listener may change the table.
    for (const binding of due) this.onExpire(binding);
  }

  private enqueue(entry: Entry): void {
    entry.slot = this.heap.length;
    this.heap.push(entry);
    this.siftUp(entry.slot);
  }

  private dequeue(slot: number): void {
    const heap = this.heap;
    const removed = heap[slot] as Entry;
    const last = heap.pop() as Entry;
    removed.slot = NOT_QUEUED;
    if (last === removed) return;
    heap[slot] = last;
    last.slot = slot;
    this.resift(slot);
  }

  private resift(slot: number): void {
    this.siftDown(this.siftUp(slot));
  }

  /** Moves the entry at `slot` up while it expires before its parent; returns where it ends. */
  private siftUp(slot: number): number {
    const heap = this.heap;
    const entry = heap[slot] as Entry;
    while (slot > 0) {
      const parentSlot = (slot - 1) >> 1;
      const parent = heap[parentSlot] as Entry;
      if (parent.dueAt <= entry.dueAt) break;
      heap[slot] = parent;
      parent.slot = slot;
      slot = parentSlot;
    }
    heap[slot] = entry;
    entry.slot = slot;
    return slot;
  }

  private siftDown(slot: number): void {
    const heap = this.heap;
    const entry = heap[slot] as Entry;
    for (;;) {
      let child = 2 * slot + 1;
      if (child >= heap.length) break;
      const right = child + 1;
      if (right < heap.length && (heap[right] as Entry).dueAt < (heap[child] as Entry).dueAt) child = right;
      const next = heap[child] as Entry;
      if (entry.dueAt <= next.dueAt) break;
      heap[slot] = next;
      next.slot = slot;
      slot = child;
    }
    heap[slot] = entry;
    entry.slot = slot;
  }
}
