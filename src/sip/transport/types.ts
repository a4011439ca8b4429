/**
 * The transport layer contract (RFC 3261 §18): what the transaction layer and the stack see of
 * UDP, TCP, TLS and WebSocket (RFC 7118).
 */
import type { SipMessage, SipResponse } from '../message/types.js';

export type TransportProtocol = 'UDP' | 'TCP' | 'TLS' | 'WS' | 'WSS';

/** A transport address: the protocol is part of it (5060/UDP and 5060/TCP are different places). */
export interface Endpoint {
  protocol: TransportProtocol;
  address: string; // IPv4 dotted or IPv6 without brackets
  port: number;
}

/** Where a received message came from and on which of our listeners. */
export interface ReceiveInfo {
  source: Endpoint;
  local: Endpoint;
  /** Set for stream transports: the connection the message arrived on (reused for responses). */
  connectionId?: string;
  /** Time the bytes were read, from the stack's clock. */
  receivedAt: number;
}

export interface SendOptions {
  /** Prefer this existing connection (stream transports). */
  connectionId?: string;
}

/** Error raised when a message cannot be sent; the transaction layer turns it into a 503 (RFC 3261 §8.1.3.1). */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly target: Endpoint,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface TransportLayer {
  /**
   * Registers the consumer of every well-formed message. Requests arrive with their top Via
   * already given `received`/`rport` per RFC 3261 §18.2.1 and RFC 3581.
   */
  onMessage(handler: (message: SipMessage, info: ReceiveInfo) => void): void;
  /** Sends a request (or an ACK for 2xx) to a target; opens a connection for stream transports when needed. */
  send(message: SipMessage, target: Endpoint, options?: SendOptions): Promise<void>;
  /**
   * Sends a response where RFC 3261 §18.2.2 (and RFC 3581 §4) says: on the connection the
   * request came on when still open, else to the top Via's received/rport or sent-by.
   */
  sendResponse(response: SipResponse, requestInfo?: ReceiveInfo): Promise<void>;
  /** The sent-by (host and port) to put in a Via for messages leaving over `protocol`. */
  viaSentBy(protocol: TransportProtocol): { host: string; port: number };
  /** Listeners actually bound (ports resolved when 0 was asked for). */
  listening(): Endpoint[];
  close(): Promise<void>;
}
