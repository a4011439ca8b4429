import type {
  CallingSearchSpaceRow,
  DevicePoolRow,
  DeviceRow,
  DialPeerRow,
  LineAppearanceRow,
  LineRow,
  PartitionRow,
  PilotRow,
  RegistrarSettingsRow,
  RoutePatternRow,
  TranslationPatternRow,
  TranslationProfileRow,
  TranslationRuleRow,
  TrunkRow,
  UserRow,
} from '../../store/index.js';

export type RegistrarSettings = RegistrarSettingsRow;
export type PartitionConfig = PartitionRow;
export interface CallingSearchSpaceConfig extends CallingSearchSpaceRow {
  /** Searched in this order. */
  readonly partitions: readonly string[];
}
export type DevicePoolConfig = DevicePoolRow;
/** Credentials of users are not configuration as code; the API sets them. */
export type UserConfig = Pick<UserRow, 'userid' | 'name'>;
/** A line as the file describes it: every column set. */
export type LineConfig = Required<LineRow>;
export interface LineAppearanceConfig extends Omit<LineAppearanceRow, 'device' | 'partition'> {
  /** Null when the file names only the DN: resolved on apply if the DN is in one partition. */
  readonly partition: string | null;
}
export interface PhoneConfig extends DeviceRow {
  readonly lines: readonly LineAppearanceConfig[];
}

/** A line row with the columns added since the first release set to their defaults when absent. */
export function completeLine(row: LineRow): LineConfig {
  return {
    ...row,
    secondaryNumber: row.secondaryNumber ?? null,
    noRegistration: row.noRegistration ?? null,
    dualLine: row.dualLine ?? false,
    mwiControl: row.mwiControl ?? null,
  };
}

/** `voice translation-rule <id>` with its rules in precedence order. */
export interface TranslationRuleSetConfig {
  readonly id: number;
  readonly rules: readonly Omit<TranslationRuleRow, 'ruleSet'>[];
}
export type TranslationProfileConfig = TranslationProfileRow;
/** A SIP trunk as configured; the trunk adapter reads it from the snapshot. */
export type TrunkConfig = TrunkRow;
export type PilotConfig = PilotRow;
export type DialPeerConfig = DialPeerRow;
export type RoutePatternConfig = RoutePatternRow;
export type TranslationPatternConfig = TranslationPatternRow;

export const CODECS = ['g711ulaw', 'g711alaw', 'g722', 'g729'] as const;
/** DTMF relay methods: RFC 4733 (ex 2833) events, SIP NOTIFY, SIP INFO, audio. */
export const DTMF_RELAYS = ['rtp-nte', 'sip-notify', 'sip-info', 'inband'] as const;
export const TRANSPORTS = ['udp', 'tcp', 'tls'] as const;
export const PILOT_KINDS = ['voicemail', 'auto-attendant'] as const;

/**
 * The configuration part of a file. A section that is present is authoritative for its kind of
 * object (absent objects are removed on apply); a section that is absent leaves the store as is.
 */
export interface Configuration {
  readonly registrar?: RegistrarSettings;
  readonly partitions?: readonly PartitionConfig[];
  readonly callingSearchSpaces?: readonly CallingSearchSpaceConfig[];
  readonly devicePools?: readonly DevicePoolConfig[];
  readonly users?: readonly UserConfig[];
  readonly lines?: readonly LineConfig[];
  readonly phones?: readonly PhoneConfig[];
  readonly translationRules?: readonly TranslationRuleSetConfig[];
  readonly translationProfiles?: readonly TranslationProfileConfig[];
  readonly trunks?: readonly TrunkConfig[];
  readonly pilots?: readonly PilotConfig[];
  readonly dialPeers?: readonly DialPeerConfig[];
  readonly routePatterns?: readonly RoutePatternConfig[];
  readonly translationPatterns?: readonly TranslationPatternConfig[];
}

/** The registrar's policy when none is configured: CME `registrar server` defaults. */
export const DEFAULT_REGISTRAR: RegistrarSettings = Object.freeze({
  expiresDefault: 3600,
  expiresMin: 60,
  expiresMax: 3600,
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A listener port; `false` switches the listener off, 0 picks a free port. */
export type PortSetting = number | false;

/** Node settings from one source (file, environment or flags); unset keys come from the next. */
export interface NodeSettingsInput {
  bind?: string;
  sipUdpPort?: PortSetting;
  sipTcpPort?: PortSetting;
  sipTlsPort?: PortSetting;
  sipWsPort?: PortSetting;
  httpPort?: PortSetting;
  httpBind?: string;
  tftpPort?: PortSetting;
  provisioningHttpPort?: PortSetting;
  dataDir?: string;
  databaseUrl?: string;
  adminToken?: string;
  logLevel?: LogLevel;
}

/** A validated `strowger.yaml`. */
export interface ConfigFile {
  readonly node: NodeSettingsInput;
  readonly configuration: Configuration;
  /** SHA-256 of the file text, recorded in the store on apply. */
  readonly sha256: string;
}
