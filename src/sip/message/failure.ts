/** Building the `Result` failures of the message layer. */
import type { SipParseError } from './types.js';

export type Failure = { ok: false; error: SipParseError };

export function fail(rule: string, message: string, offset?: number, header?: string): Failure {
  const error: SipParseError = { rule, message };
  if (offset !== undefined) error.offset = offset;
  if (header !== undefined) error.header = header;
  return { ok: false, error };
}

/**
 * Why the last reader that returned -1 stopped. The readers (`readParam`, `readUri`, …) return
 * positions so that validating allocates nothing; they run synchronously to completion, so one
 * record serves them all and is read right after the failing call.
 */
const lastFailure = { rule: '', message: '', offset: 0 };

/** Records a reader's failure; returns -1 for the reader to return. */
export function failAt(rule: string, message: string, offset: number): -1 {
  lastFailure.rule = rule;
  lastFailure.message = message;
  lastFailure.offset = offset;
  return -1;
}

/** Records a failure of a reader that answers with a boolean; returns false for it to return. */
export function refuse(rule: string, message: string, offset: number): false {
  failAt(rule, message, offset);
  return false;
}

/** The last reader failure as a Result. */
export function lastReadFailure(): Failure {
  return fail(lastFailure.rule, lastFailure.message, lastFailure.offset);
}

/** The last reader failure's message, to wrap in a larger rule's message. */
export function lastReadMessage(): string {
  return lastFailure.message;
}
