import type {
  CallingSearchSpaceRow,
  DevicePoolRow,
  DeviceRow,
  LineAppearanceRow,
  LineRow,
  PartitionRow,
  RegistrarSettingsRow,
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
export type LineConfig = LineRow;
export interface LineAppearanceConfig extends Omit<LineAppearanceRow, 'device' | 'partition'> {
  /** Null when the file names only the DN: resolved on apply if the DN is in one partition. */
  readonly partition: string | null;
}
export interface PhoneConfig extends DeviceRow {
  readonly lines: readonly LineAppearanceConfig[];
}

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
