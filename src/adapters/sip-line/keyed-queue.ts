/**
 * Runs tasks one after another per key (per line), so that a REGISTER's check of the current
 * bindings, its store write and its update of memory are never interleaved with another
 * change of the same line. Keys without pending tasks are forgotten.
 */

const ignore = () => {};

export class KeyedQueue {
  private readonly queues = new Map<string, { tail: Promise<void>; pending: number }>();

  constructor(private readonly maxPendingPerKey: number) {}

  /** Queues `task`; undefined (nothing queued) when the key already has `maxPendingPerKey` tasks. */
  tryRun<T>(key: string, task: () => Promise<T>): Promise<T> | undefined {
    const queue = this.queues.get(key);
    if (queue !== undefined && queue.pending >= this.maxPendingPerKey) return undefined;
    return this.run(key, task);
  }

  /** Queues `task` whatever the queue length (for work that must not be dropped, like expiry). */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = { tail: Promise.resolve(), pending: 0 };
      this.queues.set(key, queue);
    }
    const current = queue;
    current.pending++;
    const result = current.tail.then(task);
    current.tail = result.then(ignore, ignore).then(() => {
      current.pending--;
      if (current.pending === 0 && this.queues.get(key) === current) this.queues.delete(key);
    });
    return result;
  }

  /** Resolves once every task queued so far has settled. */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()].map((queue) => queue.tail));
  }
}
