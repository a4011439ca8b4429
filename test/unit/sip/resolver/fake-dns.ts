/** An in-memory DnsLike: unknown names answer ENOTFOUND, as node:dns does; every query is counted. */
import type { DnsLike, NaptrRecord, RecordWithTtl, SrvRecord } from '../../../../src/sip/resolver/dns.js';

export interface Zone {
  naptr?: Record<string, NaptrRecord[]>;
  srv?: Record<string, SrvRecord[]>;
  a?: Record<string, string[]>;
  aaaa?: Record<string, string[]>;
  /** Names whose queries fail with this error code instead. */
  failing?: Record<string, string>;
  ttl?: number;
}

export class FakeDns implements DnsLike {
  readonly queries: string[] = [];

  constructor(private readonly zone: Zone) {}

  private answer<T>(type: string, name: string, table: Record<string, T[]> | undefined): Promise<T[]> {
    this.queries.push(`${type} ${name}`);
    const code = this.zone.failing?.[name];
    const records = table?.[name];
    if (code !== undefined || records === undefined) {
      return Promise.reject(Object.assign(new Error(`${type} ${name}`), { code: code ?? 'ENOTFOUND' }));
    }
    return Promise.resolve(records);
  }

  resolveNaptr(name: string): Promise<NaptrRecord[]> {
    return this.answer('NAPTR', name, this.zone.naptr);
  }

  resolveSrv(name: string): Promise<SrvRecord[]> {
    return this.answer('SRV', name, this.zone.srv);
  }

  resolve4(name: string): Promise<RecordWithTtl[]> {
    return this.withTtl(this.answer('A', name, this.zone.a));
  }

  resolve6(name: string): Promise<RecordWithTtl[]> {
    return this.withTtl(this.answer('AAAA', name, this.zone.aaaa));
  }

  private async withTtl(addresses: Promise<string[]>): Promise<RecordWithTtl[]> {
    return (await addresses).map((address) => ({ address, ttl: this.zone.ttl ?? 300 }));
  }
}

export function naptr(
  order: number,
  preference: number,
  service: string,
  replacement: string,
  flags = 's',
): NaptrRecord {
  return { order, preference, service, replacement, flags, regexp: '' };
}

export function srv(priority: number, weight: number, port: number, name: string): SrvRecord {
  return { priority, weight, port, name };
}
