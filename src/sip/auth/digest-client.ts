/**
 * The client side of SIP Digest authentication (RFC 3261 §22.2–§22.3, RFC 8760): answers a
 * 401/407 challenge, as a trunk registering with a carrier or a UA placing a call does.
 */
import { randomBytes } from 'node:crypto';
import { formatUri } from '../message/index.js';
import type { Result, SipHeaders, SipParseError, SipRequest } from '../message/types.js';
import { isQuotable } from './auth-params.js';
import {
  DIGEST_ALGORITHMS_BY_STRENGTH,
  type DigestAlgorithm,
  type DigestQop,
  digestHa1,
  digestResponse,
  digestUserhash,
  hashOf,
  isSessionAlgorithm,
  parseDigestAlgorithm,
} from './digest-algorithm.js';
import {
  type DigestChallenge,
  type DigestCredentials,
  formatDigestCredentials,
  parseDigestChallenge,
} from './digest-header.js';

/**
 * Nonce counts per nonce (RFC 7616 §3.4: nc counts the requests sent with one nonce). Keep one
 * per account; it remembers the few most recent nonces only.
 */
export class DigestNonceCounter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly maxNonces = 16) {}

  /** The nc for the next request with this nonce: 1, 2, 3, … */
  next(nonce: string): number {
    const count = (this.counts.get(nonce) ?? 0) + 1;
    // Delete and re-insert so that the map's order is least recently used first.
    this.counts.delete(nonce);
    this.counts.set(nonce, count);
    if (this.counts.size > this.maxNonces) {
      const oldest = this.counts.keys().next();
      if (!oldest.done) this.counts.delete(oldest.value);
    }
    return count;
  }
}

export interface DigestAnswerInput {
  /** WWW-Authenticate or Proxy-Authenticate values, one challenge each. */
  challenges: string | readonly string[];
  method: string;
  /** The Request-URI as it will be sent. */
  uri: string;
  username: string;
  password: string;
  /** Needed for qop=auth-int. */
  body?: Buffer | string;
  /** Answer only a challenge of this realm. */
  realm?: string;
  /** Counts nonce use; without one, every answer uses nc=00000001. */
  counter?: DigestNonceCounter;
  /** Fixed client nonce, for reproducible tests; fresh random otherwise. */
  cnonce?: string;
}

export interface DigestAnswer {
  /** The Authorization / Proxy-Authorization value. */
  value: string;
  realm: string;
  algorithm: DigestAlgorithm;
}

function failure(rule: string, message: string): { ok: false; error: SipParseError } {
  return { ok: false, error: { rule, message } };
}

interface Candidate {
  challenge: DigestChallenge;
  algorithm: DigestAlgorithm;
  qop: DigestQop | undefined;
}

/** RFC 7616 §3.4: prefer auth, use auth-int when it is all that is offered, none for RFC 2069 servers. */
function chooseQop(offered: readonly string[]): DigestQop | undefined | null {
  if (offered.length === 0) return undefined;
  if (offered.includes('auth')) return 'auth';
  if (offered.includes('auth-int')) return 'auth-int';
  return null;
}

function strength(algorithm: DigestAlgorithm): number {
  return DIGEST_ALGORITHMS_BY_STRENGTH.indexOf(algorithm);
}

/**
 * The strongest challenge we can answer. RFC 8760 §2.4 has a UAC take the topmost supported
 * challenge unless local policy says otherwise; ours is to never settle for a weaker hash.
 */
function pickChallenge(values: readonly string[], realm: string | undefined): Result<Candidate> {
  let best: Candidate | undefined;
  let lastError: SipParseError = { rule: 'challenge', message: 'No Digest challenge' };
  for (const value of values) {
    const parsed = parseDigestChallenge(value);
    if (!parsed.ok) {
      lastError = parsed.error;
      continue;
    }
    const challenge = parsed.value;
    if (realm !== undefined && challenge.realm !== realm) continue;
    const algorithm = parseDigestAlgorithm(challenge.algorithm);
    if (algorithm === undefined) {
      lastError = { rule: 'algorithm', message: `Unsupported algorithm ${challenge.algorithm}` };
      continue;
    }
    const qop = chooseQop(challenge.qop);
    if (qop === null) {
      lastError = { rule: 'qop', message: `Unsupported qop ${challenge.qop.join(',')}` };
      continue;
    }
    if (qop === undefined && isSessionAlgorithm(algorithm)) {
      lastError = { rule: 'qop', message: `${algorithm} without qop` };
      continue;
    }
    if (best === undefined || strength(algorithm) < strength(best.algorithm))
      best = { challenge, algorithm, qop };
  }
  return best === undefined ? { ok: false, error: lastError } : { ok: true, value: best };
}

