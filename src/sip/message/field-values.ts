/** Reading a header's field values without list splitting, from any SipHeaders. */
import { HeaderFields } from './headers.js';
import type { SipHeaders } from './types.js';

/**
 * One entry per header field (comma lists not split). For a foreign SipHeaders
 * implementation, which has no such accessor, falls back to its split `getAll`.
 */
export function getFieldValues(headers: SipHeaders, name: string): string[] {
  return headers instanceof HeaderFields ? headers.getFields(name) : headers.getAll(name);
}
