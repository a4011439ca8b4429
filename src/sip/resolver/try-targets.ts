/**
 * RFC 3263 §4.3: a request that fails at one target (transport error, transaction timeout or
 * 503) is sent to the next one of the list, as a new client transaction.
 */
import type { Endpoint } from '../transport/types.js';

/** What one attempt came to: a final status (locally generated 408/503 included), or an error thrown. */
export interface AttemptResult {
  status: number;
}

/**
 * RFC 3261 §8.1.3.1: the transaction layer reports a timeout as 408 and a transport failure as
 * 503, so both statuses (and a 503 from the server itself) mean "try the next target".
 */
export function isFailoverStatus(status: number): boolean {
  return status === 503 || status === 408;
}

export type TryTargetsResult<T extends AttemptResult> =
  /** A target gave an answer that ends the search (success or a failure no other server would change). */
  | { ok: true; target: Endpoint; result: T; tried: number }
  /** Every target failed; `last` is the final failing result when the last attempt returned one. */
  | { ok: false; tried: number; last?: T; error?: unknown };

/** Walks an ordered target list, one attempt at a time. */
export class TargetIterator {
  private index = 0;

  constructor(private readonly targets: readonly Endpoint[]) {}

  /** The next target to try, or undefined when the list is exhausted. */
  next(): Endpoint | undefined {
    return this.targets[this.index++];
  }

  get remaining(): number {
    return Math.max(0, this.targets.length - this.index);
  }
}

/**
 * Tries `attempt` on each target in turn until one returns a status that is not a failover
 * status. An attempt that throws (e.g. a TransportError) counts as a transport failure.
 */
export async function tryTargets<T extends AttemptResult>(
  targets: readonly Endpoint[],
  attempt: (target: Endpoint) => Promise<T>,
): Promise<TryTargetsResult<T>> {
  const iterator = new TargetIterator(targets);
  let tried = 0;
  let last: T | undefined;
  let error: unknown;
  for (let target = iterator.next(); target !== undefined; target = iterator.next()) {
    tried++;
    try {
      const result = await attempt(target);
      if (!isFailoverStatus(result.status)) return { ok: true, target, result, tried };
      last = result;
      error = undefined;
    } catch (thrown) {
      error = thrown;
      last = undefined;
    }
  }
  const failure: TryTargetsResult<T> = { ok: false, tried };
  if (last !== undefined) failure.last = last;
  if (error !== undefined) failure.error = error;
  return failure;
}
