/** The shape of `strowger.yaml`, as decoders. Documented in docs/configuration.md. */

import { LOG_LEVELS } from './configuration.js';
import { ADMIN_TOKEN_PATTERN, DATABASE_URL_PATTERN, HOST_PATTERN } from './node-settings.js';
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
const description = text({ max: 200 });
const port = orFalse(integer(0, 65535));
const host = text({ max: 255, pattern: HOST_PATTERN, hint: 'a host name or IP address' });

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
    object({ udp: optional(port), tcp: optional(port), tls: optional(port), ws: optional(port) }),
  ),
  http: optional(object({ port: optional(port), bind: optional(host) })),
  provisioning: optional(object({ tftpPort: optional(port), httpPort: optional(port) })),
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
});

const user = object({ userid: required(userid), name: optional(text({ max: 128 }), '') });

const line = object({
  dn: required(directoryNumber),
  partition: required(name),
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

export const fileSchema = object({
  node: optional(nodeSection),
  registrar: section(registrarSection),
  partitions: section(list(partition)),
  callingSearchSpaces: section(list(callingSearchSpace)),
  devicePools: section(list(devicePool)),
  users: section(list(user)),
  lines: section(list(line)),
  phones: section(list(phone)),
});

export type RawFile = DecoderOutput<typeof fileSchema>;
