/** Building the `Result` failures of the message layer. */
import type { SipParseError } from './types.js';

export type Failure = { ok: false; error: SipParseError };

export function fail(rule: string, message: string, offset?: number, header?: string): Failure {
  const error: SipParseError = { rule, message };
  if (offset !== undefined) error.offset = offset;
  if (header !== undefined) error.header = header;
  return { ok: false, error };
}
