/**
 * Digest challenge (WWW-Authenticate / Proxy-Authenticate) and credentials (Authorization /
 * Proxy-Authorization) header values: RFC 3261 §25.1 grammar with the RFC 7616 §3.3–§3.4
 * additions that RFC 8760 brings to SIP. One value is one challenge or one set of credentials.
 */

import { quoteString } from '../message/index.js';
import type { Result, SipParseError } from '../message/types.js';
import { type AuthParams, parseAuthParams, readAuthParams } from './auth-params.js';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  /** As written; absent means MD5. Resolve with `parseDigestAlgorithm`. */
  algorithm?: string;
  /** Offered qop values, lower-cased; empty when the challenge has no qop (RFC 2069 form). */
  qop: string[];
  opaque?: string;
  stale: boolean;
  domain?: string;
  /** RFC 7616 §3.3: the server accepts a hashed username. */
  userhash: boolean;
}

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  /** Lower-cased hex as sent (case folded so that comparisons need no second pass). */
  response: string;
  algorithm?: string;
  cnonce?: string;
  opaque?: string;
  /** Lower-cased. */
  qop?: string;
  /** Eight hex digits as sent. */
  nc?: string;
  userhash: boolean;
}

function failure(rule: string, message: string): { ok: false; error: SipParseError } {
  return { ok: false, error: { rule, message } };
}

function parseDigestParams(text: string): Result<Map<string, string>> {
  const parsed: Result<AuthParams> = parseAuthParams(text);
  if (!parsed.ok) return parsed;
  if (parsed.value.scheme.toLowerCase() !== 'digest') {
    return failure('auth-scheme', `Scheme "${parsed.value.scheme}" is not Digest`);
  }
  return { ok: true, value: parsed.value.params };
}

/** RFC 7616 §3.3: stale and userhash are case-insensitive "true"/"false" flags. */
function flag(params: Map<string, string>, name: string): boolean {
  return params.get(name)?.toLowerCase() === 'true';
}

export function parseDigestChallenge(text: string): Result<DigestChallenge> {
  const parsed = parseDigestParams(text);
  if (!parsed.ok) return parsed;
  const params = parsed.value;
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined) return failure('digest-challenge', 'Challenge has no realm');
  if (nonce === undefined) return failure('digest-challenge', 'Challenge has no nonce');
  const qopText = params.get('qop');
  const challenge: DigestChallenge = {
    realm,
    nonce,
    qop:
      qopText === undefined
        ? []
        : qopText
            .split(',')
            .map((value) => value.trim().toLowerCase())
            .filter((value) => value !== ''),
    stale: flag(params, 'stale'),
    userhash: flag(params, 'userhash'),
  };
  const algorithm = params.get('algorithm');
  if (algorithm !== undefined) challenge.algorithm = algorithm;
  const opaque = params.get('opaque');
  if (opaque !== undefined) challenge.opaque = opaque;
  const domain = params.get('domain');
  if (domain !== undefined) challenge.domain = domain;
  return { ok: true, value: challenge };
}

const NONCE_COUNT = /^[0-9a-fA-F]{8}$/;

/** The parameters of credentials as read, before the mandatory ones are checked. */
interface CredentialFields {
  username: string | undefined;
  realm: string | undefined;
  nonce: string | undefined;
  uri: string | undefined;
  response: string | undefined;
  algorithm: string | undefined;
  cnonce: string | undefined;
  opaque: string | undefined;
  qop: string | undefined;
  nc: string | undefined;
  userhash: string | undefined;
}

/**
 * Credentials arrive with every authenticated request: their parameters are read straight into
 * fields, without a map per request; parameters of no meaning here are skipped (RFC 7616 §3.4).
 */
