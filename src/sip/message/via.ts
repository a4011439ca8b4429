/** The Via header field (RFC 3261 §20.42, §25.1 via-parm; RFC 3581 rport; RFC 5118 §4.5). */
import { isIP, isIPv6 } from 'node:net';
import { HOST_CHAR, isIn, parseBoundedInt, skipSpace, TOKEN } from './chars.js';
import { fail } from './failure.js';
import { formatParams, parseParams, splitCommaList } from './params.js';
import type { Result, Via } from './types.js';

const RULE = 'Via';

/** Parses one via-parm: `sent-protocol LWS sent-by *( SEMI via-params )`. Never throws. */
export function parseVia(text: string): Result<Via> {
  let i = skipSpace(text, 0);
  let protocol = 'SIP/2.0';
  if (text.startsWith('SIP/2.0/', i)) {
    i += 8;
  } else {
    const name = readToken(text, i);
    i = skipSpace(text, name.end);
    if (name.end === name.start || text.charCodeAt(i) !== 0x2f)
      return fail(RULE, 'bad sent-protocol name', i);
    const version = readToken(text, skipSpace(text, i + 1));
    i = skipSpace(text, version.end);
    if (version.end === version.start || text.charCodeAt(i) !== 0x2f) {
      return fail(RULE, 'bad sent-protocol version', i);
    }
    protocol = `${text.slice(name.start, name.end).toUpperCase()}/${text.slice(version.start, version.end)}`;
    i = skipSpace(text, i + 1);
  }
  const transport = readToken(text, i);
  if (transport.end === transport.start) return fail(RULE, 'missing transport', transport.end);
  const hostStart = skipSpace(text, transport.end);
  if (hostStart === transport.end) return fail(RULE, 'missing LWS before sent-by', hostStart);
  let hostEnd: number;
  if (text.charCodeAt(hostStart) === 0x5b) {
    const close = text.indexOf(']', hostStart);
    if (close < 0 || !isIPv6(text.slice(hostStart + 1, close)))
      return fail(RULE, 'invalid IPv6 reference', hostStart);
    hostEnd = close + 1;
  } else {
    hostEnd = hostStart;
    while (hostEnd < text.length && isIn(HOST_CHAR, text.charCodeAt(hostEnd))) hostEnd++;
    if (hostEnd === hostStart) return fail(RULE, 'missing sent-by host', hostStart);
  }
  const via: Via = {
    protocol,
    transport: text.slice(transport.start, transport.end).toUpperCase(),
    host: text.slice(hostStart, hostEnd).toLowerCase(),
    params: {},
  };
  i = skipSpace(text, hostEnd);
  if (text.charCodeAt(i) === 0x3a) {
    const portStart = skipSpace(text, i + 1);
    let portEnd = portStart;
    while (portEnd < text.length && text.charCodeAt(portEnd) >= 0x30 && text.charCodeAt(portEnd) <= 0x39)
      portEnd++;
    const port = parseBoundedInt(text, 65535, portStart, portEnd);
    if (port < 0) return fail(RULE, 'invalid port', portStart);
    via.port = port;
    i = portEnd;
  }
  const parsed = parseParams(text, i, RULE);
  if (!parsed.ok) return parsed;
  if (parsed.value.end !== text.length) {
    return fail(RULE, `unexpected character ${JSON.stringify(text[parsed.value.end])}`, parsed.value.end);
  }
  return extractViaParams(via, parsed.value.params);
}

function extractViaParams(via: Via, params: Record<string, string | null>): Result<Via> {
  for (const name in params) {
    const value = params[name] ?? null;
    if (name === 'branch') {
      if (value === null) return fail(RULE, 'branch without value');
      via.branch = value;
    } else if (name === 'received') {
      // RFC 3261 grammar writes IPv6 bare; RFC 5118 §4.5 asks to accept brackets too.
      const address = value !== null && value.charCodeAt(0) === 0x5b ? value.slice(1, -1) : value;
      if (address === null || isIP(address) === 0) return fail(RULE, 'received is not an IP address');
      via.received = address;
    } else if (name === 'rport') {
      if (value === null) via.rport = true;
      else {
        const port = parseBoundedInt(value, 65535);
        if (port < 0) return fail(RULE, 'invalid rport');
        via.rport = port;
      }
    } else {
      via.params[name] = value;
    }
  }
  return { ok: true, value: via };
}

function readToken(text: string, start: number): { start: number; end: number } {
  let end = start;
  while (end < text.length && isIn(TOKEN, text.charCodeAt(end))) end++;
  return { start, end };
}

/** Parses a comma-separated list of via-parm (one Via header field). Empty elements are errors. */
export function parseViaList(text: string): Result<Via[]> {
  const parts = splitCommaList(text);
  if (parts === undefined) return fail(RULE, 'unbalanced quotes');
  const vias: Via[] = [];
  for (const part of parts) {
    if (part.length === 0) return fail(RULE, 'empty list element');
    const via = parseVia(part);
    if (!via.ok) return via;
    vias.push(via.value);
  }
  return { ok: true, value: vias };
}

/** Formats one via-parm: branch first, then other parameters, received and rport. */
export function formatVia(via: Via): string {
  let out = `${via.protocol}/${via.transport} ${via.host}`;
  if (via.port !== undefined) out += `:${via.port}`;
  if (via.branch !== undefined) out += `;branch=${via.branch}`;
  out += formatParams(via.params);
  if (via.received !== undefined) out += `;received=${via.received}`;
  if (via.rport === true) out += ';rport';
  else if (via.rport !== undefined) out += `;rport=${via.rport}`;
  return out;
}
