/** The call detail record the core produces when a call ends (the server stores it). */
import type { Cause } from './model.js';

export interface CallRecord {
  readonly callId: string;
  readonly calling: string;
  /** The number the call was routed to (after translation). */
  readonly called: string;
  /** The number dialled, when routing changed it; null otherwise. */
  readonly originalCalled: string | null;
  readonly setupAt: Date;
  /** Null for a call never answered. */
  readonly answerAt: Date | null;
  readonly endAt: Date;
  readonly cause: Cause;
  /** Connected time in whole seconds; 0 when never answered. */
  readonly durationSeconds: number;
}

export function buildCallRecord(input: Omit<CallRecord, 'durationSeconds'>): CallRecord {
  const durationSeconds =
    input.answerAt === null
      ? 0
      : Math.max(0, Math.floor((input.endAt.getTime() - input.answerAt.getTime()) / 1000));
  return { ...input, durationSeconds };
}
