/**
 * Node settings (listeners, data directory, database, admin token, log level) come from three
 * sources, later ones winning: the `node:` section of strowger.yaml, `STROWGER_*` environment
 * variables, then command-line flags.
 */
import {
  CALL_FAILURE_INBAND,
  type CallFailureInband,
  DIGEST_ALGORITHM_NAMES,
  type DigestAlgorithmName,
  LOG_LEVELS,
  type LogLevel,
  type NodeSettingsInput,
  type PortSetting,
  REGISTRAR_PERSISTENCE_MODES,
  type RegistrarPersistence,
  TONE_REGIONS,
  type ToneRegionSetting,
} from './configuration.js';

export interface NodeSettings {
  /** Address the SIP listeners bind to. */
  readonly bind: string;
  readonly sip: {
    readonly udp: PortSetting;
    readonly tcp: PortSetting;
    readonly tls: PortSetting;
    readonly ws: PortSetting;
    /** Challenges offered to phones, in order (default MD5 alone: see docs/configuration.md). */
    readonly digestAlgorithms: readonly DigestAlgorithmName[];
  };
  readonly http: { readonly port: PortSetting; readonly bind: string };
  /** Phone configuration files over TFTP (CUCM: UDP 69) and HTTP (CUCM: TCP 6970). */
  readonly provisioning: {
    readonly tftpPort: PortSetting;
    readonly httpPort: PortSetting;
    /** Folder of static files (firmware loads, ring lists); null: generated files only. */
    readonly files: string | null;
  };
  readonly dataDir: string;
  /** PostgreSQL when set; otherwise the embedded store in `<dataDir>/db`. */
  readonly databaseUrl: string | null;
  readonly adminToken: string | null;
  readonly logLevel: LogLevel;
  readonly registrar: {
    /** When registrations reach the store (default write-back: see docs/configuration.md). */
    readonly persistence: RegistrarPersistence;
  };
  /** RTP anchoring of calls (docs/media.md). */
  readonly media: MediaSettings;
}

export interface MediaSettings {
  /** False passes media end to end: no MOH, DTMF interworking or transcoding. */
  readonly anchor: boolean;
  /** Address RTP binds to and SDP announces; null: the SIP bind address (a real one if that is 0.0.0.0). */
  readonly address: string | null;
  /** Inclusive range of RTP/RTCP port pairs. */
  readonly portRange: readonly [number, number];
  /** RTP worker threads; null: one per spare core. */
  readonly workers: number | null;
  /** A call whose party sends no RTP for this long is cleared; 0 never. */
  readonly mediaTimeoutSeconds: number;
  /** MOH file (WAV or AU) for every class; null: a tone generated into the data directory. */
  readonly musicOnHold: string | null;
  /**
   * G.729 MOH (a G.729 WAV or AU, or a raw `.g729` bitstream) for every class, played to held
   * legs whose codec is G.729; absent: those legs hear G.711 MOH if they can, else silence.
   */
  readonly musicOnHoldG729?: string;
  /** Folder of call recordings (docs/media.md, "Recording"); absent: `<dataDir>/recordings`. */
  readonly recordings?: string;
  /** Ad hoc and meet-me conferences on the bridge (docs/media.md, "Conferences"). */
  readonly conference: ConferenceSettings;
  /** The call-progress tones the node generates: North American (default) or ITU-T E.180. */
  readonly toneRegion: ToneRegionSetting;
  /** In-band tones for callers whose call fails (docs/media.md, "Call failure tones"). */
  readonly callFailure: CallFailureSettings;
}

export interface CallFailureSettings {
  readonly inband: CallFailureInband;
  /** The longest a caller hears the tone or announcement before the final response. */
  readonly seconds: number;
  /** Announcement (WAV or AU) for a number not in service; null: the generated special information tone. */
  readonly notInService: string | null;
}

export const DEFAULT_CALL_FAILURE_SECONDS = 10;
export const CALL_FAILURE_SECONDS_RANGE: readonly [number, number] = [1, 60];

