/** The SIP line adapter: registrar and location service for phones' lines (RFC 3261 §10). */

export type { RegistrationPersistence, RegistrationRows } from './persistence.js';
export {
  createSipLineAdapter,
  type LineContact,
  type RegistrationEvent,
  type RegistrationListener,
  type RegistrationView,
  type SipLineAdapter,
  type SipLineAdapterOptions,
  type SipLineStats,
} from './sip-line-adapter.js';
export { DEFAULT_LOCKOUT, type LockoutPolicy } from './source-lockout.js';
