/**
 * A bounded cache in front of a DnsLike: answers are kept for their TTL (A/AAAA) or the cap
 * (NAPTR and SRV, for which Node reports no TTL), never longer than the cap; "no such name"
 * and "no such record" are cached too, transient failures (timeouts, SERVFAIL) are not.
 * Concurrent questions for the same name share one query. Never rejects: a failure is no records.
 */
import type { Clock } from '../clock.js';
import { type DnsLike, isNegativeAnswer, type NaptrRecord, type SrvRecord } from './dns.js';

/** A hostile zone must not hand us thousands of records per name. */
const MAX_RECORDS = 32;

interface Entry<T> {
  expiresAt: number;
  records: T[];
}

export class DnsCache {
  private readonly entries = new Map<string, Entry<unknown>>();
  private readonly inFlight = new Map<string, Promise<unknown[]>>();

  constructor(
    private readonly dns: DnsLike,
    private readonly clock: Clock,
    private readonly ttlCapMs: number,
    private readonly maxEntries: number,
  ) {}

  naptr(name: string): Promise<NaptrRecord[]> {
    return this.ask(
      `NAPTR ${name}`,
      () => this.dns.resolveNaptr(name),
      () => this.ttlCapMs,
    );
  }

  srv(name: string): Promise<SrvRecord[]> {
    return this.ask(
      `SRV ${name}`,
      () => this.dns.resolveSrv(name),
      () => this.ttlCapMs,
    );
  }

  async addresses(name: string, family: 4 | 6): Promise<string[]> {
    const records = await this.ask(
      `${family === 4 ? 'A' : 'AAAA'} ${name}`,
      () => (family === 4 ? this.dns.resolve4(name, { ttl: true }) : this.dns.resolve6(name, { ttl: true })),
      (answer) => this.addressTtl(answer),
    );
    return records.map((record) => record.address);
  }

  private addressTtl(records: ReadonlyArray<{ ttl: number }>): number {
    let ttlMs = this.ttlCapMs;
    for (const record of records) {
      // A TTL of 0 means "unknown" (hosts file): the cap applies.
      if (record.ttl > 0) ttlMs = Math.min(ttlMs, record.ttl * 1000);
    }
    return ttlMs;
  }

  private ask<T>(key: string, query: () => Promise<T[]>, ttlOf: (records: T[]) => number): Promise<T[]> {
    const cached = this.entries.get(key);
    if (cached !== undefined && cached.expiresAt > this.clock.now())
      return Promise.resolve(cached.records as T[]);
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending as Promise<T[]>;

    const started = query().then(
      (records) => {
        const kept = records.slice(0, MAX_RECORDS);
        this.store(key, kept, ttlOf(kept));
        return kept;
      },
      (error: unknown) => {
        if (isNegativeAnswer(error)) this.store(key, [], this.ttlCapMs);
        return [] as T[];
      },
    );
    const tracked = started.finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, tracked);
    return tracked;
  }

  private store(key: string, records: unknown[], ttlMs: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { expiresAt: this.clock.now() + ttlMs, records });
  }
}
