/**
 * What a stream connection carries: SIP framed by Content-Length (TCP, TLS; RFC 3261 §18.3) or
 * one SIP message per WebSocket message (RFC 7118 §5). Both hand complete messages to a
 * receiver and report the failures after which the connection is unusable.
 */
import { isUtf8 } from 'node:buffer';
import type { StreamConnection } from './connection.js';
import { type FramingFailure, StreamFramer } from './stream-framer.js';
import { encodeWsClose, encodeWsFrame, WsFrameDecoder, WsOpcode } from './ws-frame-codec.js';

export interface StreamReceiver {
  message(bytes: Buffer, connection: StreamConnection): void;
  /** The stream lost its framing; `head` is the failing message's header section as far as read. */
  framingFailure(kind: FramingFailure, head: Buffer, connection: StreamConnection): void;
}

const PONG = Buffer.from('\r\n', 'latin1');

export function attachSipStream(
  connection: StreamConnection,
  receiver: StreamReceiver,
  maxMessageSize: number,
): void {
  const framer = new StreamFramer(
    {
      message: (bytes) => {
        connection.touch();
        receiver.message(bytes, connection);
      },
      // RFC 5626 §3.5.1: answer a double-CRLF ping with a single CRLF pong.
      ping: () => {
        connection.touch();
        connection.write(PONG).catch(() => connection.destroy());
      },
      failure: (kind, head) => receiver.framingFailure(kind, head, connection),
    },
    maxMessageSize,
  );
  connection.input = (chunk) => framer.push(chunk);
}

/** Server side of a WebSocket: frames from the client must be masked (RFC 6455 §5.1). */
export function attachWebSocket(
  connection: StreamConnection,
  receiver: StreamReceiver,
  maxMessageSize: number,
): void {
  const decoder = new WsFrameDecoder(
    {
      message: (payload) => {
        connection.touch();
        receiver.message(payload, connection);
      },
      ping: (payload) => {
        connection.touch();
        connection.write(encodeWsFrame(WsOpcode.Pong, payload)).catch(() => connection.destroy());
      },
      pong: () => connection.touch(),
      // RFC 6455 §5.5.1: answer a close with a close (echoing the code), then close the TCP connection.
      close: (code) =>
        connection.end(code === undefined ? encodeWsFrame(WsOpcode.Close, EMPTY) : encodeWsClose(code)),
      failure: (code, reason) => connection.end(encodeWsClose(code, reason)),
    },
    { expectMasked: true, maxMessageSize },
  );
  connection.input = (chunk) => decoder.push(chunk);
  // RFC 7118 §5: a SIP message is sent as text when it is UTF-8, else as binary.
  connection.encode = (message) => encodeWsFrame(isUtf8(message) ? WsOpcode.Text : WsOpcode.Binary, message);
}

const EMPTY = Buffer.alloc(0);
