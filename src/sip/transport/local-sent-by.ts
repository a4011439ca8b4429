/**
 * What this node writes as Via sent-by, per protocol, and the check that a response's top Via
 * is one of ours (RFC 3261 §18.1.2).
 */
import { networkInterfaces } from 'node:os';
import type { Via } from '../message/types.js';
import { canonicalAddress, defaultPort, hostForVia, isWildcard } from './address.js';
import type { Endpoint, TransportProtocol } from './types.js';

export class LocalSentBy {
  private readonly advertised = new Map<TransportProtocol, { host: string; port: number }>();
  /** `address port` pairs a response's top Via may name. */
  private readonly accepted = new Set<string>();

  constructor(listeners: readonly Endpoint[], publicAddress?: string) {
    const interfaces = wildcardAddresses();
    for (const listener of listeners) {
      const wildcard = isWildcard(listener.address);
      const ipv6 = listener.address.includes(':');
      const host = publicAddress ?? (wildcard ? primaryAddress(interfaces, ipv6) : listener.address);
      if (!this.advertised.has(listener.protocol)) {
        this.advertised.set(listener.protocol, { host: hostForVia(host), port: listener.port });
      }
      const names = wildcard ? interfaces.map((i) => i.address) : [listener.address];
      if (publicAddress !== undefined) names.push(publicAddress);
      for (const name of names) this.accepted.add(`${canonicalAddress(name)} ${listener.port}`);
    }
  }

  /**
   * The sent-by for a protocol: its first listener's. Without a listener for it (a TCP request
   * sent from a UDP-only node), the first listener's host with the protocol's default port:
   * responses come back on the connection anyway (RFC 3261 §18.2.2).
   */
  viaSentBy(protocol: TransportProtocol): { host: string; port: number } {
    const own = this.advertised.get(protocol);
    if (own) return own;
    const first = this.advertised.values().next().value;
    return { host: first?.host ?? '127.0.0.1', port: defaultPort(protocol) };
  }

  /** RFC 3261 §18.1.2: the top Via of a response names one of our listeners. */
  isOurs(via: Via): boolean {
    const protocol = via.transport as TransportProtocol;
    const port = via.port ?? defaultPort(protocol);
    return this.accepted.has(`${canonicalAddress(via.host)} ${port}`);
  }
}

interface InterfaceAddress {
  address: string;
  internal: boolean;
  ipv6: boolean;
}

function wildcardAddresses(): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) {
      out.push({ address: entry.address, internal: entry.internal, ipv6: entry.family === 'IPv6' });
    }
  }
  return out;
}

/** The address to advertise for a wildcard bind: the first external one of the family, else loopback. */
function primaryAddress(interfaces: readonly InterfaceAddress[], ipv6: boolean): string {
  const external = interfaces.find((i) => !i.internal && i.ipv6 === ipv6 && !i.address.startsWith('fe80'));
  return external?.address ?? (ipv6 ? '::1' : '127.0.0.1');
}
