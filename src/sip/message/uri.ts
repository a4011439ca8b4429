/** SIP, SIPS, tel and other absolute URIs (RFC 3261 §19.1, §25.1; RFC 3966; RFC 5118). */
import { isIPv6 } from 'node:net';
import {
  allIn,
  HEADER_CHAR,
  HOST_CHAR,
  isIn,
  PARAM_CHAR,
  PASSWORD,
  parseBoundedInt,
  SCHEME,
  TEL_CHAR,
  URIC,
  USER,
} from './chars.js';
import { escapeUri, unescapeUri } from './escape.js';
import { type Failure, fail } from './failure.js';
import type { Result, Uri } from './types.js';

const RULE = 'URI';

/**
 * Parses a URI as it appears in a Request-URI or inside `<…>`. sip/sips URIs are fully
 * decomposed; tel: keeps the number in `user`; any other scheme keeps the text after the
 * colon in `opaque` (RFC 3261 §19.1.1 absoluteURI). Never throws.
 */
export function parseUri(text: string): Result<Uri> {
  const colon = text.indexOf(':');
  if (colon <= 0) return fail(RULE, 'URI has no scheme');
  const first = text.charCodeAt(0) | 0x20;
  if (first < 0x61 || first > 0x7a || !allIn(SCHEME, text, 0, colon)) {
    return fail(RULE, 'URI scheme is not a valid scheme name');
  }
  const scheme = schemeName(text, colon);
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(text, scheme, colon + 1);
  if (scheme === 'tel') return parseTelUri(text, colon + 1);
  if (colon + 1 >= text.length || !allIn(URIC, text, colon + 1)) {
    return fail(RULE, `${scheme}: URI has characters outside uric`);
  }
  return { ok: true, value: { scheme, host: '', params: {}, headers: {}, opaque: text.slice(colon + 1) } };
}

function schemeName(text: string, colon: number): string {
  if (colon === 3 && text.startsWith('sip')) return 'sip';
  if (colon === 4 && text.startsWith('sips')) return 'sips';
  return text.slice(0, colon).toLowerCase();
}