/** Computes the credentials for the strongest challenge offered. Never throws. */
export function answerChallenge(input: DigestAnswerInput): Result<DigestAnswer> {
  if (!isQuotable(input.username) || !isQuotable(input.uri)) {
    return failure('digest-response', 'Username and uri must not contain control characters');
  }
  const values = typeof input.challenges === 'string' ? [input.challenges] : input.challenges;
  const picked = pickChallenge(values, input.realm);
  if (!picked.ok) return picked;
  const { challenge, algorithm, qop } = picked.value;
  const hash = hashOf(algorithm);

  const credentials: DigestCredentials = {
    // RFC 7616 §3.4.4: with userhash the username travels hashed.
    username: challenge.userhash ? digestUserhash(hash, input.username, challenge.realm) : input.username,
    realm: challenge.realm,
    nonce: challenge.nonce,
    uri: input.uri,
    response: '',
    userhash: challenge.userhash,
  };
  // Echo the algorithm only when the challenge named one: RFC 2069-era servers know no such parameter.
  if (challenge.algorithm !== undefined) credentials.algorithm = algorithm;
  if (challenge.opaque !== undefined) credentials.opaque = challenge.opaque;
  if (qop !== undefined) {
    credentials.qop = qop;
    credentials.nc = (input.counter?.next(challenge.nonce) ?? 1).toString(16).padStart(8, '0');
    credentials.cnonce = input.cnonce ?? randomBytes(12).toString('base64url');
  }
  credentials.response = digestResponse({
    algorithm,
    ha1: digestHa1(hash, input.username, challenge.realm, input.password),
    nonce: challenge.nonce,
    method: input.method,
    uri: input.uri,
    qop,
    nc: credentials.nc,
    cnonce: credentials.cnonce,
    body: input.body,
  });
  return {
    ok: true,
    value: { value: formatDigestCredentials(credentials), realm: challenge.realm, algorithm },
  };
}

export interface DigestAccount {
  username: string;
  password: string;
}

export interface AuthorizationHeaders {
  name: 'Authorization' | 'Proxy-Authorization';
  values: string[];
}

export interface AuthorizeOptions {
  /** The 401 or 407 received. */
  response: { status: number; headers: SipHeaders };
  /** The request that was challenged (its method, Request-URI and body are signed). */
  request: Pick<SipRequest, 'method' | 'uri' | 'body'>;
  /** One account for every realm, or the account for a realm (undefined: do not answer it). */
  account: DigestAccount | ((realm: string) => DigestAccount | undefined);
  counter?: DigestNonceCounter;
}

/**
 * The credentials to add to the re-sent request (RFC 3261 §22.2: same Call-ID, CSeq + 1, new
 * branch, all of which the caller does). RFC 3261 §22.3: a 401/407 may carry challenges from
 * several realms (forking, proxies in series); each realm we hold an account for is answered.
 */
export function authorizeRequest(options: AuthorizeOptions): Result<AuthorizationHeaders> {
  const { response, request } = options;
  if (response.status !== 401 && response.status !== 407) {
    return failure('status', `Status ${response.status} is not a challenge`);
  }
  const proxy = response.status === 407;
  const uri = formatUri(request.uri);
  const challenges = response.headers.getAll(proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate');
  const realms = new Set<string>();
  for (const value of challenges) {
    const parsed = parseDigestChallenge(value);
    if (parsed.ok) realms.add(parsed.value.realm);
  }
  const values: string[] = [];
  let lastError: SipParseError = { rule: 'challenge', message: 'No Digest challenge we hold an account for' };
  for (const realm of realms) {
    const account = typeof options.account === 'function' ? options.account(realm) : options.account;
    if (account === undefined) continue;
    const answer = answerChallenge({
      challenges,
      realm,
      method: request.method,
      uri,
      body: request.body,
      username: account.username,
      password: account.password,
      counter: options.counter,
    });
    if (answer.ok) values.push(answer.value.value);
    else lastError = answer.error;
  }
  if (values.length === 0) return { ok: false, error: lastError };
  return { ok: true, value: { name: proxy ? 'Proxy-Authorization' : 'Authorization', values } };
}
