/**
 * Whether the `uri` of Digest credentials names the Request-URI (RFC 7616 §3.4.6, RFC 2617
 * §3.2.2.5), compared with the SIP URI equality rules of RFC 3261 §19.1.4 so that harmless
 * spelling differences (case of scheme and host, escaping) do not fail authentication.
 */
import type { Uri } from '../message/types.js';

/** RFC 3261 §19.1.4: these parameters must match when present in either URI. */
const SIGNIFICANT_PARAMS = ['transport', 'user', 'ttl', 'method', 'maddr'] as const;

const HEX_PAIR = /^[0-9a-fA-F]{2}$/;

/** RFC 3261 §19.1.4: escaped octets compare as their UTF-8 decoding. Undefined when malformed. */
function percentDecode(text: string): string | undefined {
  if (!text.includes('%')) return text;
  const parts: Buffer[] = [];
  let last = 0;
  for (let at = text.indexOf('%'); at !== -1; at = text.indexOf('%', last)) {
    const hex = text.slice(at + 1, at + 3);
    if (!HEX_PAIR.test(hex)) return undefined;
    parts.push(Buffer.from(text.slice(last, at), 'utf8'), Buffer.from(hex, 'hex'));
    last = at + 3;
  }
  parts.push(Buffer.from(text.slice(last), 'utf8'));
  return Buffer.concat(parts).toString('utf8');
}

interface SipUriParts {
  user: string | undefined;
  host: string;
  port: number | undefined;
  params: Map<string, string | null>;
}

function splitSipUri(rest: string): SipUriParts | undefined {
  const headersAt = rest.indexOf('?');
  const withoutHeaders = headersAt === -1 ? rest : rest.slice(0, headersAt);
  const [main = '', ...paramTexts] = withoutHeaders.split(';');
  const at = main.lastIndexOf('@');
  let user: string | undefined;
  if (at !== -1) {
    const userinfo = main.slice(0, at);
    const colon = userinfo.indexOf(':');
    user = percentDecode(colon === -1 ? userinfo : userinfo.slice(0, colon));
    if (user === undefined) return undefined;
  }
  const hostport = main.slice(at + 1);
  // An IPv6 reference keeps its brackets, as in Uri.host; the port follows the closing one.
  const portColon = hostport.lastIndexOf(':');
  const hasPort = portColon !== -1 && portColon > hostport.lastIndexOf(']');
  const host = (hasPort ? hostport.slice(0, portColon) : hostport).toLowerCase();
  let port: number | undefined;
  if (hasPort) {
    const portText = hostport.slice(portColon + 1);
    if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
    port = Number(portText);
  }
  if (host === '') return undefined;
  const params = new Map<string, string | null>();
  for (const paramText of paramTexts) {
    const equals = paramText.indexOf('=');
    const name = percentDecode(equals === -1 ? paramText : paramText.slice(0, equals));
    const value = equals === -1 ? null : percentDecode(paramText.slice(equals + 1));
    if (name === undefined || value === undefined) return undefined;
    params.set(name.toLowerCase(), value);
  }
  return { user, host, port, params };
}

function sameParam(a: string | null, b: string | null | undefined): boolean {
  return a === b || (a !== null && typeof b === 'string' && a.toLowerCase() === b.toLowerCase());
}

function paramsMatch(received: Map<string, string | null>, expected: Record<string, string | null>): boolean {
  for (const name of SIGNIFICANT_PARAMS) {
    const inReceived = received.has(name);
    const inExpected = Object.hasOwn(expected, name);
    if (inReceived !== inExpected) return false;
  }
  // RFC 3261 §19.1.4: a parameter present in both must have the same value.
  for (const [name, value] of received) {
    if (Object.hasOwn(expected, name) && !sameParam(value, expected[name])) return false;
  }
  return true;
}

export function digestUriMatches(text: string, requestUri: Uri): boolean {
  const colon = text.indexOf(':');
  if (colon <= 0) return false;
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme !== requestUri.scheme) return false;
  const rest = text.slice(colon + 1);
  if (scheme === 'sip' || scheme === 'sips') {
    const parts = splitSipUri(rest);
    return (
      parts !== undefined &&
      parts.user === requestUri.user &&
      parts.host === requestUri.host &&
      parts.port === requestUri.port &&
      paramsMatch(parts.params, requestUri.params)
    );
  }
  if (scheme === 'tel') {
    // RFC 3966 §4: the subscriber number comes first; its parameters are not compared here.
    const semicolon = rest.indexOf(';');
    return percentDecode(semicolon === -1 ? rest : rest.slice(0, semicolon)) === requestUri.user;
  }
  return rest === requestUri.opaque;
}
