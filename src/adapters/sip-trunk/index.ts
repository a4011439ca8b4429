/**
 * The SIP trunk adapter, carrier-facing side (R-TRUNK-01…06): outbound registration of the
 * trunk's numbers, OPTIONS keepalive with failover across the carrier's targets, inbound access
 * control by source address, and the `show trunks` / `show sip-ua register status` views.
 */
export type { OptionsProbeView, TrunkServiceState } from './carrier-keepalive.js';
export { carrierUri } from './carrier-uri.js';
export type { InboundAdmission, InboundAuthenticator } from './inbound-access.js';
export type { NumberRegistrationView, RegistrationState } from './number-registration.js';
export { parseSourceRule, SourceAllowList, type SourceRule } from './source-allow-list.js';
export { createTrunkAdapter, type TrunkAdapter, type TrunkAdapterOptions } from './trunk-adapter.js';
export {
  checkTrunkConfigs,
  type OptionsKeepaliveConfig,
  type ResolvedTrunkConfig,
  resolveTrunkConfig,
  TRUNK_DEFAULTS,
  type TrunkConfig,
  type TrunkCredentials,
  type TrunkNumberConfig,
  type TrunkRegistrarConfig,
} from './trunk-config.js';
export type { TrunkEvent, TrunkEventListener } from './trunk-events.js';
export { type RegisterStatusRow, registerStatusRows, type TrunkStatusView } from './trunk-status.js';
