/** Address and port helpers shared by the transports. */
import { isIPv6 } from 'node:net';
import type { Endpoint, TransportProtocol } from './types.js';

const PROTOCOLS: ReadonlySet<string> = new Set(['UDP', 'TCP', 'TLS', 'WS', 'WSS']);

/** The Via transport token as one of ours, or undefined (e.g. SCTP). */
export function toTransportProtocol(token: string): TransportProtocol | undefined {
  const upper = token.toUpperCase();
  return PROTOCOLS.has(upper) ? (upper as TransportProtocol) : undefined;
}

export function isReliable(protocol: TransportProtocol): boolean {
  return protocol !== 'UDP';
}

/** RFC 3261 §19.1.2 (5060/5061) and RFC 7118 §5 (the WebSocket URI defaults, 80/443). */
export function defaultPort(protocol: TransportProtocol): number {
  switch (protocol) {
    case 'TLS':
      return 5061;
    case 'WS':
      return 80;
    case 'WSS':
      return 443;
    default:
      return 5060;
  }
}

/** `[2001:db8::1]` → `2001:db8::1`; anything else unchanged. */
export function stripBrackets(host: string): string {
  return host.length > 1 && host.charCodeAt(0) === 0x5b && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Brackets an IPv6 address for a Via sent-by or a URI host (RFC 3261 §25.1 IPv6reference). */
export function hostForVia(address: string): string {
  return isIPv6(address) ? `[${address}]` : address;
}

/**
 * One spelling per address: IPv4-mapped IPv6 (`::ffff:192.0.2.1`, what a dual-stack socket
 * reports) becomes IPv4, IPv6 is compressed and lower-cased, names are lower-cased.
 */
export function canonicalAddress(host: string): string {
  const bare = stripBrackets(host).toLowerCase();
  // Every IPv6 address has a colon: IPv4 and names skip the (costly) IPv6 grammar, per datagram.
  if (bare.indexOf(':') < 0 || !isIPv6(bare)) return bare;
  const compressed = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(compressed);
  if (mapped) return mapped[1]!;
  // The URL parser writes mapped IPv4 in hex (::ffff:c000:201): bring it back to dotted form.
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (hexMapped) {
    const high = Number.parseInt(hexMapped[1]!, 16);
    const low = Number.parseInt(hexMapped[2]!, 16);
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return compressed;
}

/** Key of a transport address in connection indexes. */
export function endpointKey(endpoint: Endpoint): string {
  return `${endpoint.protocol} ${canonicalAddress(endpoint.address)} ${endpoint.port}`;
}

export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || canonicalAddress(address) === '::';
}