function parseSipUri(text: string, scheme: string, start: number): Result<Uri> {
  const uri: Uri = { scheme, host: '', params: {}, headers: {} };
  let i = start;
  const at = text.indexOf('@', start);
  if (at >= 0) {
    // userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
    const passColon = text.indexOf(':', start);
    const userEnd = passColon >= 0 && passColon < at ? passColon : at;
    if (userEnd === start || !allIn(USER, text, start, userEnd)) return fail(RULE, 'invalid user part');
    const user = unescapeUri(text.slice(start, userEnd));
    if (user === undefined) return fail(RULE, 'malformed escape in user part');
    uri.user = user;
    if (userEnd < at) {
      if (!allIn(PASSWORD, text, userEnd + 1, at)) return fail(RULE, 'invalid password');
      const password = unescapeUri(text.slice(userEnd + 1, at));
      if (password === undefined) return fail(RULE, 'malformed escape in password');
      uri.password = password;
    }
    i = at + 1;
  }
  const host = readHost(text, i);
  if (host === undefined) return fail(RULE, 'invalid host');
  uri.host = host.host;
  i = host.end;
  if (i < text.length && text.charCodeAt(i) === 0x3a) {
    const portStart = i + 1;
    i = portStart;
    while (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    const port = parseBoundedInt(text, 65535, portStart, i);
    if (port < 0) return fail(RULE, 'invalid port');
    uri.port = port;
  }
  return parseUriTail(text, i, uri);
}

function readHost(text: string, start: number): { host: string; end: number } | undefined {
  if (text.charCodeAt(start) === 0x5b) {
    // IPv6reference = "[" IPv6address "]" (RFC 5118 §4.10: three colons are not IPv6)
    const close = text.indexOf(']', start);
    if (close < 0 || !isIPv6(text.slice(start + 1, close))) return undefined;
    return { host: text.slice(start, close + 1).toLowerCase(), end: close + 1 };
  }
  let i = start;
  while (i < text.length && isIn(HOST_CHAR, text.charCodeAt(i))) i++;
  if (i === start) return undefined;
  return { host: text.slice(start, i).toLowerCase(), end: i };
}

/** uri-parameters and headers: `*( ";" uri-parameter ) [ "?" header *( "&" header ) ]`. */
function parseUriTail(text: string, start: number, uri: Uri): Result<Uri> {
  let i = start;
  while (i < text.length && text.charCodeAt(i) === 0x3b) {
    const nameStart = i + 1;
    i = nameStart;
    while (i < text.length && isIn(PARAM_CHAR, text.charCodeAt(i))) i++;
    const rawName = text.slice(nameStart, i);
    let rawValue: string | null = null;
    if (text.charCodeAt(i) === 0x3d) {
      const valueStart = i + 1;
      i = valueStart;
      while (i < text.length && isIn(PARAM_CHAR, text.charCodeAt(i))) i++;
      if (i === valueStart) return fail(RULE, `empty value of URI parameter ${rawName}`);
      rawValue = text.slice(valueStart, i);
    }
    if (rawName.length === 0) return fail(RULE, 'empty URI parameter name');
    const name = unescapeUri(rawName);
    const value = rawValue === null ? null : unescapeUri(rawValue);
    if (name === undefined || value === undefined) return fail(RULE, 'malformed escape in URI parameter');
    uri.params[name.toLowerCase()] = value;
  }
  if (i < text.length && text.charCodeAt(i) === 0x3f) {
    const failure = parseUriHeaders(text, i + 1, uri);
    if (failure !== undefined) return failure;
    i = text.length;
  }
  if (i !== text.length) return fail(RULE, `unexpected character ${JSON.stringify(text[i])} in URI`);
  return { ok: true, value: uri };
}

function parseUriHeaders(text: string, start: number, uri: Uri): Failure | undefined {
  for (const header of text.slice(start).split('&')) {
    const eq = header.indexOf('=');
    if (eq <= 0 || !allIn(HEADER_CHAR, header, 0, eq) || !allIn(HEADER_CHAR, header, eq + 1)) {
      return fail(RULE, 'invalid URI header');
    }
    const name = unescapeUri(header.slice(0, eq));
    const value = unescapeUri(header.slice(eq + 1));
    if (name === undefined || value === undefined) return fail(RULE, 'malformed escape in URI header');
    uri.headers[name] = value;
  }
  return undefined;
}

function parseTelUri(text: string, start: number): Result<Uri> {
  let i = start;
  while (i < text.length && isIn(TEL_CHAR, text.charCodeAt(i))) i++;
  if (i === start) return fail(RULE, 'tel: URI has no number');
  const user = unescapeUri(text.slice(start, i));
  if (user === undefined) return fail(RULE, 'malformed escape in tel: number');
  return parseUriTail(text, i, { scheme: 'tel', user, host: '', params: {}, headers: {} });
}

/** Formats a URI, escaping each component per its RFC 3261 §25.1 character set. */
export function formatUri(uri: Uri): string {
  if (uri.opaque !== undefined && uri.scheme !== 'sip' && uri.scheme !== 'sips' && uri.scheme !== 'tel') {
    return `${uri.scheme}:${uri.opaque}`;
  }
  let out = `${uri.scheme}:`;
  if (uri.scheme === 'tel') {
    out += escapeUri(uri.user ?? '', TEL_CHAR);
  } else {
    if (uri.user !== undefined && uri.user !== '') {
      out += escapeUri(uri.user, USER);
      if (uri.password !== undefined) out += `:${escapeUri(uri.password, PASSWORD)}`;
      out += '@';
    }
    out += uri.host;
    if (uri.port !== undefined) out += `:${uri.port}`;
  }
  for (const name in uri.params) {
    const value = uri.params[name];
    out += `;${escapeUri(name, PARAM_CHAR)}`;
    if (value !== null && value !== undefined) out += `=${escapeUri(value, PARAM_CHAR)}`;
  }
  let separator = '?';
  for (const name in uri.headers) {
    out += `${separator}${escapeUri(name, HEADER_CHAR)}=${escapeUri(uri.headers[name] ?? '', HEADER_CHAR)}`;
    separator = '&';
  }
  return out;
}
