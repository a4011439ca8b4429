/** What every transaction has: its layer's context and a place in a cleanup FIFO. */
import type { TransactionContext } from './context.js';
import type { Expirable, ExpiryQueue } from './expiry-queue.js';

export abstract class TransactionBase implements Expirable {
  /** The cleanup timer (D, I, J, K, L or M) armed, as its FIFO and ticket: two fields, no object. */
  private expiryQueue: ExpiryQueue | undefined;
  private expiryTicket = 0;

  constructor(protected readonly context: TransactionContext) {}

  /** The cleanup timer fired: the transaction ends. */
  abstract expire(): void;

  /** Arms the cleanup timer; it may fire up to a few hundred ms late (see expiry-queue.ts). */
  protected expireAfter(ms: number): void {
    this.cancelExpiry();
    this.expiryQueue = this.context.cleanup.queue(ms);
    this.expiryTicket = this.expiryQueue.add(this);
  }

  protected cancelExpiry(): void {
    if (this.expiryQueue === undefined) return;
    this.expiryQueue.cancel(this.expiryTicket);
    this.expiryQueue = undefined;
  }
}
