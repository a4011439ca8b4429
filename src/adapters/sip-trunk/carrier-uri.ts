/**
 * Carrier addresses as IOS writes them (`sip-server dns:domain.test.com`, `session target
 * ipv4:192.0.2.1:5060`) or as SIP URIs, turned into the URI that RFC 3263 resolves.
 */
import { parseUri, type Uri } from '../../sip/index.js';

/** `dns:<name>[:port]`, `ipv4:<address>[:port]`, or a `sip:`/`sips:` URI without user part. Never throws. */
export function carrierUri(text: string): Uri | undefined {
  const trimmed = text.trim();
  const prefix = /^(dns|ipv4):/i.exec(trimmed);
  const parsed = parseUri(prefix ? `sip:${trimmed.slice(prefix[0].length)}` : trimmed);
  if (!parsed.ok) return undefined;
  const uri = parsed.value;
  if ((uri.scheme !== 'sip' && uri.scheme !== 'sips') || uri.host === '') return undefined;
  // The carrier is a host, not an account: a user part would end up in every Request-URI.
  if (uri.user !== undefined) return undefined;
  return uri;
}

/**
 * `sip:<user>@<domain>`: RFC 3261 §10.2 puts the address of record in To (and, registering for
 * ourselves, in From); the domain is the carrier's host, without port or parameters.
 */
export function addressOfRecord(user: string, uri: Uri): Uri {
  return { scheme: uri.scheme, user, host: uri.host, params: {}, headers: {} };
}

/** Whether two carrier URIs name the same place (host, port and transport). */
export function sameCarrier(a: Uri, b: Uri): boolean {
  return (
    a.scheme === b.scheme &&
    a.host === b.host &&
    a.port === b.port &&
    a.params.transport === b.params.transport
  );
}
