export {
  CALL_RECORD_LIST_MAX,
  type CallRecord,
  type CallRecordInput,
  CallRecordRepository,
} from './call-records.js';
export {
  type CallingSearchSpaceMemberRow,
  type CallingSearchSpaceRow,
  type ConfigMetaRow,
  type ConfigRows,
  ConfigurationRepository,
  type DevicePoolRow,
  type DeviceRow,
  type DialPeerRow,
  type DialPlanRows,
  type EntityKey,
  type EntityKind,
  type EntityRows,
  type LineAppearanceRow,
  type LineRow,
  type PartitionRow,
  type PilotRow,
  type RegistrarSettingsRow,
  type RoutePatternRow,
  type TranslationPatternRow,
  type TranslationProfileRow,
  type TranslationRuleRow,
  type TranslationRuleSetRow,
  type TrunkRow,
  type UserRow,
} from './configuration.js';
export { openStore, type Repositories, type Store, type StoreLocation } from './open-store.js';
export { type RegistrationBinding, RegistrationRepository } from './registrations.js';
export { describeStoreError } from './store-error.js';
