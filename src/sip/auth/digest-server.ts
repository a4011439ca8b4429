/**
 * The server side of SIP Digest authentication (RFC 3261 §22.1–§22.4 as updated by RFC 8760):
 * builds 401/407 challenges and verifies the credentials of the re-sent request.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { SipRequest } from '../message/types.js';
import { authScheme, isQuotable } from './auth-params.js';
import {
  type DigestAlgorithm,
  type DigestHashName,
  type DigestQop,
  digestHa1,
  digestHa2,
  digestResponse,
  hashOf,
  isSessionAlgorithm,
  parseDigestAlgorithm,
} from './digest-algorithm.js';
import { type DigestCredentials, formatDigestChallenge, parseDigestCredentials } from './digest-header.js';
import { digestUriMatches } from './digest-uri.js';
import { NonceCodec } from './nonce.js';
import { NonceCountWindow } from './nonce-count-window.js';
import { ownedText } from './owned-text.js';

export interface DigestServerOptions {
  realm: string;
  /** Offered in this order, one challenge each (RFC 8760 §2.4). Default SHA-256 then MD5. */
  algorithms?: readonly DigestAlgorithm[];
  /** Default the system clock. A `secret` shared between nodes needs a clock they share too. */
  clock?: Clock;
  /** How long a nonce is accepted; later it earns a `stale=true` challenge. Default 300 s. */
  nonceLifetimeMs?: number;
  /** HMAC key for nonces; random by default, so nonces do not survive a restart (clients then get stale=true). */
  secret?: Buffer;
  /** Nonces whose counts are tracked at once (bounded memory). Default 10,000. */
  maxNonces?: number;
  /** qop values offered. Default auth. */
  qop?: readonly DigestQop[];
  /** Accept credentials without qop (RFC 2069 clients). They carry no nonce count, so no replay check. */
  allowRfc2069?: boolean;
}

/** What the server keeps for a user: the password or H(username:realm:password) per hash. */
export type DigestSecret = { password: string } | { ha1: Partial<Record<DigestHashName, string>> };

/**
 * A user's secret. `hash` is the one the credentials use: a lookup that keeps HA1 forms (RFC 7616
 * §3.4.2) needs only that one.
 */
export type DigestLookup = (
  username: string,
  realm: string,
  hash: DigestHashName,
) => DigestSecret | undefined;

export interface DigestChallengeOptions {
  /** true for a proxy (407, Proxy-Authenticate), false for a UAS or registrar (401, WWW-Authenticate). */
  proxy: boolean;
  /** Set after `verify` returned 'stale': the client may retry without asking its user (RFC 7616 §3.3). */
  stale?: boolean;
}

export interface DigestChallengeHeaders {
  name: 'WWW-Authenticate' | 'Proxy-Authenticate';
  status: 401 | 407;
  /** One value per algorithm, each its own header field. */
  values: string[];
}

export interface DigestVerifyOptions {
  proxy: boolean;
  lookup: DigestLookup;
}

export type DigestRejection =
  | 'malformed'
  | 'realm'
  | 'algorithm'
  | 'qop'
  | 'uri'
  | 'unknown-user'
  | 'response'
  | 'replay';

export type DigestVerifyResult =
  | { status: 'ok'; username: string; algorithm: DigestAlgorithm }
  /** The response was right but the nonce expired or is not ours: re-challenge with stale=true. */
  | { status: 'stale'; username: string }
  | { status: 'invalid'; reason: DigestRejection; detail: string }
  /** No credentials for this realm: challenge. */
  | { status: 'missing' };

export interface DigestServer {
  readonly realm: string;
  challenge(options: DigestChallengeOptions): DigestChallengeHeaders;
  /** Never throws; every hostile input is a result. */
  verify(request: SipRequest, options: DigestVerifyOptions): DigestVerifyResult;
}

const DEFAULT_LIFETIME_MS = 300_000;
const DEFAULT_MAX_NONCES = 10_000;

function invalid(reason: DigestRejection, detail: string): DigestVerifyResult {
  return { status: 'invalid', reason, detail };
}

/**
 * Constant-time equality of two lower-case hex digests, so timing tells nothing about the
 * expected one: every character is compared, the differences gathered without a branch.
 */
