/**
 * The Via rules of the transport layer: stamping received requests (RFC 3261 §18.2.1,
 * RFC 3581 §4) and choosing where a response goes (RFC 3261 §18.2.2, RFC 3581 §4).
 */
import { formatVia } from '../message/index.js';
import type { SipRequest, Via } from '../message/types.js';
import { canonicalAddress, defaultPort, stripBrackets } from './address.js';
import type { Endpoint, TransportProtocol } from './types.js';

/**
 * RFC 3261 §18.2.1: add `received` when the sent-by host is not the source address.
 * RFC 3581 §4: fill a valueless `rport` with the source port, and then always add `received`.
 * `sourceAddress` must be canonical (see canonicalAddress).
 */
export function stampTopVia(request: SipRequest, sourceAddress: string, sourcePort: number): void {
  const top = request.via[0];
  if (top === undefined) return;
  const wantsRport = top.rport === true;
  if (!wantsRport && canonicalAddress(top.host) === sourceAddress) return;
  const stamped: Via = { ...top, received: sourceAddress };
  if (wantsRport) stamped.rport = sourcePort;
  replaceTopVia(request, formatVia(stamped));
}

/** Replaces the first Via value, keeping the others as written. */
function replaceTopVia(request: SipRequest, value: string): void {
  const headers = request.headers;
  const values = headers.getAll('via');
  if (headers.get('via') === values[0]) {
    // The usual case: the first Via field holds one value.
    headers.removeFirst('via');
    headers.prepend('Via', value);
    return;
  }
  // The first field is a comma list: write one value per field (RFC 3261 §7.3.1, same meaning).
  headers.remove('via');
  for (let i = values.length - 1; i >= 1; i--) headers.prepend('Via', values[i]!);
  headers.prepend('Via', value);
}

/**
 * Where a response goes over UDP: the `maddr` when the top Via has one, else `received` (with
 * `rport` when filled), else the sent-by itself. The port defaults to 5060.
 */
export function datagramResponseTarget(via: Via): Endpoint {
  const port = via.port ?? defaultPort('UDP');
  const maddr = via.params.maddr;
  if (maddr) return { protocol: 'UDP', address: stripBrackets(maddr), port };
  if (via.received !== undefined) {
    return { protocol: 'UDP', address: via.received, port: typeof via.rport === 'number' ? via.rport : port };
  }
  return { protocol: 'UDP', address: stripBrackets(via.host), port };
}

/**
 * RFC 3261 §18.2.2: when the request's connection is gone, open one to `received` (or the
 * sent-by host) at the sent-by port. The rport is only meaningful on the original connection.
 */
export function streamResponseTarget(via: Via, protocol: TransportProtocol): Endpoint {
  return {
    protocol,
    address: via.received ?? stripBrackets(via.host),
    port: via.port ?? defaultPort(protocol),
  };
}