export function parseDigestCredentials(text: string): Result<DigestCredentials> {
  const fields: CredentialFields = {
    username: undefined,
    realm: undefined,
    nonce: undefined,
    uri: undefined,
    response: undefined,
    algorithm: undefined,
    cnonce: undefined,
    opaque: undefined,
    qop: undefined,
    nc: undefined,
    userhash: undefined,
  };
  const scheme = readAuthParams(text, (name, value) => readCredentialField(fields, name, value));
  if (!scheme.ok) return scheme;
  if (scheme.value.toLowerCase() !== 'digest')
    return failure('auth-scheme', `Scheme "${scheme.value}" is not Digest`);
  const { username, realm, nonce, uri, response, nc } = fields;
  if (username === undefined) return failure('digest-response', 'Credentials have no username');
  if (realm === undefined) return failure('digest-response', 'Credentials have no realm');
  if (nonce === undefined) return failure('digest-response', 'Credentials have no nonce');
  if (uri === undefined) return failure('digest-response', 'Credentials have no uri');
  if (response === undefined) return failure('digest-response', 'Credentials have no response');
  const credentials: DigestCredentials = {
    username,
    realm,
    nonce,
    uri,
    response: response.toLowerCase(),
    userhash: fields.userhash?.toLowerCase() === 'true',
  };
  // RFC 3261 §25.1: nonce-count = "nc" EQUAL 8LHEX.
  if (nc !== undefined && !NONCE_COUNT.test(nc)) return failure('nonce-count', 'nc is not eight hex digits');
  if (nc !== undefined) credentials.nc = nc;
  if (fields.qop !== undefined) credentials.qop = fields.qop.toLowerCase();
  if (fields.algorithm !== undefined) credentials.algorithm = fields.algorithm;
  if (fields.cnonce !== undefined) credentials.cnonce = fields.cnonce;
  if (fields.opaque !== undefined) credentials.opaque = fields.opaque;
  return { ok: true, value: credentials };
}

function readCredentialField(fields: CredentialFields, name: string, value: string): void {
  switch (name) {
    case 'username':
      fields.username = value;
      break;
    case 'realm':
      fields.realm = value;
      break;
    case 'nonce':
      fields.nonce = value;
      break;
    case 'uri':
      fields.uri = value;
      break;
    case 'response':
      fields.response = value;
      break;
    case 'algorithm':
      fields.algorithm = value;
      break;
    case 'cnonce':
      fields.cnonce = value;
      break;
    case 'opaque':
      fields.opaque = value;
      break;
    case 'qop':
      fields.qop = value;
      break;
    case 'nc':
      fields.nc = value;
      break;
    case 'userhash':
      fields.userhash = value;
  }
}

/** Serialises a challenge in the conventional parameter order. */
export function formatDigestChallenge(challenge: DigestChallenge): string {
  let out = `Digest realm=${quoteString(challenge.realm)}`;
  if (challenge.domain !== undefined) out += `, domain=${quoteString(challenge.domain)}`;
  out += `, nonce=${quoteString(challenge.nonce)}`;
  if (challenge.opaque !== undefined) out += `, opaque=${quoteString(challenge.opaque)}`;
  if (challenge.stale) out += ', stale=true';
  if (challenge.algorithm !== undefined) out += `, algorithm=${challenge.algorithm}`;
  if (challenge.qop.length > 0) out += `, qop=${quoteString(challenge.qop.join(','))}`;
  if (challenge.userhash) out += ', userhash=true';
  return out;
}

/** Serialises credentials; qop, nc and algorithm are tokens, the rest quoted (RFC 3261 §25.1). */
export function formatDigestCredentials(credentials: DigestCredentials): string {
  let out = `Digest username=${quoteString(credentials.username)}, realm=${quoteString(credentials.realm)}`;
  out += `, nonce=${quoteString(credentials.nonce)}, uri=${quoteString(credentials.uri)}`;
  out += `, response=${quoteString(credentials.response)}`;
  if (credentials.algorithm !== undefined) out += `, algorithm=${credentials.algorithm}`;
  if (credentials.cnonce !== undefined) out += `, cnonce=${quoteString(credentials.cnonce)}`;
  if (credentials.opaque !== undefined) out += `, opaque=${quoteString(credentials.opaque)}`;
  if (credentials.qop !== undefined) out += `, qop=${credentials.qop}`;
  if (credentials.nc !== undefined) out += `, nc=${credentials.nc}`;
  if (credentials.userhash) out += ', userhash=true';
  return out;
}
