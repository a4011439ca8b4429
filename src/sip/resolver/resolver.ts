/**
 * RFC 3263 §4: from a SIP or SIPS URI to the ordered list of transport addresses to try.
 */
import { isIP } from 'node:net';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { Uri } from '../message/types.js';
import type { Endpoint, TransportProtocol } from '../transport/types.js';
import { createSystemDns, type DnsLike, type SrvRecord } from './dns.js';
import { DnsCache } from './dns-cache.js';
import { chooseNaptrRecords } from './naptr.js';
import { orderSrvRecords } from './srv-order.js';

export interface ResolverOptions {
  /** Default: node:dns with the hosts file as fallback for addresses (`createSystemDns()`). */
  dns?: DnsLike;
  clock?: Clock;
  /** Longest time a DNS answer is reused. Default 60 s. */
  cacheTtlCapMs?: number;
  /** Distinct DNS questions cached. Default 1,000. */
  maxCacheEntries?: number;
  /** Address families, in the order their addresses are tried. Default IPv4 then IPv6. */
  families?: ReadonlyArray<4 | 6>;
  /** Longest target list returned. Default 16. */
  maxTargets?: number;
  /** For the RFC 2782 weighted choice; Math.random by default. */
  random?: () => number;
}

export interface ResolveOptions {
  /** Transports we can send on, in order of preference where RFC 3263 leaves the choice to us. */
  supportedTransports: readonly TransportProtocol[];
}

export interface SipResolver {
  /** Never rejects; an empty list means no usable target. */
  resolve(uri: Uri, options: ResolveOptions): Promise<Endpoint[]>;
}

/** SRV prefixes of RFC 3263 §4.1 (SCTP aside); WebSocket has no SRV convention. */
const SRV_PREFIX: Partial<Record<TransportProtocol, string>> = {
  UDP: '_sip._udp.',
  TCP: '_sip._tcp.',
  TLS: '_sips._tcp.',
};

function defaultPort(protocol: TransportProtocol): number {
  // RFC 3261 §19.1.2; RFC 7118 WebSocket servers listen on the HTTP ports.
  if (protocol === 'TLS') return 5061;
  if (protocol === 'WS') return 80;
  if (protocol === 'WSS') return 443;
  return 5060;
}

function isSecure(protocol: TransportProtocol): boolean {
  return protocol === 'TLS' || protocol === 'WSS';
}

/** The transport a `transport=` parameter names; SIPS upgrades TCP to TLS (RFC 3261 §26.2.2). */
function transportFromParam(value: string, secure: boolean): TransportProtocol | undefined {
  switch (value.toLowerCase()) {
    case 'udp':
      return secure ? undefined : 'UDP';
    case 'tcp':
      return secure ? 'TLS' : 'TCP';
    case 'tls':
      return 'TLS';
    case 'ws':
      return secure ? 'WSS' : 'WS';
    case 'wss':
      return 'WSS';
    default:
      return undefined;
  }
}

/** RFC 3263 §4.1: a numeric target or explicit port without transport: UDP for SIP, TLS for SIPS. */
function fallbackTransport(
  secure: boolean,
  supported: readonly TransportProtocol[],
): TransportProtocol | undefined {
  const preference: TransportProtocol[] = secure ? ['TLS'] : ['UDP', 'TCP'];
  return preference.find((protocol) => supported.includes(protocol));
}

