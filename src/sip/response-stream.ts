/**
 * Responses delivered as they arrive, consumed with `for await`. The producer pushes; the
 * iterator ends after `end()`. Unread items are bounded: past `maxQueued` waiting items, those
 * pushed as droppable (provisional responses a peer may repeat without end) are dropped, and the
 * producer pushes only a bounded number of the others (final responses, new dialogs).
 *
 * The stream is its own iterator, with methods rather than closures: an INVITE's stream lasts
 * the 64*T1 its transaction waits for forks after a 2xx (RFC 6026 §8.4), a reader waiting on it
 * all that time, for every call of the last half minute.
 */
const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

export class ResponseStream<T> implements AsyncIterable<T>, AsyncIterator<T, undefined> {
  private readonly queued: T[] = [];
  /** Readers waiting, in the order they called next(). */
  private readonly waiting: Array<(result: IteratorResult<T, undefined>) => void> = [];
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
    for (const reader of this.waiting.splice(0)) reader(DONE);
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.queued.length > 0) return Promise.resolve({ value: this.queued.shift() as T, done: false });
    if (this.ended) return Promise.resolve(DONE);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
    });
  }

  /** The reader stops (a `for await` left early): nothing more is queued for it. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.end();
    return Promise.resolve(DONE);
  }
}
