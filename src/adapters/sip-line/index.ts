/** The SIP line adapter: registrar and location service for phones' lines (RFC 3261 §10). */

export {
  type DeviceIdentity,
  deviceNameOfMac,
  identifyDevice,
  macOfInstanceId,
  modelMismatch,
  parseUserAgent,
} from './device-identity.js';
export type { PersistenceMode, RegistrationPersistence, RegistrationRows } from './persistence.js';
export type {
  AdmissionPolicy,
  AutoRegistrationHook,
  AutoRegistrationResult,
  RegistrationAttempt,
  RejectionReason,
  UnknownDevice,
} from './registrar.js';
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
export { DEFAULT_LOCKOUT, type LockoutPolicy, SourceLockout } from './source-lockout.js';
