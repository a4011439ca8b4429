/** When to refresh a registration and when to try again after a failure. */

/** RFC 3261 §17.1.2.2: a non-INVITE transaction may take 64*T1 (32 s) to time out. */
const TRANSACTION_TIMEOUT_SECONDS = 32;
/** RFC 5626 §4.5: the longest wait between registration attempts (its max-time). */
export const MAX_RETRY_SECONDS = 1800;
/** Node runs a longer setTimeout at once; refreshing early is harmless, firing at once is not. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Seconds after a successful REGISTER at which to refresh it. RFC 3261 §10.2.4 only asks for a
 * refresh before expiry; we leave a tenth of the interval, and at least a full transaction
 * timeout so a lost refresh can still fail over in time, but never less than half of it.
 */
export function refreshAfterSeconds(expires: number): number {
  const margin = Math.min(expires / 2, Math.max(TRANSACTION_TIMEOUT_SECONDS, expires / 10));
  return Math.max(1, Math.floor(expires - margin));
}

/**
 * Seconds to wait before the next attempt after `failures` consecutive failures (1 for the
 * first): the configured `retry register` interval, doubled each time (RFC 5626 §4.5) up to
 * MAX_RETRY_SECONDS.
 */
export function retryAfterSeconds(baseSeconds: number, failures: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 20);
  return Math.min(baseSeconds * 2 ** exponent, Math.max(baseSeconds, MAX_RETRY_SECONDS));
}

export function timerMs(seconds: number): number {
  return Math.min(seconds * 1000, MAX_TIMER_MS);
}
