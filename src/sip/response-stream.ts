/**
 * Responses delivered as they arrive, consumed with `for await`. The producer pushes; the
 * iterator ends after `end()`. Unread items are bounded: past `maxQueued` waiting items, those
 * pushed as droppable (provisional responses a peer may repeat without end) are dropped, and the
 * producer pushes only a bounded number of the others (final responses, new dialogs).
 */
export class ResponseStream<T> implements AsyncIterable<T> {
  private readonly queued: T[] = [];
  /** Readers waiting, in the order they called next(). */
  private readonly waiting: Array<(result: IteratorResult<T>) => void> = [];
  private ended = false;

  constructor(private readonly maxQueued = 64) {}

  push(item: T, droppable = false): void {
    if (this.ended) return;
    const reader = this.waiting.shift();
    if (reader) reader({ value: item, done: false });
    else if (!droppable || this.queued.length < this.maxQueued) this.queued.push(item);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const reader of this.waiting.splice(0)) reader({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.queued.length > 0) return Promise.resolve({ value: this.queued.shift() as T, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting.push(resolve);
        });
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
