export { type ApplyResult, applyConfig } from './apply.js';
export { type ConfigError, formatConfigError } from './config-error.js';
export {
  type CallingSearchSpaceConfig,
  CODECS,
  type ConfigFile,
  type Configuration,
  DEFAULT_REGISTRAR,
  type DevicePoolConfig,
  type DialPeerConfig,
  DTMF_RELAYS,
  type LineAppearanceConfig,
  type LineConfig,
  LOG_LEVELS,
  type LogLevel,
  type NodeSettingsInput,
  type PartitionConfig,
  type PhoneAdmissionInput,
  type PhoneConfig,
  PILOT_KINDS,
  type PilotConfig,
  type PortSetting,
  type RegistrarSettings,
  type RoutePatternConfig,
  type ToneRegionSetting,
  type TranslationPatternConfig,
  type TranslationProfileConfig,
  type TranslationRuleSetConfig,
  type TrunkConfig,
  type UserConfig,
} from './configuration.js';
export {
  type CallFailureSettings,
  type ConferenceSettings,
  NODE_SETTING_SOURCES,
  type NodeSettings,
  type NodeSettingsFlags,
  type NodeSettingsResult,
  resolveNodeSettings,
} from './node-settings.js';
export { type ConfigChange, formatChange, type ObjectKind } from './plan.js';
export {
  buildSnapshot,
  type CallingSearchSpaceSnapshot,
  type ConfigSnapshot,
  type LineAppearanceSnapshot,
  type LineSnapshot,
  loadSnapshot,
  type PhoneSnapshot,
  snapshotOfConfiguration,
} from './snapshot.js';
export { MAX_CONFIG_BYTES, type ValidationResult, validateConfigText } from './validate.js';
