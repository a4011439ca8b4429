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
/**
 * A SIP trunk as configured. Its fields mirror the trunk adapter's `TrunkConfig`
 * (src/adapters/sip-trunk), so a snapshot's trunk can be handed to it as is, plus what the dial
 * plan and call handling need: the inbound calling search space, DTMF relay and Remote-Party-ID.
 */
export interface TrunkConfig {
  readonly name: string;
  readonly description: string;
  /** `sip-server`: `dns:domain.test.com`, `ipv4:192.0.2.10[:port]` or a SIP URI. */
  readonly proxy: string;
  /** `registrar dns:… expires 3600`; absent: no number is registered. */
  readonly registrar?: {
    readonly uri: string;
    readonly expires?: number;
    readonly retryRegisterSeconds?: number;
  };
  /** `authentication username … password …`. */
  readonly credentials?: {
    readonly username: string;
    readonly password: string;
    readonly authUsername?: string;
    readonly realm?: string;
  };
  /** The carrier's numbers (DIDs) behind this trunk; `register: false` is CME `no-reg`. */
  readonly numbers: readonly { readonly number: string; readonly register: boolean }[];
  /** OPTIONS keepalive; `false` sends none. */
  readonly optionsKeepalive:
    | {
        readonly intervalSeconds?: number;
        readonly failuresBeforeOutOfService?: number;
        readonly retries?: number;
      }
    | false;
  /** `retry invite`. */
  readonly inviteRetries?: number;
  /** Source addresses or CIDR blocks of the carrier; absent: the resolved proxy addresses. */
  readonly allowedSources?: readonly string[];
  /** Codec preference (`voice class codec`). */
  readonly codecs?: readonly string[];
  /** `host-registrar` (R-TRUNK-11). */
  readonly hostRegistrar: boolean;
  /** `supplementary-service sip refer | moved-temporarily`. */
  readonly supplementary: { readonly refer: boolean; readonly movedTemporarily: boolean };
  readonly dtmfRelay: (typeof DTMF_RELAYS)[number];
  /** `no remote-party-id` sets it false. */
  readonly remotePartyId: boolean;
  /** What calls arriving on the trunk may reach; null: the <None> partition only. */
  readonly callingSearchSpace: string | null;
}

/** The store keeps a trunk's carrier settings as one document. */
export function trunkOfRow(row: TrunkRow): TrunkConfig {
  return {
    ...(row.settings as Omit<TrunkConfig, 'name' | 'description' | 'callingSearchSpace'>),
    name: row.name,
    description: row.description,
    callingSearchSpace: row.callingSearchSpace,
  };
}

export function rowOfTrunk(trunk: TrunkConfig): TrunkRow {
  const { name, description, callingSearchSpace, ...settings } = trunk;
  return { name, description, callingSearchSpace, settings };
}
export type PilotConfig = PilotRow;
export type DialPeerConfig = DialPeerRow;
export type RoutePatternConfig = RoutePatternRow;
export type TranslationPatternConfig = TranslationPatternRow;

export const CODECS = ['g711ulaw', 'g711alaw', 'g722', 'g729'] as const;
/** DTMF relay methods: RFC 4733 (ex 2833) events, SIP NOTIFY, SIP INFO, audio. */
export const DTMF_RELAYS = ['rtp-nte', 'sip-notify', 'sip-info', 'inband'] as const;
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
/** Digest algorithms the node challenges with, in offer order (RFC 8760). */
export const DIGEST_ALGORITHM_NAMES = ['MD5', 'SHA-256'] as const;
export type DigestAlgorithmName = (typeof DIGEST_ALGORITHM_NAMES)[number];

/**
 * `node.registrar.persistence`: when a registration reaches the store, before the 200 OK
 * (`write-through`) or within a second after it and at a clean stop (`write-back`).
 */
export const REGISTRAR_PERSISTENCE_MODES = ['write-back', 'write-through'] as const;
export type RegistrarPersistence = (typeof REGISTRAR_PERSISTENCE_MODES)[number];

export const TONE_REGIONS = ['north-america', 'itu'] as const;
export type ToneRegionSetting = (typeof TONE_REGIONS)[number];

/** Which callers hear a failure tone: nobody (default), callers on trunks, or every caller. */
export const CALL_FAILURE_INBAND = ['off', 'trunks', 'all'] as const;
export type CallFailureInband = (typeof CALL_FAILURE_INBAND)[number];

export interface NodeSettingsInput {
  bind?: string;
  sipUdpPort?: PortSetting;
  sipTcpPort?: PortSetting;
  sipTlsPort?: PortSetting;
  sipWsPort?: PortSetting;
  digestAlgorithms?: DigestAlgorithmName[];
  httpPort?: PortSetting;
  httpBind?: string;
  tftpPort?: PortSetting;
  provisioningHttpPort?: PortSetting;
  provisioningFiles?: string;
  dataDir?: string;
  databaseUrl?: string;
  adminToken?: string;
  logLevel?: LogLevel;
  registrarPersistence?: RegistrarPersistence;
  /** `node.media.anchor`: false passes calls' media end to end. */
  mediaAnchor?: boolean;
  mediaAddress?: string;
  mediaPortRange?: readonly [number, number];
  mediaWorkers?: number;
  mediaTimeoutSeconds?: number;
  /** `node.media.musicOnHold.default`: the MOH file of every class. */
  musicOnHold?: string;
  /** `node.media.musicOnHold.g729`: G.729 frames every class plays to held G.729 legs. */
  musicOnHoldG729?: string;
  /** `node.media.recordings`: the folder call recordings are written to. */
  mediaRecordings?: string;
  /** `node.media.conference.maxConferences` (CME `max-conferences`). */
  conferenceMax?: number;
  /** `node.media.conference.gainDb` (CME `gain`). */
  conferenceGainDb?: number;
  conferenceFactoryNumber?: string;
  conferenceRoomPrefix?: string;
  /** `node.media.conference.callingSearchSpace`: how the bridge's calls out are routed. */
  conferenceCallingSearchSpace?: string;
  /** `node.media.toneRegion`: North American or ITU-T call-progress tones. */
  toneRegion?: ToneRegionSetting;
  /** `node.media.callFailure.inband`: which failed callers hear a tone before the final response. */
  callFailureInband?: CallFailureInband;
  /** `node.media.callFailure.seconds`: the longest they hear it. */
  callFailureSeconds?: number;
  /** `node.media.callFailure.notInService`: announcement file for a number not in service. */
  notInServiceAnnouncement?: string;
}

/** `node.phones`: which phones this node admits. */
export interface PhoneAdmissionInput {
  readonly maxPhones?: number;
  /** StationKeepaliveInterval in seconds (default 30, 1–1000). */
  readonly keepaliveSeconds?: number;
  readonly autoRegistration?: {
    readonly enabled: boolean;
    readonly account: { readonly username: string; readonly password: string };
    readonly directoryNumbers: { readonly first: string; readonly last: string };
    readonly partition: string;
    readonly devicePool: string | null;
    readonly callingSearchSpace: string | null;
  };
}

/** A validated `strowger.yaml`. */
export interface ConfigFile {
  readonly node: NodeSettingsInput;
  /** `node.phones`; absent: no limit, auto-registration off. */
  readonly phones?: PhoneAdmissionInput;
  readonly configuration: Configuration;
  /** SHA-256 of the file text, recorded in the store on apply. */
  readonly sha256: string;
}
