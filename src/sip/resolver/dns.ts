/**
 * The DNS queries RFC 3263 needs, as an interface so that tests inject answers. Node's
 * `dns/promises` module and its `Resolver` satisfy it; `createSystemDns` adds the hosts file.
 */
import type { NaptrRecord, RecordWithTtl, SrvRecord } from 'node:dns';
import { lookup, Resolver } from 'node:dns/promises';

export type { NaptrRecord, RecordWithTtl, SrvRecord };

export interface DnsLike {
  resolveNaptr(name: string): Promise<NaptrRecord[]>;
  resolveSrv(name: string): Promise<SrvRecord[]>;
  resolve4(name: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
  resolve6(name: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
}

/** Error codes that mean "the name or the record type does not exist": an answer worth caching. */
export function isNegativeAnswer(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOTFOUND' || code === 'ENODATA';
}

export interface SystemDnsOptions {
  /** DNS servers ('192.0.2.53', '[2001:db8::53]:5353'); the system's by default. */
  servers?: string[];
  /** Per-try timeout. Default 2 s. */
  timeoutMs?: number;
  /** Tries per server. Default 2. */
  tries?: number;
}

/**
 * Node's DNS client, with addresses the DNS does not know looked up through the system
 * resolver as well, so that names in the hosts file (`localhost`, lab trunks) resolve as
 * operators expect. Hosts-file answers carry no TTL (reported as 0: the cache uses its cap).
 */
export function createSystemDns(options: SystemDnsOptions = {}): DnsLike {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: options.tries ?? 2 });
  if (options.servers !== undefined) resolver.setServers(options.servers);

  async function addresses(name: string, family: 4 | 6): Promise<RecordWithTtl[]> {
    try {
      return family === 4
        ? await resolver.resolve4(name, { ttl: true })
        : await resolver.resolve6(name, { ttl: true });
    } catch (error) {
      if (!isNegativeAnswer(error)) throw error;
      const found = await lookup(name, { family, all: true });
      return found.map((entry) => ({ address: entry.address, ttl: 0 }));
    }
  }

  return {
    resolveNaptr: (name) => resolver.resolveNaptr(name),
    resolveSrv: (name) => resolver.resolveSrv(name),
    resolve4: (name) => addresses(name, 4),
    resolve6: (name) => addresses(name, 6),
  };
}