export function createResolver(options: ResolverOptions = {}): SipResolver {
  const cache = new DnsCache(
    options.dns ?? createSystemDns(),
    options.clock ?? systemClock,
    options.cacheTtlCapMs ?? 60_000,
    options.maxCacheEntries ?? 1000,
  );
  const families = options.families ?? [4, 6];
  const maxTargets = options.maxTargets ?? 16;
  const random = options.random ?? Math.random;

  async function addressTargets(
    host: string,
    protocol: TransportProtocol,
    port: number,
  ): Promise<Endpoint[]> {
    const perFamily = await Promise.all(families.map((family) => cache.addresses(host, family)));
    return perFamily.flat().map((address) => ({ protocol, address, port }));
  }

  /** Targets from an SRV name; undefined when the name has no SRV records at all. */
  async function srvTargets(name: string, protocol: TransportProtocol): Promise<Endpoint[] | undefined> {
    const records = await cache.srv(name);
    if (records.length === 0) return undefined;
    // RFC 2782: a lone "." target means "no such service here": an empty list, not a fallback.
    const ordered = orderSrvRecords(records, random);
    const perRecord = await Promise.all(
      ordered.map((record: SrvRecord) => addressTargets(record.name, protocol, record.port)),
    );
    return perRecord.flat();
  }

  async function resolve(uri: Uri, { supportedTransports }: ResolveOptions): Promise<Endpoint[]> {
    if (uri.scheme !== 'sip' && uri.scheme !== 'sips') return [];
    const secure = uri.scheme === 'sips';
    // RFC 3263 §4: maddr, when present, is the target instead of the host.
    const maddr = uri.params.maddr;
    const target = (typeof maddr === 'string' && maddr !== '' ? maddr : uri.host).replace(/^\[(.*)\]$/, '$1');
    if (target === '') return [];

    const transportParam = uri.params.transport;
    let chosen: TransportProtocol | undefined;
    if (typeof transportParam === 'string') {
      chosen = transportFromParam(transportParam, secure);
      if (chosen === undefined || !supportedTransports.includes(chosen)) return [];
    }

    let targets: Endpoint[];
    const numeric = isIP(target) !== 0;
    if (numeric || uri.port !== undefined) {
      // RFC 3263 §4.1–§4.2: no NAPTR or SRV when the address or the port is given.
      const protocol = chosen ?? fallbackTransport(secure, supportedTransports);
      if (protocol === undefined) return [];
      const port = uri.port ?? defaultPort(protocol);
      targets = numeric
        ? [{ protocol, address: target, port }]
        : await addressTargets(target, protocol, port);
    } else if (chosen !== undefined) {
      // RFC 3263 §4.2: transport known, so SRV for it, else the address records.
      const prefix = SRV_PREFIX[chosen];
      const fromSrv = prefix === undefined ? undefined : await srvTargets(prefix + target, chosen);
      targets = fromSrv ?? (await addressTargets(target, chosen, defaultPort(chosen)));
    } else {
      targets = await discover(target, secure, supportedTransports);
    }
    return unique(targets).slice(0, maxTargets);
  }

  /** RFC 3263 §4.1: NAPTR, else SRV for each supported transport, else A/AAAA. */
  async function discover(
    target: string,
    secure: boolean,
    supported: readonly TransportProtocol[],
  ): Promise<Endpoint[]> {
    const naptr = chooseNaptrRecords(await cache.naptr(target), supported, secure);
    if (naptr.length > 0) {
      const perRecord = await Promise.all(
        naptr.map((choice) => srvTargets(choice.replacement, choice.protocol)),
      );
      return perRecord.flatMap((targets) => targets ?? []);
    }
    const srvProtocols = supported.filter(
      (protocol) => SRV_PREFIX[protocol] !== undefined && (!secure || isSecure(protocol)),
    );
    const perProtocol = await Promise.all(
      srvProtocols.map((protocol) => srvTargets(SRV_PREFIX[protocol] + target, protocol)),
    );
    if (perProtocol.some((targets) => targets !== undefined)) {
      return perProtocol.flatMap((targets) => targets ?? []);
    }
    const protocol = fallbackTransport(secure, supported);
    return protocol === undefined ? [] : addressTargets(target, protocol, defaultPort(protocol));
  }

  return { resolve };
}

function unique(targets: Endpoint[]): Endpoint[] {
  const seen = new Set<string>();
  return targets.filter((target) => {
    const key = `${target.protocol} ${target.address} ${target.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
