/** SIP transaction layer (RFC 3261 §17 with RFC 6026): the public surface. */
export { CleanupTimers, type Expirable, type ExpiryQueue } from './expiry-queue.js';
export { DEFAULT_LIMITS, DEFAULT_TIMERS } from './timers.js';
export { createTransactionLayer } from './transaction-layer.js';
export type {
  ClientTransaction,
  ClientTransactionHandlers,
  ClientTransactionState,
  InviteClientState,
  InviteServerState,
  NonInviteClientState,
  NonInviteServerState,
  RequestHandler,
  ServerTransaction,
  ServerTransactionState,
  TransactionLayer,
  TransactionLayerOptions,
  TransactionLimits,
  TransactionStats,
  TransactionTimers,
} from './types.js';
