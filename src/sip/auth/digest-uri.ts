/**
 * Whether the `uri` of Digest credentials names the Request-URI (RFC 7616 §3.4.6, RFC 2617
 * §3.2.2.5), compared with the SIP URI equality rules of RFC 3261 §19.1.4 so that harmless
 * spelling differences (case of scheme and host, escaping) do not fail authentication.
 */
import { parseUri } from '../message/index.js';
import type { Uri } from '../message/types.js';

/** RFC 3261 §19.1.4: these parameters must match when present in either URI. */
const SIGNIFICANT_PARAMS = ['transport', 'user', 'ttl', 'method', 'maddr'] as const;

type Params = Record<string, string | null>;

function sameParam(a: string | null | undefined, b: string | null | undefined): boolean {
  return a === b || (typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase());
}

function paramsMatch(a: Params, b: Params): boolean {
  for (const name of SIGNIFICANT_PARAMS) {
    if (Object.hasOwn(a, name) !== Object.hasOwn(b, name)) return false;
  }
  // RFC 3261 §19.1.4: a parameter present in both must have the same value.
  for (const name of Object.keys(a)) {
    if (Object.hasOwn(b, name) && !sameParam(a[name], b[name])) return false;
  }
  return true;
}

export function digestUriMatches(text: string, requestUri: Uri): boolean {
  const parsed = parseUri(text);
  if (!parsed.ok) return false;
  const uri = parsed.value;
  if (uri.scheme !== requestUri.scheme) return false;
  if (uri.scheme === 'sip' || uri.scheme === 'sips') {
    return (
      uri.user === requestUri.user &&
      uri.password === requestUri.password &&
      uri.host === requestUri.host &&
      uri.port === requestUri.port &&
      paramsMatch(uri.params, requestUri.params)
    );
  }
  // RFC 3966 §4: telephone numbers compare by subscriber number.
  if (uri.scheme === 'tel') return uri.user === requestUri.user;
  return uri.opaque === requestUri.opaque;
}