function sameDigest(expected: string, received: string): boolean {
  if (expected.length !== received.length) return false;
  let difference = 0;
  for (let i = 0; i < expected.length; i++) difference |= expected.charCodeAt(i) ^ received.charCodeAt(i);
  return difference === 0;
}

/** Stands for the nonce in a challenge template: a base64url nonce never contains a space. */
const NONCE_MARK = ' nonce ';

/**
 * A formatted challenge's text before and after its nonce (quoted as is: no character needs
 * escaping). The last marker is the nonce's: only the realm, which comes before, is free text.
 */
function splitAtNonce(value: string): [string, string] {
  const at = value.lastIndexOf(NONCE_MARK);
  return [value.slice(0, at), value.slice(at + NONCE_MARK.length)];
}

/** Options are configuration: a bad one is a programming error and throws at creation. */
function validate(options: DigestServerOptions, algorithms: readonly DigestAlgorithm[]): void {
  if (options.realm === '' || !isQuotable(options.realm))
    throw new Error('Digest realm must be non-empty printable text');
  if (algorithms.length === 0) throw new Error('Digest server needs at least one algorithm');
  for (const algorithm of algorithms) {
    if (parseDigestAlgorithm(algorithm) !== algorithm)
      throw new Error(`Unsupported digest algorithm ${algorithm}`);
  }
  if (options.maxNonces !== undefined && !(options.maxNonces >= 1))
    throw new Error('maxNonces must be at least 1');
  if (options.nonceLifetimeMs !== undefined && !(options.nonceLifetimeMs > 0)) {
    throw new Error('nonceLifetimeMs must be positive');
  }
}

