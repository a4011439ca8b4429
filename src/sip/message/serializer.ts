/** Writing a message to the wire (RFC 3261 §7). */
import { headerKey } from './header-names.js';
import { HeaderFields } from './headers.js';
import { Request, Response } from './message.js';
import type { SipMessage } from './types.js';
import { formatUri } from './uri.js';

function startLineOf(message: SipMessage): string {
  const line =
    message.kind === 'request'
      ? `${message.method} ${message instanceof Request ? message.uriText() : formatUri(message.uri)} ${message.version}`
      : `${message.version} ${message.status} ${message.reason}`;
  if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0)
    throw new TypeError('SIP start line contains CR or LF');
  return line;
}

/**
 * Serialises a message: start line, header fields in order (names as written), a correct
 * Content-Length (the first Content-Length field is rewritten in place, others dropped; one is
 * added at the end when there was none), the empty line and the body. A received message
 * whose start line, headers and body are unchanged is returned as the received octets, without
 * copying (the result shares memory with the parsed datagram).
 */
export function serializeMessage(message: SipMessage): Buffer {
  const startLine = startLineOf(message);
  if (message instanceof Request || message instanceof Response) {
    const received = message.headersAndBodyUnchanged();
    if (received !== undefined && received.startLine === startLine) {
      return received.data.subarray(received.start, received.end);
    }
  }
  const body = message.body;
  let head = `${startLine}\r\n`;
  let wroteLength = false;
  const writeField = (name: string, value: string, key: string): void => {
    if (key === 'content-length') {
      if (!wroteLength) head += `${name}: ${body.length}\r\n`;
      wroteLength = true;
    } else {
      head += `${name}: ${value}\r\n`;
    }
  };
  const headers = message.headers;
  if (headers instanceof HeaderFields) {
    for (let i = 0; i < headers.size; i++)
      writeField(headers.nameAt(i), headers.valueAt(i), headers.keyAt(i));
  } else {
    for (const { name, value } of headers.fields()) writeField(name, value, headerKey(name));
  }
  if (!wroteLength) head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + body.length);
  out.write(head, 0, headLength, 'utf8');
  body.copy(out, headLength);
  return out;
}
