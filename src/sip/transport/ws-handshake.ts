/**
 * The server side of the WebSocket opening handshake (RFC 6455 §4.2) for SIP (RFC 7118 §4.1):
 * the client must offer the `sip` subprotocol, and the server answers with it.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
export const SIP_SUBPROTOCOL = 'sip';

export type HandshakeResult = { ok: true; response: string } | { ok: false; status: number; reason: string };

/** §4.2.2 step 5.4: base64(SHA-1(key + GUID)). */
export function websocketAccept(key: string): string {
  return createHash('sha1')
    .update(key + ACCEPT_GUID)
    .digest('base64');
}

/** Checks an upgrade request and builds the 101 response head, or the HTTP error to answer with. */
export function acceptWebSocketUpgrade(
  method: string | undefined,
  headers: IncomingHttpHeaders,
): HandshakeResult {
  if (method !== 'GET') return { ok: false, status: 405, reason: 'Method Not Allowed' };
  if (!tokenListHas(headers.upgrade, 'websocket') || !tokenListHas(headers.connection, 'upgrade')) {
    return { ok: false, status: 426, reason: 'Upgrade Required' };
  }
  if (headers['sec-websocket-version'] !== '13') {
    return { ok: false, status: 426, reason: 'Upgrade Required' };
  }
  const key = headers['sec-websocket-key'];
  // §4.1: the key is 16 random bytes, base64-encoded (24 characters).
  if (typeof key !== 'string' || Buffer.from(key, 'base64').length !== 16 || key.length !== 24) {
    return { ok: false, status: 400, reason: 'Bad Request' };
  }
  // RFC 7118 §4.1: SIP is only spoken when the client asked for the `sip` subprotocol.
  if (!tokenListHas(headers['sec-websocket-protocol'], SIP_SUBPROTOCOL)) {
    return { ok: false, status: 400, reason: 'Bad Request' };
  }
  const response =
    'HTTP/1.1 101 Switching Protocols\r\n' +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${websocketAccept(key)}\r\n` +
    `Sec-WebSocket-Protocol: ${SIP_SUBPROTOCOL}\r\n\r\n`;
  return { ok: true, response };
}

/** An HTTP error response that closes the connection. */
export function httpErrorResponse(status: number, reason: string): string {
  const extra = status === 426 ? 'Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n' : '';
  return `HTTP/1.1 ${status} ${reason}\r\n${extra}Connection: close\r\nContent-Length: 0\r\n\r\n`;
}

function tokenListHas(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false;
  const text = Array.isArray(value) ? value.join(',') : value;
  for (const item of text.split(',')) {
    if (item.trim().toLowerCase() === token) return true;
  }
  return false;
}
