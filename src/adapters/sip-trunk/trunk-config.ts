/**
 * A SIP trunk to a carrier as configured (CME `sip-ua`, `sip-server`, `registrar`, ephone-dn
 * `no-reg`, `voice class codec`, `supplementary-service sip …`), and its checked, defaulted form.
 */
import type { Uri } from '../../sip/index.js';
import { carrierUri } from './carrier-uri.js';
import { parseSourceRule, type SourceRule } from './source-allow-list.js';

export interface TrunkConfig {
  /** Unique name; dial-plan destinations `{ kind: 'trunk', name }` refer to it. */
  readonly name: string;
  /**
   * The carrier's proxy (`sip-server`): `dns:domain.test.com`, `ipv4:192.0.2.10[:port]` or a SIP
   * URI such as `sip:domain.test.com;transport=tcp`. Resolved per RFC 3263 into ordered targets.
   */
  readonly proxy: string;
  /** Outbound registration (`registrar dns:… expires 3600`); absent: no number is registered. */
  readonly registrar?: TrunkRegistrarConfig;
  /** `authentication username … password …`: answers the carrier's 401/407 challenges. */
  readonly credentials?: TrunkCredentials;
  /** The carrier's numbers (DIDs) behind this trunk, E.164 digits. */
  readonly numbers?: readonly TrunkNumberConfig[];
  /** OPTIONS keepalive toward the proxy targets; `false` turns it off (the trunk is then assumed up). */
  readonly optionsKeepalive?: OptionsKeepaliveConfig | false;
  /** `retry invite 2`: kept for the call handling. Default 2. */
  readonly inviteRetries?: number;
  /**
   * Addresses or CIDR blocks requests from the carrier come from (`203.0.113.0/24`,
   * `2001:db8::/32`, `198.51.100.7`). Default: the resolved proxy addresses.
   */
  readonly allowedSources?: readonly string[];
  /** Codec preference (`voice class codec`: `g711ulaw`, `g729` …), kept for the call handling. */
  readonly codecs?: readonly string[];
  /** `host-registrar`: the registrar domain is the host of our URIs toward the carrier (R-TRUNK-11). */
  readonly hostRegistrar?: boolean;
  /** `supplementary-service sip refer | moved-temporarily`, kept for the call handling. Both default true. */
  readonly supplementary?: { readonly refer?: boolean; readonly movedTemporarily?: boolean };
  /** `dtmf-relay rtp-nte | sip-notify | sip-info | inband`, kept for the call handling. */
  readonly dtmfRelay?: string;
}

export interface TrunkRegistrarConfig {
  /** `dns:domain.test.com`, `ipv4:…` or a SIP URI; the Request-URI of REGISTER (RFC 3261 §10.2). */
  readonly uri: string;
  /** Seconds asked for in Expires. Default 3600. */
  readonly expires?: number;
  /** `retry register 10`: seconds before the first retry after a failure (then doubled, bounded). Default 10. */
  readonly retryRegisterSeconds?: number;
}

export interface TrunkCredentials {
  /** The account (`authentication username`): digest username, and the user of our OPTIONS From. */
  readonly username: string;
  readonly password: string;
  /** Digest username when the carrier wants one other than `username`. */
  readonly authUsername?: string;
  /** Answer only challenges of this realm, so the password goes nowhere else. */
  readonly realm?: string;
}

export interface TrunkNumberConfig {
  /** E.164 digits, optionally with a leading `+`. */
  readonly number: string;
  /** `false` for ephone-dn `no-reg`: the number is never registered. Default true. */
  readonly register?: boolean;
}

export interface OptionsKeepaliveConfig {
  /** Seconds between probes. Default 60. */
  readonly intervalSeconds?: number;
  /** Consecutive failed probes (timeout, 408, 5xx) that take an in-service trunk out of service. Default 3. */
  readonly failuresBeforeOutOfService?: number;
  /** `retry options 0`: OPTIONS sent again at once after a failed one before the probe counts as failed. Default 0. */
  readonly retries?: number;
}

/** A trunk after checking: URIs parsed, defaults filled in. */
export interface ResolvedTrunkConfig {
  readonly name: string;
  readonly proxy: Uri;
  readonly registrar:
    | { readonly uri: Uri; readonly expires: number; readonly retryRegisterSeconds: number }
    | undefined;
  readonly credentials: TrunkCredentials | undefined;
  readonly numbers: readonly { readonly number: string; readonly register: boolean }[];
  readonly keepalive:
    | { readonly intervalMs: number; readonly failuresBeforeOutOfService: number; readonly retries: number }
    | undefined;
  /** Configured source rules; undefined means "the resolved proxy addresses". */
  readonly allowedSources: readonly SourceRule[] | undefined;
  /** The configuration as given, for the call handling's data (codecs, supplementary, inviteRetries …). */
  readonly config: TrunkConfig;
}

export const TRUNK_DEFAULTS = {
  expires: 3600,
  retryRegisterSeconds: 10,
  keepaliveIntervalSeconds: 60,
  failuresBeforeOutOfService: 3,
  optionsRetries: 0,
  inviteRetries: 2,
} as const;

/** RFC 3261 §25.1 delta-seconds fit 2^32-1; a week is already more than any carrier grants. */
const MAX_EXPIRES = 604_800;
const MAX_RETRY_SECONDS = 3600;
const MAX_KEEPALIVE_SECONDS = 86_400;
const MAX_COUNT = 10;
const MAX_NUMBERS = 10_000;
const E164 = /^\+?[0-9]{1,15}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * Checks one trunk and fills in its defaults. Never throws: configuration arrives from files
 * and the API, so every problem is reported as a sentence naming the field.
 */