export interface ConferenceSettings {
  /** Rooms at once (CME `max-conferences`, default 12). */
  readonly maxConferences: number;
  /** Gain of each participant's voice in the mix, in dB (CME `gain`, default -6). */
  readonly gainDb: number;
  /** Calling it opens a room (RFC 4579 conference factory); null: rooms only through the API. */
  readonly factoryNumber: string | null;
  /** Rooms are numbered this prefix and a slot number (default `*8`: rooms `*801`…`*812`). */
  readonly roomPrefix: string;
  /** The calling search space of the bridge's calls out (the API's dial-out); null: none. */
  readonly callingSearchSpace: string | null;
}

/** The port range CUCM and CME use for RTP. */
export const DEFAULT_RTP_PORT_RANGE: readonly [number, number] = [16384, 32767];
export const DEFAULT_MEDIA_TIMEOUT_SECONDS = 30;
/** CME's `max-conferences 12 gain -6`. */
export const DEFAULT_MAX_CONFERENCES = 12;
export const DEFAULT_CONFERENCE_GAIN_DB = -6;
export const DEFAULT_ROOM_PREFIX = '*8';
/** The conference engine's range for the mix gain. */
export const CONFERENCE_GAIN_RANGE: readonly [number, number] = [-60, 20];
export const MAX_CONFERENCES_LIMIT = 999;
/** A number as a phone dials it: digits, `*` and `#`, with an optional leading `+`. */
export const DIALLED_NUMBER_PATTERN = /^\+?[0-9*#]{1,32}$/;
/** RTP takes pairs of ports: a range needs room for at least one pair, and no privileged ports. */
export const MIN_RTP_PORT = 1024;

export const HOST_PATTERN = /^[A-Za-z0-9.:[\]_-]+$/;
export const DATABASE_URL_PATTERN = /^postgres(ql)?:\/\//;
/** An admin token guards the management API; short ones are guessable. */
export const ADMIN_TOKEN_PATTERN = /^\S{16,}$/;

/** Flags as a command-line parser hands them over. */
export type NodeSettingsFlags = { readonly [K in keyof NodeSettingsInput]?: string | number | boolean };

export type NodeSettingsResult =
  | { readonly ok: true; readonly settings: NodeSettings }
  | { readonly ok: false; readonly errors: readonly string[] };

type Parser<T> = (text: string) => T | { error: string };

const port: Parser<PortSetting> = (text) => {
  if (text === 'off' || text === 'false') return false;
  const value = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  return value <= 65535 ? value : { error: 'expected a port 0–65535 or off' };
};

function matching(pattern: RegExp, expected: string): Parser<string> {
  return (text) => (pattern.test(text) ? text : { error: `expected ${expected}` });
}

const digestAlgorithms: Parser<DigestAlgorithmName[]> = (text) => {
  const names = text.split(',').map((name) => name.trim());
  const known = DIGEST_ALGORITHM_NAMES as readonly string[];
  return names.length > 0 &&
    names.every((name) => known.includes(name)) &&
    new Set(names).size === names.length
    ? (names as DigestAlgorithmName[])
    : { error: `expected a comma-separated list of ${DIGEST_ALGORITHM_NAMES.join(', ')}` };
};

function oneOfWords<T extends string>(words: readonly T[]): Parser<T> {
  return (text) =>
    (words as readonly string[]).includes(text)
      ? (text as T)
      : { error: `expected one of ${words.join(', ')}` };
}

const logLevel = oneOfWords<LogLevel>(LOG_LEVELS);
const registrarPersistence = oneOfWords<RegistrarPersistence>(REGISTRAR_PERSISTENCE_MODES);

const onOff: Parser<boolean> = (text) =>
  text === 'on' || text === 'true'
    ? true
    : text === 'off' || text === 'false'
      ? false
      : { error: 'expected on or off' };

function integerIn(min: number, max: number): Parser<number> {
  return (text) => {
    const value = /^-?\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
    return value >= min && value <= max ? value : { error: `expected an integer ${min}–${max}` };
  };
}

/** `16384-32767`. */
const portRange: Parser<readonly [number, number]> = (text) => {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  const range = match ? ([Number(match[1]), Number(match[2])] as const) : undefined;
  return range && isPortRange(range) ? range : { error: `expected FIRST-LAST within ${MIN_RTP_PORT}–65535` };
};

export function isPortRange(range: readonly number[]): range is readonly [number, number] {
  const [first, last] = range;
  return (
    range.length === 2 &&
    first !== undefined &&
    last !== undefined &&
    first >= MIN_RTP_PORT &&
    last <= 65535 &&
    last > first
  );
}

/** Each setting: its environment variable, its flag and how to read either. */
const settings: {
  readonly [K in keyof Required<NodeSettingsInput>]: {
    env: string;
    flag: string;
    parse: Parser<Required<NodeSettingsInput>[K]>;
  };
} = {
  bind: { env: 'STROWGER_BIND', flag: '--bind', parse: matching(HOST_PATTERN, 'an IP address or host name') },
  sipUdpPort: { env: 'STROWGER_SIP_UDP_PORT', flag: '--sip-udp-port', parse: port },
  sipTcpPort: { env: 'STROWGER_SIP_TCP_PORT', flag: '--sip-tcp-port', parse: port },
  sipTlsPort: { env: 'STROWGER_SIP_TLS_PORT', flag: '--sip-tls-port', parse: port },
  sipWsPort: { env: 'STROWGER_SIP_WS_PORT', flag: '--sip-ws-port', parse: port },
  digestAlgorithms: {
    env: 'STROWGER_SIP_DIGEST_ALGORITHMS',
    flag: '--sip-digest-algorithms',
    parse: digestAlgorithms,
  },
  httpPort: { env: 'STROWGER_HTTP_PORT', flag: '--http-port', parse: port },
  httpBind: {
    env: 'STROWGER_HTTP_BIND',
    flag: '--http-bind',
    parse: matching(HOST_PATTERN, 'an IP address or host name'),
  },
  tftpPort: { env: 'STROWGER_TFTP_PORT', flag: '--tftp-port', parse: port },
  provisioningFiles: {
    env: 'STROWGER_PROVISIONING_FILES',
    flag: '--provisioning-files',
    parse: matching(/^.{1,4096}$/, 'a folder'),
  },
  provisioningHttpPort: {
    env: 'STROWGER_PROVISIONING_HTTP_PORT',
    flag: '--provisioning-http-port',
    parse: port,
  },
  dataDir: { env: 'STROWGER_DATA_DIR', flag: '--data-dir', parse: matching(/^.{1,4096}$/, 'a directory') },
  databaseUrl: {
    env: 'STROWGER_DATABASE_URL',
    flag: '--database-url',
    parse: matching(DATABASE_URL_PATTERN, 'a postgres:// URL'),
  },
  adminToken: {
    env: 'STROWGER_ADMIN_TOKEN',
    flag: '--admin-token',
    parse: matching(ADMIN_TOKEN_PATTERN, 'at least 16 characters without spaces'),
  },
  logLevel: { env: 'STROWGER_LOG_LEVEL', flag: '--log-level', parse: logLevel },
  registrarPersistence: {
    env: 'STROWGER_REGISTRAR_PERSISTENCE',
    flag: '--registrar-persistence',
    parse: registrarPersistence,
  },
  mediaAnchor: { env: 'STROWGER_MEDIA_ANCHOR', flag: '--media-anchor', parse: onOff },
  mediaAddress: {
    env: 'STROWGER_MEDIA_ADDRESS',
    flag: '--media-address',
    parse: matching(HOST_PATTERN, 'an IP address'),
  },
  mediaPortRange: { env: 'STROWGER_MEDIA_PORT_RANGE', flag: '--media-port-range', parse: portRange },
  mediaWorkers: { env: 'STROWGER_MEDIA_WORKERS', flag: '--media-workers', parse: integerIn(0, 64) },
  mediaTimeoutSeconds: {
    env: 'STROWGER_MEDIA_TIMEOUT_SECONDS',
    flag: '--media-timeout-seconds',
    parse: integerIn(0, 3600),
  },
  musicOnHold: {
    env: 'STROWGER_MUSIC_ON_HOLD',
    flag: '--music-on-hold',
    parse: matching(/^.{1,4096}$/, 'a file'),
  },
  musicOnHoldG729: {
    env: 'STROWGER_MUSIC_ON_HOLD_G729',
    flag: '--music-on-hold-g729',
    parse: matching(/^.{1,4096}$/, 'a file'),
  },
  mediaRecordings: {
    env: 'STROWGER_MEDIA_RECORDINGS',
    flag: '--media-recordings',
    parse: matching(/^.{1,4096}$/, 'a folder'),
  },
  conferenceMax: {
    env: 'STROWGER_MAX_CONFERENCES',
    flag: '--max-conferences',
    parse: integerIn(1, MAX_CONFERENCES_LIMIT),
  },
  conferenceGainDb: {
    env: 'STROWGER_CONFERENCE_GAIN_DB',
    flag: '--conference-gain-db',
    parse: integerIn(...CONFERENCE_GAIN_RANGE),
  },
  conferenceFactoryNumber: {
    env: 'STROWGER_CONFERENCE_FACTORY_NUMBER',
    flag: '--conference-factory-number',
    parse: matching(DIALLED_NUMBER_PATTERN, 'a number of digits, * and #'),
  },
  conferenceRoomPrefix: {
    env: 'STROWGER_CONFERENCE_ROOM_PREFIX',
    flag: '--conference-room-prefix',
    parse: matching(DIALLED_NUMBER_PATTERN, 'a number of digits, * and #'),
  },
  conferenceCallingSearchSpace: {
    env: 'STROWGER_CONFERENCE_CSS',
    flag: '--conference-css',
    parse: matching(/^[A-Za-z0-9._-]{1,64}$/, 'a calling search space name'),
  },
  toneRegion: { env: 'STROWGER_TONE_REGION', flag: '--tone-region', parse: oneOfWords(TONE_REGIONS) },
  callFailureInband: {
    env: 'STROWGER_CALL_FAILURE_INBAND',
    flag: '--call-failure-inband',
    parse: oneOfWords(CALL_FAILURE_INBAND),
  },
  callFailureSeconds: {
    env: 'STROWGER_CALL_FAILURE_SECONDS',
    flag: '--call-failure-seconds',
    parse: integerIn(...CALL_FAILURE_SECONDS_RANGE),
  },
  notInServiceAnnouncement: {
    env: 'STROWGER_NOT_IN_SERVICE_ANNOUNCEMENT',
    flag: '--not-in-service-announcement',
    parse: matching(/^.{1,4096}$/, 'a file'),
  },
};

const SECRET_SETTINGS: ReadonlySet<string> = new Set(['adminToken', 'databaseUrl']);

/** Environment variables and flags this module reads, for help texts. */
export const NODE_SETTING_SOURCES: readonly { readonly env: string; readonly flag: string }[] = Object.values(
  settings,
).map(({ env, flag }) => ({ env, flag }));

/**
 * Merges the three sources and fills in defaults. Pure; never throws. An empty environment
 * variable counts as unset. Defaults: listeners bind to loopback unless an admin token is set
 * (then 0.0.0.0), SIP on UDP and TCP 5060, TLS and WebSocket off, HTTP 8080, TFTP 69 and
 * provisioning HTTP 6970, data in `./var`,
 * embedded store, log level info, registrations written back, media anchored on RTP ports 16384–32767 with a 30 s media
 * timeout and a generated MOH tone.
 */
export function resolveNodeSettings(sources: {
  readonly file?: NodeSettingsInput;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly flags?: NodeSettingsFlags;
}): NodeSettingsResult {
  const merged: Record<string, unknown> = { ...sources.file };
  const errors: string[] = [];
  const read = (key: string, source: string, raw: unknown, parse: Parser<unknown>) => {
    if (raw === undefined || raw === '') return;
    const text =
      typeof raw === 'string'
        ? raw
        : typeof raw === 'number' || typeof raw === 'boolean'
          ? String(raw)
          : undefined;
    const value = text === undefined ? { error: 'expected a string' } : parse(text);
    if (!isError(value)) {
      merged[key] = value;
      return;
    }
    // Tokens and database URLs (which may hold a password) are never echoed.
    const shown = SECRET_SETTINGS.has(key) ? '' : `, got ${JSON.stringify(String(raw)).slice(0, 80)}`;
    errors.push(`${source}: ${value.error}${shown}`);
  };
  for (const [key, setting] of Object.entries(settings))
    read(key, setting.env, sources.env?.[setting.env], setting.parse);
  for (const [key, setting] of Object.entries(settings)) {
    read(key, setting.flag, (sources.flags as Record<string, unknown> | undefined)?.[key], setting.parse);
  }
  if (errors.length > 0) return { ok: false, errors };

  const input = merged as NodeSettingsInput;
  const bind = input.bind ?? (input.adminToken ? '0.0.0.0' : '127.0.0.1');
  return {
    ok: true,
    settings: {
      bind,
      sip: {
        udp: input.sipUdpPort ?? 5060,
        tcp: input.sipTcpPort ?? 5060,
        tls: input.sipTlsPort ?? false,
        ws: input.sipWsPort ?? false,
        digestAlgorithms: input.digestAlgorithms ?? ['MD5'],
      },
      http: { port: input.httpPort ?? 8080, bind: input.httpBind ?? bind },
      provisioning: {
        tftpPort: input.tftpPort ?? 69,
        httpPort: input.provisioningHttpPort ?? 6970,
        files: input.provisioningFiles ?? null,
      },
      dataDir: input.dataDir ?? './var',
      databaseUrl: input.databaseUrl ?? null,
      adminToken: input.adminToken ?? null,
      logLevel: input.logLevel ?? 'info',
      registrar: { persistence: input.registrarPersistence ?? 'write-back' },
      media: {
        anchor: input.mediaAnchor ?? true,
        address: input.mediaAddress ?? null,
        portRange: input.mediaPortRange ?? DEFAULT_RTP_PORT_RANGE,
        workers: input.mediaWorkers ?? null,
        mediaTimeoutSeconds: input.mediaTimeoutSeconds ?? DEFAULT_MEDIA_TIMEOUT_SECONDS,
        musicOnHold: input.musicOnHold ?? null,
        ...(input.musicOnHoldG729 ? { musicOnHoldG729: input.musicOnHoldG729 } : {}),
        ...(input.mediaRecordings ? { recordings: input.mediaRecordings } : {}),
        conference: {
          maxConferences: input.conferenceMax ?? DEFAULT_MAX_CONFERENCES,
          gainDb: input.conferenceGainDb ?? DEFAULT_CONFERENCE_GAIN_DB,
          factoryNumber: input.conferenceFactoryNumber ?? null,
          roomPrefix: input.conferenceRoomPrefix ?? DEFAULT_ROOM_PREFIX,
          callingSearchSpace: input.conferenceCallingSearchSpace ?? null,
        },
        toneRegion: input.toneRegion ?? 'north-america',
        callFailure: {
          inband: input.callFailureInband ?? 'off',
          seconds: input.callFailureSeconds ?? DEFAULT_CALL_FAILURE_SECONDS,
          notInService: input.notInServiceAnnouncement ?? null,
        },
      },
    },
  };
}

function isError(value: unknown): value is { error: string } {
  return typeof value === 'object' && value !== null && 'error' in value;
}