export function createDigestServer(options: DigestServerOptions): DigestServer {
  const algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
  validate(options, algorithms);
  const realm = options.realm;
  const clock = options.clock ?? systemClock;
  const lifetimeMs = options.nonceLifetimeMs ?? DEFAULT_LIFETIME_MS;
  const offeredQop = options.qop ?? ['auth'];
  const allowRfc2069 = options.allowRfc2069 ?? false;
  const nonces = new NonceCodec(options.secret ?? randomBytes(32), realm);
  const counts = new NonceCountWindow(options.maxNonces ?? DEFAULT_MAX_NONCES, lifetimeMs);

  // Only the nonce differs between two challenges: each value is written once around a marker,
  // per algorithm and stale flag, and a challenge joins the two halves around its nonce.
  const templates = (stale: boolean) =>
    algorithms.map((algorithm) =>
      splitAtNonce(
        formatDigestChallenge({
          realm,
          nonce: NONCE_MARK,
          algorithm,
          qop: [...offeredQop],
          stale,
          userhash: false,
        }),
      ),
    );
  const freshTemplates = templates(false);
  const staleTemplates = templates(true);

  // H(A2) of the last request verified without a body in it: the phones of a registrar all
  // send REGISTER to the same Request-URI, so one entry spares a hash on nearly every request.
  let lastA2 = { hash: '', method: '', uri: '', value: '' };
  function ha2Of(hash: DigestHashName, method: string, uri: string): string {
    if (lastA2.uri !== uri || lastA2.method !== method || lastA2.hash !== hash)
      lastA2 = { hash, method: ownedText(method), uri: ownedText(uri), value: digestHa2(hash, method, uri) };
    return lastA2.value;
  }

  function challenge({ proxy, stale = false }: DigestChallengeOptions): DigestChallengeHeaders {
    // One nonce serves every algorithm offered: the client answers only one of them.
    const nonce = nonces.issue(clock.now());
    const values: string[] = [];
    for (const [head, tail] of stale ? staleTemplates : freshTemplates) values.push(head + nonce + tail);
    return { name: proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate', status: proxy ? 407 : 401, values };
  }

  /**
   * RFC 3261 §22.3: several credentials may be present, one per realm; only ours count. A
   * proxy passes on credentials for other realms (they are for a proxy further on); a UAS
   * owns the only realm, so a foreign one is the client's error.
   */
  function findCredentials(request: SipRequest, proxy: boolean): DigestCredentials | DigestVerifyResult {
    const values = request.headers.getAll(proxy ? 'Proxy-Authorization' : 'Authorization');
    let firstProblem: DigestVerifyResult | undefined;
    for (const value of values) {
      // RFC 4475 §3.3.7: an unknown scheme is not ours to interpret; the request gets a challenge.
      if (authScheme(value).toLowerCase() !== 'digest') continue;
      const parsed = parseDigestCredentials(value);
      if (!parsed.ok) {
        firstProblem ??= invalid('malformed', parsed.error.message);
        continue;
      }
      if (parsed.value.realm === realm) return parsed.value;
      if (!proxy) firstProblem ??= invalid('realm', `Credentials for realm "${parsed.value.realm}"`);
    }
    return firstProblem ?? { status: 'missing' };
  }

  function verify(request: SipRequest, { proxy, lookup }: DigestVerifyOptions): DigestVerifyResult {
    const found = findCredentials(request, proxy);
    if ('status' in found) return found;
    const credentials = found;

    const algorithm = parseDigestAlgorithm(credentials.algorithm);
    if (algorithm === undefined || !algorithms.includes(algorithm)) {
      return invalid('algorithm', `Algorithm ${credentials.algorithm ?? 'MD5'} was not offered`);
    }
    if (credentials.userhash) return invalid('malformed', 'userhash was not offered');

    let qop: DigestQop | undefined;
    let nc = 0;
    if (credentials.qop !== undefined) {
      if (!offeredQop.includes(credentials.qop as DigestQop))
        return invalid('qop', `qop ${credentials.qop} was not offered`);
      qop = credentials.qop as DigestQop;
      // RFC 7616 §3.4: with qop, cnonce and nc are mandatory; counting starts at 1.
      if (credentials.cnonce === undefined || credentials.cnonce === '')
        return invalid('qop', 'qop without cnonce');
      if (credentials.nc === undefined) return invalid('qop', 'qop without nc');
      nc = Number.parseInt(credentials.nc, 16);
      if (nc === 0) return invalid('qop', 'nc must start at 1');
    } else if (!allowRfc2069) {
      return invalid('qop', 'Credentials without qop are not accepted');
    } else if (isSessionAlgorithm(algorithm)) {
      return invalid('qop', `${algorithm} needs a cnonce`);
    }

    // RFC 2617 §3.2.2.5: the digest must be for the resource in the Request-Line.
    if (!digestUriMatches(credentials.uri, request.uri)) return invalid('uri', 'uri is not the Request-URI');

    const hash = hashOf(algorithm);
    const secret = lookup(credentials.username, realm, hash);
    if (secret === undefined) return invalid('unknown-user', `No user "${credentials.username}"`);
    const ha1 =
      'password' in secret ? digestHa1(hash, credentials.username, realm, secret.password) : secret.ha1[hash];
    if (ha1 === undefined) return invalid('algorithm', `No ${hash} secret for "${credentials.username}"`);

    const expected = digestResponse({
      algorithm,
      ha1: ha1.toLowerCase(),
      nonce: credentials.nonce,
      method: request.method,
      uri: credentials.uri,
      qop,
      nc: credentials.nc,
      cnonce: credentials.cnonce,
      body: request.body,
      ha2: qop === 'auth-int' ? undefined : ha2Of(hash, request.method, credentials.uri),
    });
    if (!sameDigest(expected, credentials.response)) return invalid('response', 'Wrong response (password?)');

    // RFC 7616 §3.3: stale when the response is valid for a nonce we no longer accept.
    const now = clock.now();
    // A nonce with a count record passed the HMAC check already; skip recomputing it.
    const issuedAt = counts.issuedAtOf(credentials.nonce) ?? nonces.issuedAt(credentials.nonce);
    if (issuedAt === undefined || issuedAt > now || now - issuedAt > lifetimeMs) {
      return { status: 'stale', username: credentials.username };
    }
    if (qop !== undefined) {
      const verdict = counts.check(credentials.nonce, issuedAt, nc, now);
      if (verdict === 'replay')
        return invalid('replay', `nc ${credentials.nc} was already used with this nonce`);
      if (verdict === 'forgotten') return { status: 'stale', username: credentials.username };
    }
    return { status: 'ok', username: credentials.username, algorithm };
  }

  return { realm, challenge, verify };
}