export function resolveTrunkConfig(
  config: TrunkConfig,
): { ok: true; value: ResolvedTrunkConfig } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const at = (field: string, problem: string) =>
    errors.push(`trunk ${config.name || '?'}: ${field} ${problem}`);
  if (typeof config.name !== 'string' || config.name.trim() === '') at('name', 'must be a non-empty string');
  const proxy = typeof config.proxy === 'string' ? carrierUri(config.proxy) : undefined;
  if (!proxy) at('proxy', 'must be dns:<name>, ipv4:<address> or a sip:/sips: URI');

  let registrar: ResolvedTrunkConfig['registrar'];
  if (config.registrar !== undefined && !isRecord(config.registrar)) at('registrar', 'must be an object');
  else if (config.registrar !== undefined) {
    const uri = typeof config.registrar.uri === 'string' ? carrierUri(config.registrar.uri) : undefined;
    const expires = config.registrar.expires ?? TRUNK_DEFAULTS.expires;
    const retry = config.registrar.retryRegisterSeconds ?? TRUNK_DEFAULTS.retryRegisterSeconds;
    if (!uri) at('registrar.uri', 'must be dns:<name>, ipv4:<address> or a sip:/sips: URI');
    if (!isIntegerIn(expires, 1, MAX_EXPIRES))
      at('registrar.expires', `must be an integer 1..${MAX_EXPIRES}`);
    if (!isIntegerIn(retry, 1, MAX_RETRY_SECONDS))
      at('registrar.retryRegisterSeconds', `must be an integer 1..${MAX_RETRY_SECONDS}`);
    if (uri) registrar = { uri, expires, retryRegisterSeconds: retry };
  }

  const credentials = config.credentials;
  if (credentials !== undefined && !isRecord(credentials)) at('credentials', 'must be an object');
  else if (credentials !== undefined) {
    if (typeof credentials.username !== 'string' || credentials.username === '')
      at('credentials.username', 'must be a non-empty string');
    if (typeof credentials.password !== 'string') at('credentials.password', 'must be a string');
  }

  const numbers: { number: string; register: boolean }[] = [];
  const seen = new Set<string>();
  const configuredNumbers = Array.isArray(config.numbers) ? config.numbers : [];
  if (config.numbers !== undefined && !Array.isArray(config.numbers)) at('numbers', 'must be a list');
  if (configuredNumbers.length > MAX_NUMBERS) at('numbers', `must list at most ${MAX_NUMBERS} numbers`);
  for (const [index, entry] of configuredNumbers.slice(0, MAX_NUMBERS).entries()) {
    if (!isRecord(entry) || typeof entry.number !== 'string' || !E164.test(entry.number)) {
      at(`numbers[${index}].number`, 'must be E.164 digits (1 to 15, optional leading +)');
    } else if (seen.has(entry.number)) {
      at(`numbers[${index}].number`, `repeats ${entry.number}`);
    } else {
      seen.add(entry.number);
      numbers.push({ number: entry.number, register: entry.register !== false });
    }
  }
  let keepalive: ResolvedTrunkConfig['keepalive'];
  if (config.optionsKeepalive !== false) {
    const options: OptionsKeepaliveConfig = isRecord(config.optionsKeepalive) ? config.optionsKeepalive : {};
    const interval = options.intervalSeconds ?? TRUNK_DEFAULTS.keepaliveIntervalSeconds;
    const failures = options.failuresBeforeOutOfService ?? TRUNK_DEFAULTS.failuresBeforeOutOfService;
    const retries = options.retries ?? TRUNK_DEFAULTS.optionsRetries;
    if (!isIntegerIn(interval, 1, MAX_KEEPALIVE_SECONDS))
      at('optionsKeepalive.intervalSeconds', `must be an integer 1..${MAX_KEEPALIVE_SECONDS}`);
    if (!isIntegerIn(failures, 1, MAX_COUNT))
      at('optionsKeepalive.failuresBeforeOutOfService', `must be an integer 1..${MAX_COUNT}`);
    if (!isIntegerIn(retries, 0, MAX_COUNT))
      at('optionsKeepalive.retries', `must be an integer 0..${MAX_COUNT}`);
    keepalive = { intervalMs: interval * 1000, failuresBeforeOutOfService: failures, retries };
  }
  if (config.inviteRetries !== undefined && !isIntegerIn(config.inviteRetries, 0, MAX_COUNT))
    at('inviteRetries', `must be an integer 0..${MAX_COUNT}`);

  let allowedSources: SourceRule[] | undefined;
  if (config.allowedSources !== undefined && !Array.isArray(config.allowedSources))
    at('allowedSources', 'must be a list');
  else if (config.allowedSources !== undefined) {
    allowedSources = [];
    for (const [index, text] of config.allowedSources.entries()) {
      const rule = typeof text === 'string' ? parseSourceRule(text) : undefined;
      if (rule) allowedSources.push(rule);
      else at(`allowedSources[${index}]`, 'must be an IPv4/IPv6 address or CIDR block');
    }
  }

  if (errors.length > 0 || !proxy) return { ok: false, errors };
  return {
    ok: true,
    value: { name: config.name, proxy, registrar, credentials, numbers, keepalive, allowedSources, config },
  };
}

/** Problems with a whole `trunks:` list: each trunk's own, and repeated names. */
export function checkTrunkConfigs(configs: readonly TrunkConfig[]): string[] {
  const errors: string[] = [];
  const names = new Set<string>();
  for (const config of configs) {
    const resolved = resolveTrunkConfig(config);
    if (!resolved.ok) errors.push(...resolved.errors);
    if (names.has(config.name)) errors.push(`trunk ${config.name}: name is used by another trunk`);
    names.add(config.name);
  }
  return errors;
}
