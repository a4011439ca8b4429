/**
 * Which source addresses a trunk accepts requests from: exact addresses and CIDR blocks, IPv4
 * and IPv6 (an IPv4-mapped IPv6 source matches IPv4 rules). Lookups allocate nothing beyond
 * node:net's own check.
 */
import { BlockList, isIP } from 'node:net';

export interface SourceRule {
  readonly address: string;
  readonly family: 4 | 6;
  /** Prefix length; the full length (32 or 128) for a single address. */
  readonly prefix: number;
}

/** `198.51.100.7`, `203.0.113.0/24`, `2001:db8::/32`, `[2001:db8::1]`. Never throws. */
export function parseSourceRule(text: string): SourceRule | undefined {
  const slash = text.indexOf('/');
  const address = (slash < 0 ? text : text.slice(0, slash)).trim().replace(/^\[(.*)\]$/, '$1');
  const family = isIP(address);
  if (family !== 4 && family !== 6) return undefined;
  const full = family === 4 ? 32 : 128;
  if (slash < 0) return { address, family, prefix: full };
  const prefixText = text.slice(slash + 1).trim();
  if (!/^[0-9]{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix <= full ? { address, family, prefix } : undefined;
}

export class SourceAllowList {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(rules: readonly SourceRule[]) {
    for (const rule of rules) {
      const type = rule.family === 4 ? 'ipv4' : 'ipv6';
      const full = rule.family === 4 ? 32 : 128;
      if (rule.prefix === full) this.list.addAddress(rule.address, type);
      else this.list.addSubnet(rule.address, rule.prefix, type);
    }
    this.size = rules.length;
  }

  /** Whether `address` (as a transport reports it: IPv6 without brackets) is covered. */
  has(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    return this.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}
