import type { Clock } from '../clock.js';
import type { SipLogger } from '../logger.js';
import type { TransportLayer, TransportProtocol } from '../transport/types.js';
import type { CleanupTimers } from './expiry-queue.js';
import type { TransactionTimers } from './types.js';

/** What every transaction needs from the layer that owns it. */
export interface TransactionContext {
  readonly transport: TransportLayer;
  readonly clock: Clock;
  readonly logger: SipLogger;
  readonly timers: TransactionTimers;
  /** Timers that only end a transaction (D, I, J, K, L, M), and the 100 Trying check: shared FIFOs, possibly a little late. */
  readonly cleanup: CleanupTimers;
}

/** RFC 3261 §17.1.1.2: retransmission timers run only where the transport itself does not retransmit. */
export function isReliable(protocol: TransportProtocol): boolean {
  return protocol !== 'UDP';
}

/**
 * Calls into the transaction user. A throw there is a TU bug: it is logged and must not unwind
 * through a timer callback or the transport's receive path and leave a state machine half-moved.
 * Returns false when the handler threw.
 */
export function invokeUser<A extends unknown[]>(
  logger: SipLogger,
  event: string,
  handler: ((...args: A) => void) | undefined,
  ...args: A
): boolean {
  return invokeHandler(logger, event, undefined, handler, ...args);
}

/**
 * invokeUser for a method of the TU's handlers object, called as its method: the TU may then
 * give an object with methods, not a closure per handler, for a transaction that lasts 64*T1.
 */
export function invokeHandler<H, A extends unknown[]>(
  logger: SipLogger,
  event: string,
  handlers: H,
  handler: ((this: H, ...args: A) => void) | undefined,
  ...args: A
): boolean {
  if (handler === undefined) return true;
  try {
    handler.apply(handlers, args);
    return true;
  } catch (error) {
    logger.error({ event, err: error }, 'transaction user handler threw');
    return false;
  }
}
