/** RFC 3263 server location: URI to ordered transport targets, and failover across them. */
export {
  createSystemDns,
  type DnsLike,
  type NaptrRecord,
  type RecordWithTtl,
  type SrvRecord,
  type SystemDnsOptions,
} from './dns.js';
export { createResolver, type ResolveOptions, type ResolverOptions, type SipResolver } from './resolver.js';
export { orderSrvRecords } from './srv-order.js';
export {
  type AttemptResult,
  isFailoverStatus,
  TargetIterator,
  type TryTargetsResult,
  tryTargets,
} from './try-targets.js';
