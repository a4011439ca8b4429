/**
 * Access control for requests arriving from carriers, for the trunk call handling to run first:
 * a request from a trunk's carrier addresses is that trunk's; any other must authenticate (the
 * handler's own digest check, e.g. a PBX peering over the internet) or is refused with 403.
 */
import type { IncomingRequest, RateLimitedLog } from '../../sip/index.js';

/**
 * What an authenticator made of a request from an unknown source: the trunk its credentials
 * belong to, `'answered'` when it replied itself (a 401/407 challenge), or undefined (no valid
 * credentials).
 */
export type InboundAuthenticator = (
  incoming: IncomingRequest,
) => { readonly trunk: string } | 'answered' | undefined;

export interface InboundAdmission {
  readonly trunk: string;
  readonly by: 'source' | 'credentials';
}

/**
 * The trunk a request belongs to, or undefined once it has been answered. RFC 3261 §21.4.4:
 * 403 says the request is understood and refused, and that sending it again will not help.
 */
export function admitInbound(
  incoming: IncomingRequest,
  trustedTrunk: (address: string) => string | undefined,
  authenticate: InboundAuthenticator | undefined,
  log: RateLimitedLog,
): InboundAdmission | undefined {
  const { source } = incoming.info;
  const trunk = trustedTrunk(source.address);
  if (trunk !== undefined) return { trunk, by: 'source' };
  const authenticated = authenticate?.(incoming);
  if (authenticated === 'answered') return undefined;
  if (authenticated !== undefined) return { trunk: authenticated.trunk, by: 'credentials' };
  // Keyed by address: a scanner sweeping ports or methods still earns one line per interval.
  log.warn(
    `untrusted ${source.address}`,
    { source: `${source.protocol} ${source.address}:${source.port}`, method: incoming.request.method },
    'request from outside every trunk refused',
  );
  if (!incoming.answered) incoming.reply(403);
  return undefined;
}
