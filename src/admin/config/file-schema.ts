/** The shape of `strowger.yaml`, as decoders. Documented in docs/configuration.md. */

import {
  CALL_FAILURE_INBAND,
  CODECS,
  DIGEST_ALGORITHM_NAMES,
  DTMF_RELAYS,
  LOG_LEVELS,
  PILOT_KINDS,
  REGISTRAR_PERSISTENCE_MODES,
  TONE_REGIONS,
} from './configuration.js';
import { checkWithLibrary, destinationPattern, wildcardPattern } from './dial-plan-syntax.js';
import {
  ADMIN_TOKEN_PATTERN,
  CALL_FAILURE_SECONDS_RANGE,
  CONFERENCE_GAIN_RANGE,
  DATABASE_URL_PATTERN,
  DIALLED_NUMBER_PATTERN,
  HOST_PATTERN,
  isPortRange,
  MAX_CONFERENCES_LIMIT,
  MIN_RTP_PORT,
} from './node-settings.js';
import {
  boolean,
  type Decoder,
  type DecoderOutput,
  INVALID,
  integer,
  list,
  object,
  oneOf,
  optional,
  orFalse,
  refine,
  required,
  section,
  text,
} from './yaml-decoder.js';

const name = text({
  max: 50,
  pattern: /^[A-Za-z0-9_][A-Za-z0-9._-]*$/,
  hint: 'a name (letters, digits, . _ -)',
});
const userid = text({
  max: 128,
  pattern: /^[A-Za-z0-9_][A-Za-z0-9._@-]*$/,
  hint: 'a user id (letters, digits, . _ @ -)',
});
const directoryNumber = text({
  max: 32,
  pattern: /^\+?[0-9*#]+$/,
  hint: 'a directory number (digits, * and #, optionally a leading +)',
});
/** A line's own number may hold X wildcards: an MWI control DN (`8000XXX`, CME `8000...`). */
const lineNumber = text({
  max: 32,
  pattern: /^\+?[0-9*#X]+$/,
  hint: 'a directory number (digits, * and #, optionally a leading +; X for MWI control DNs)',
});
const description = text({ max: 200 });
const port = orFalse(integer(0, 65535));
const host = text({ max: 255, pattern: HOST_PATTERN, hint: 'a host name or IP address' });
const dialledNumber = text({ max: 33, pattern: DIALLED_NUMBER_PATTERN, hint: 'a number of digits, * and #' });

/** Cisco device names carry the MAC: `SEP` and 12 upper-case hex digits (`SEP0008A37128E9`). */
const deviceName: Decoder<string> = (node, path, context) => {
  const value = name(node, path, context);
  if (value !== INVALID && /^sep/i.test(value) && !/^SEP[0-9A-F]{12}$/.test(value)) {
    context.errorAtNode(
      node,
      path,
      `"${value}" is not SEP followed by the 12 upper-case hex digits of a MAC address`,
    );
    return INVALID;
  }
  return value;
};

const nodeSection = object({
  bind: optional(host),
  sip: optional(
    object({
      udp: optional(port),
      tcp: optional(port),
      tls: optional(port),
      ws: optional(port),
      digestAlgorithms: optional(list(oneOf(DIGEST_ALGORITHM_NAMES), { max: 2 })),
    }),
  ),
  http: optional(object({ port: optional(port), bind: optional(host) })),
  provisioning: optional(
    object({
      tftpPort: optional(port),
      httpPort: optional(port),
      /** Firmware loads, ring lists and other static files served beside the generated ones. */
      files: optional(text({ max: 4096 })),
    }),
  ),
  dataDir: optional(text({ max: 4096 })),
  database: optional(
    object({
      url: optional(
        text({ max: 4096, pattern: DATABASE_URL_PATTERN, secret: true, hint: 'a postgres:// URL' }),
      ),
    }),
  ),
  adminToken: optional(
    text({
      max: 512,
      pattern: ADMIN_TOKEN_PATTERN,
      secret: true,
      hint: 'a token of at least 16 characters without spaces',
    }),
  ),
  logLevel: optional(oneOf(LOG_LEVELS)),
  /** How registrations are persisted (docs/configuration.md, "Registrar"). */
  registrar: optional(object({ persistence: optional(oneOf(REGISTRAR_PERSISTENCE_MODES)) })),
  /** RTP anchoring of calls (docs/media.md); `anchor: off` passes media end to end. */
  media: optional(
    object({
      anchor: optional(oneOf(['on', 'off'])),
      address: optional(host),
      portRange: optional(
        refine(list(integer(MIN_RTP_PORT, 65535), { max: 2 }), (range, node, path, context) => {
          if (isPortRange(range)) return true;
          context.errorAtNode(node, path, 'expected [first, last] with first below last');
          return false;
        }),
      ),
      workers: optional(integer(0, 64)),
      mediaTimeoutSeconds: optional(integer(0, 3600)),
      musicOnHold: optional(
        object({ default: optional(text({ max: 4096 })), g729: optional(text({ max: 4096 })) }),
      ),
      /** Folder of call recordings (default `<dataDir>/recordings`). */
      recordings: optional(text({ max: 4096 })),
      /** Ad hoc and meet-me conferences (CME `max-conferences 12 gain -6`). */
      conference: optional(
        object({
          maxConferences: optional(integer(1, MAX_CONFERENCES_LIMIT)),
          gainDb: optional(integer(...CONFERENCE_GAIN_RANGE)),
          factoryNumber: optional(dialledNumber),
          roomPrefix: optional(dialledNumber),
          callingSearchSpace: optional(name),
        }),
      ),
      /** Generated call-progress tones: North American (default) or ITU-T E.180. */
      toneRegion: optional(oneOf(TONE_REGIONS)),
      /** Tones for callers whose call fails (docs/media.md, "Call failure tones"). */
      callFailure: optional(
        object({
          inband: optional(oneOf(CALL_FAILURE_INBAND)),
          seconds: optional(integer(...CALL_FAILURE_SECONDS_RANGE)),
          notInService: optional(text({ max: 4096 })),
        }),
      ),
    }),
  ),
  /** Admission of phones to this node (R-REG-02, R-REG-21 and the seed's max-phones). */
  phones: optional(
    object({
      maxPhones: optional(integer(1, 100_000)),
      /** The seed's StationKeepaliveInterval: 30 s by default, at most 1000 (R-REG-21). */
      keepaliveSeconds: optional(integer(1, 1000)),
      autoRegistration: optional(
        object({
          enabled: optional(boolean, false),
          account: required(
            object({
              username: required(text({ max: 128, pattern: /^[A-Za-z0-9._@-]+$/, hint: 'a SIP user name' })),
              password: required(
                text({ max: 128, pattern: /^.+$/, hint: 'a non-empty password', secret: true }),
              ),
            }),
          ),
          directoryNumbers: required(
            object({ first: required(directoryNumber), last: required(directoryNumber) }),
          ),
          partition: required(name),
          devicePool: optional(name),
          callingSearchSpace: optional(name),
        }),
      ),
    }),
  ),
});

/**
 * CME `registrar server expires max 600–86400 min`; min is bounded to 60–3600 here. An omitted
 * default is 3600 brought within min–max.
 */
const registrarSection = object({
  expires: required(
    object({
      default: optional(integer(60, 86400)),
      min: optional(integer(60, 3600), 60),
      max: optional(integer(600, 86400), 3600),
    }),
  ),
});

const partition = object({ name: required(name), description: optional(description, '') });

const callingSearchSpace = object({
  name: required(name),
  description: optional(description, ''),
  partitions: required(list(name, { max: 64 })),
});

const devicePool = object({
  name: required(name),
  description: optional(description, ''),
  region: optional(name),
  callManagerGroup: optional(list(host, { max: 3 }), []),
  mohSource: optional(text({ max: 64 })),
  locale: optional(text({ max: 64 })),
  /** The call-progress tones its phones hear (CUCM's network locale); the node's when left out. */
  toneRegion: optional(oneOf(TONE_REGIONS)),
});

const user = object({ userid: required(userid), name: optional(text({ max: 128 }), '') });

const line = object({
  dn: required(lineNumber),
  partition: required(name),
  secondary: optional(directoryNumber),
  noReg: optional(oneOf(['primary', 'both'] as const)),
  dualLine: optional(boolean, false),
  mwiControl: optional(oneOf(['on', 'off'] as const)),
  displayName: optional(text({ max: 64 }), ''),
  description: optional(description, ''),
  forward: optional(
    object({
      all: optional(directoryNumber),
      busy: optional(directoryNumber),
      noAnswer: optional(directoryNumber),
      noAnswerTimeout: optional(integer(1, 300)),
    }),
  ),
  voicemail: optional(directoryNumber),
  mwi: optional(boolean, true),
});

const lineAppearance = object({
  dn: required(directoryNumber),
  partition: optional(name),
  button: optional(integer(1, 64)),
  label: optional(text({ max: 64 })),
});

const phone = object({
  name: required(deviceName),
  model: required(text({ max: 64 })),
  protocol: optional(oneOf(['sip', 'sccp'] as const), 'sip'),
  description: optional(description, ''),
  devicePool: optional(name),
  callingSearchSpace: optional(name),
  owner: optional(userid),
  sip: optional(
    object({
      username: required(text({ max: 64, pattern: /^[A-Za-z0-9._+-]+$/, hint: 'a SIP user name' })),
      password: required(text({ max: 128, pattern: /^.+$/, hint: 'a non-empty password' })),
    }),
  ),
  lines: optional(list(lineAppearance, { max: 64 }), []),
});

// --- dial plan ------------------------------------------------------------------------------

/** IOS names translation profiles freely (`CUE_Voicemail/AutoAttendant`). */
const profileName = text({
  max: 64,
  pattern: /^[A-Za-z0-9_][A-Za-z0-9._/-]*$/,
  hint: 'a profile name (letters, digits, . _ / -)',
});
const ruleSetId = integer(1, 2_147_483_647);

/** IOS `voice translation-rule`: at most 15 rules. */
export const MAX_RULES_PER_SET = 15;

const translationRule = refine(
  object({
    precedence: required(integer(1, 100)),
    match: required(text({ max: 128 })),
    replace: optional(text({ max: 128 })),
    reject: optional(boolean, false),
  }),
  (rule, node, path, context) =>
    checkWithLibrary(
      { translationRules: [{ id: 1, rules: [rule] }] },
      'translationRules[0].rules[0]',
      node,
      path,
      context,
    ),
);

const translationRuleSet = object({
  id: required(ruleSetId),
  rules: required(list(translationRule, { max: MAX_RULES_PER_SET })),
});

const translationProfile = object({
  name: required(profileName),
  called: optional(ruleSetId),
  calling: optional(ruleSetId),
  redirectTarget: optional(ruleSetId),
  redirectCalled: optional(ruleSetId),
});

const partyTransform = object({
  discard: optional(oneOf(['predot'] as const)),
  mask: optional(text({ max: 32 })),
  prefix: optional(text({ max: 32 })),
});

const dialPeer = refine(
  object({
    tag: required(integer(1, 2_147_483_647)),
    kind: optional(oneOf(['voip', 'pots'] as const), 'voip'),
    description: optional(description, ''),
    destinationPattern: optional(destinationPattern),
    incomingCalledNumber: optional(destinationPattern),
    answerAddress: optional(destinationPattern),
    preference: optional(integer(0, 10), 0),
    sessionTarget: optional(text({ max: 300 })),
    trunk: optional(name),
    port: optional(text({ max: 32 })),
    translationProfile: optional(
      object({ incoming: optional(profileName), outgoing: optional(profileName) }),
    ),
    digitStrip: optional(boolean),
    forwardDigits: optional(integer(0, 32)),
    prefix: optional(text({ max: 32 })),
    codecs: optional(list(oneOf(CODECS), { max: 8 }), []),
    dtmfRelay: optional(list(oneOf(DTMF_RELAYS), { max: 4 }), []),
    b2bua: optional(boolean, false),
    vad: optional(boolean, true),
  }),
  (peer, node, path, context) => {
    // Profiles are references (checked with the other references); the rest is the library's.
    const {
      translationProfile: _profiles,
      trunk,
      codecs: _c,
      dtmfRelay: _d,
      b2bua: _b,
      vad: _v,
      ...rest
    } = peer;
    const sessionTarget = rest.sessionTarget ?? (trunk === undefined ? undefined : 'sip-server');
    return checkWithLibrary(
      { dialPeers: [sessionTarget === undefined ? rest : { ...rest, sessionTarget }] },
      'dialPeers[0]',
      node,
      path,
      context,
    );
  },
);

const routePattern = refine(
  object({
    pattern: required(wildcardPattern),
    partition: optional(name),
    description: optional(description, ''),
    trunk: optional(name),
    pilot: optional(name),
    blocked: optional(boolean, false),
    reason: optional(text({ max: 200 })),
    called: optional(partyTransform),
    calling: optional(partyTransform),
  }),
  ({ pattern, called, calling }, node, path, context) =>
    checkWithLibrary(
      { routePatterns: [{ pattern, target: { kind: 'blocked' }, called, calling }] },
      'routePatterns[0]',
      node,
      path,
      context,
    ),
);

const translationPattern = refine(
  object({
    pattern: required(wildcardPattern),
    partition: optional(name),
    description: optional(description, ''),
    callingSearchSpace: optional(name),
    blocked: optional(boolean, false),
    called: optional(partyTransform),
    calling: optional(partyTransform),
  }),
  ({ pattern, called, calling }, node, path, context) =>
    checkWithLibrary(
      { translationPatterns: [{ pattern, called, calling }] },
      'translationPatterns[0]',
      node,
      path,
      context,
    ),
);

/** An IPv4 or IPv6 address, optionally with a prefix length. */
const sourceAddress = text({
  max: 64,
  pattern: /^(?:\d{1,3}(?:\.\d{1,3}){3}(?:\/\d{1,2})?|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(?:\/\d{1,3})?)$/,
  hint: 'an IP address or prefix (192.0.2.0/24, 2001:db8::/32)',
});

/** `dns:name[:port]`, `ipv4:address[:port]`, `ipv6:[address][:port]` or a SIP URI. */
const carrierAddress = text({
  max: 255,
  pattern:
    /^(?:dns:[A-Za-z0-9.-]+(?::\d{1,5})?|ipv4:\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?|ipv6:\[[0-9A-Fa-f:.]+\](?::\d{1,5})?|sips?:\S+)$/,
  hint: 'dns:<name>, ipv4:<address>, ipv6:[<address>] (each with an optional :port) or a sip:/sips: URI',
});

/** The trunk adapter's `TrunkConfig` (src/adapters/sip-trunk), with its ranges. */
const trunk = object({
  name: required(name),
  description: optional(description, ''),
  proxy: required(carrierAddress),
  registrar: optional(
    object({
      uri: required(carrierAddress),
      expires: optional(integer(1, 604_800)),
      retryRegisterSeconds: optional(integer(1, 3600)),
    }),
  ),
  credentials: optional(
    object({
      username: required(text({ max: 64, pattern: /^\S+$/, hint: 'a user name without spaces' })),
      password: required(text({ max: 128, pattern: /^.+$/, hint: 'a non-empty password', secret: true })),
      authUsername: optional(text({ max: 64, pattern: /^\S+$/, hint: 'a user name without spaces' })),
      realm: optional(text({ max: 128 })),
    }),
  ),
  numbers: optional(
    list(
      object({
        number: required(
          text({ max: 16, pattern: /^\+?[0-9]{1,15}$/, hint: 'E.164 digits (1 to 15, optional leading +)' }),
        ),
        register: optional(boolean, true),
      }),
      { max: 10_000 },
    ),
    [],
  ),
  optionsKeepalive: optional(
    orFalse(
      object({
        intervalSeconds: optional(integer(1, 86_400)),
        failuresBeforeOutOfService: optional(integer(1, 10)),
        retries: optional(integer(0, 10)),
      }),
    ),
    { intervalSeconds: undefined, failuresBeforeOutOfService: undefined, retries: undefined },
  ),
  inviteRetries: optional(integer(0, 10)),
  allowedSources: optional(list(sourceAddress, { max: 64 })),
  codecs: optional(list(oneOf(CODECS), { max: 8 })),
  hostRegistrar: optional(boolean, false),
  supplementary: optional(
    object({ refer: optional(boolean, true), movedTemporarily: optional(boolean, true) }),
    { refer: true, movedTemporarily: true },
  ),
  dtmfRelay: optional(oneOf(DTMF_RELAYS), 'rtp-nte'),
  remotePartyId: optional(boolean, true),
  callingSearchSpace: optional(name),
});

const pilot = object({
  name: required(name),
  kind: required(oneOf(PILOT_KINDS)),
  number: required(directoryNumber),
  destination: required(
    text({
      max: 255,
      pattern: /^(?:sips?:[^\s@]+@[^\s]+|(?:ipv4|ipv6|dns):\S+)$/,
      hint: 'a SIP URI (sip:600@192.0.2.5) or a session target (ipv4:192.0.2.5)',
    }),
  ),
  description: optional(description, ''),
});

export const fileSchema = object({
  node: optional(nodeSection),
  registrar: section(registrarSection),
  partitions: section(list(partition)),
  callingSearchSpaces: section(list(callingSearchSpace)),
  devicePools: section(list(devicePool)),
  users: section(list(user)),
  lines: section(list(line)),
  phones: section(list(phone)),
  translationRules: section(list(translationRuleSet)),
  translationProfiles: section(list(translationProfile)),
  trunks: section(list(trunk)),
  pilots: section(list(pilot)),
  dialPeers: section(list(dialPeer)),
  routePatterns: section(list(routePattern)),
  translationPatterns: section(list(translationPattern)),
});

export type RawFile = DecoderOutput<typeof fileSchema>;
