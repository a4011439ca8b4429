/**
 * What a REGISTER asks of its AOR's bindings (RFC 3261 §10.3 step 6), read from its Contact
 * and Expires header fields once the request has passed `checkRequestSemantics` (which answers
 * 400 for a malformed Expires, Contact or misused `*`).
 */
import type { RegistrarSettings } from '../../admin/index.js';
import { type Contact, formatUri, type SipRequest, type Uri, unquote } from '../../sip/index.js';
import { grantExpires, parseDeltaSeconds } from './expires-policy.js';

export interface RequestedContact {
  /** The Contact URI as it will be stored and listed. */
  readonly contact: string;
  readonly contactKey: string;
  readonly instanceId: string | null;
  /** Seconds granted; 0 removes the binding. */
  readonly expires: number;
}

export type BindingRequest =
  /** No Contact: list the current bindings (RFC 3261 §10.2.3). */
  | { readonly kind: 'query' }
  /** `Contact: *` with `Expires: 0` (RFC 3261 §10.2.2). */
  | { readonly kind: 'remove-all' }
  | { readonly kind: 'update'; readonly contacts: readonly RequestedContact[] }
  | {
      readonly kind: 'reject';
      readonly status: number;
      readonly reason?: string;
      readonly headers?: [string, string][];
    };

const CONTACT_SCHEMES = new Set(['sip', 'sips']);

export function readBindingRequest(
  request: SipRequest,
  contacts: readonly Contact[],
  settings: RegistrarSettings,
  maxContacts: number,
): BindingRequest {
  if (contacts.length === 0) return { kind: 'query' };
  const headerExpires = parseDeltaSeconds(request.headers.get('Expires'));
  if (contacts[0] === '*') {
    // RFC 3261 §10.3 step 6: '*' alone and with Expires 0, else 400 (re-checked for callers
    // that skipped the semantics check).
    return contacts.length === 1 && headerExpires === 0
      ? { kind: 'remove-all' }
      : { kind: 'reject', status: 400, reason: 'Bad Contact' };
  }
  const byKey = new Map<string, RequestedContact>();
  for (const contact of contacts) {
    if (contact === '*') return { kind: 'reject', status: 400, reason: 'Bad Contact' };
    // Routing calls to a line needs a SIP URI; anything else could never be reached.
    if (!CONTACT_SCHEMES.has(contact.uri.scheme))
      return { kind: 'reject', status: 400, reason: 'Contact Must Be a SIP URI' };
    // RFC 3261 §10.2.1.1: the Contact's expires parameter overrides the Expires header field.
    const expires = grantExpires(parseDeltaSeconds(contact.params.expires) ?? headerExpires, settings);
    if (expires === 'too-brief')
      return { kind: 'reject', status: 423, headers: [['Min-Expires', String(settings.expiresMin)]] };
    const instance = contact.params['+sip.instance'];
    const requested: RequestedContact = {
      contact: formatUri(contact.uri),
      contactKey: contactKey(contact.uri),
      instanceId: instance === undefined || instance === null ? null : unquote(instance),
      expires,
    };
    // The same contact twice in one request: the last one counts.
    byKey.delete(requested.contactKey);
    byKey.set(requested.contactKey, requested);
  }
  if (byKey.size > maxContacts) return { kind: 'reject', status: 403, reason: 'Too Many Contacts' };
  return { kind: 'update', contacts: [...byKey.values()] };
}

/**
 * A key under which equal Contact URIs (RFC 3261 §19.1.4) coincide: user and password compare
 * case-sensitively, everything else case-insensitively, and parameter order does not matter.
 * It is stricter than §19.1.4 in one way: a parameter present in only one of two URIs makes
 * them differ, which at worst keeps a stale binding until it expires.
 */
export function contactKey(uri: Uri): string {
  let key = `${uri.scheme}:${uri.user ?? ''}:${uri.password ?? ''}@${uri.host.toLowerCase()}:${uri.port ?? ''}`;
  const names = Object.keys(uri.params).sort();
  for (const name of names) {
    const value = uri.params[name];
    key += `;${name}${value === null || value === undefined ? '' : `=${value.toLowerCase()}`}`;
  }
  const headers = Object.keys(uri.headers).sort();
  for (const name of headers) key += `?${name.toLowerCase()}=${uri.headers[name] ?? ''}`;
  return key;
}
