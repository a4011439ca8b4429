/**
 * The transport layer contract (RFC 3261 §18): what the transaction layer and the stack see of
 * UDP, TCP, TLS and WebSocket (RFC 7118).
 */
import type { Clock } from '../clock.js';
import type { SipLogger } from '../logger.js';
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
  /** UDP: send from the listener bound to this endpoint (RFC 3581 §4: from where the request arrived). */
  local?: Endpoint;
}

/**
 * A response serialised once, with where RFC 3261 §18.2.2 (and RFC 3581 §4) sends it: what a
 * server transaction keeps to answer retransmitted requests (RFC 3261 §17.2.1, §17.2.2) without
 * holding on to the message, the request or its ReceiveInfo. Built by `prepareResponse`.
 */
export interface PreparedResponse {
  /** The bytes, exactly as sent every time. */
  readonly bytes: Buffer;
  /** UDP: where the datagram goes. Streams: where a connection is opened when the request's is gone. */
  readonly target: Endpoint;
  /** UDP: the listener the request arrived on, to send from (RFC 3581 §4). */
  readonly local: Endpoint | undefined;
  /** Streams: the connection the request arrived on, used while it is open. */
  readonly connectionId: string | undefined;
}

/** Hears how one send ended: undefined when the message left, else why it could not. */
export type SendDone = (error: Error | undefined) => void;

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
  /**
   * Serialises a response once and settles where it goes, by the rules of `sendResponse`, for
   * `sendPrepared`. Throws TransportError when the top Via names no transport of ours.
   */
  prepareResponse(response: SipResponse, requestInfo?: ReceiveInfo): PreparedResponse;
  /**
   * Sends a prepared response, byte for byte: a retransmission costs no serialisation. The
   * message observer sees `response` when given, else the message parsed back from the bytes.
   */
  sendPrepared(prepared: PreparedResponse, response?: SipResponse): Promise<void>;
  /**
   * `send` without a Promise, for the transaction layer's sends: `done` is called once, never
   * before this returns, with undefined when the message left and the error when it did not.
   */
  transmit(message: SipMessage, target: Endpoint, options: SendOptions | undefined, done: SendDone): void;
  /** `sendPrepared` without a Promise, reporting to `done` as `transmit` does. */
  transmitPrepared(prepared: PreparedResponse, response: SipResponse | undefined, done: SendDone): void;
  /** The sent-by (host and port) to put in a Via for messages leaving over `protocol`. */
  viaSentBy(protocol: TransportProtocol): { host: string; port: number };
  /** Listeners actually bound (ports resolved when 0 was asked for). */
  listening(): Endpoint[];
  close(): Promise<void>;
}

/** The transport layer as `createTransportLayer` builds it: with counters for metrics. */
/**
 * Sees every well-formed message that crosses the transport, with its bytes as on the wire:
 * for message traces (`debug ccsip message`) and per-method / per-status counters. Called
 * synchronously; it must not throw and should be cheap.
 */
export type MessageObserver = (
  direction: 'in' | 'out',
  message: SipMessage,
  bytes: Buffer,
  remote: Endpoint,
) => void;

export interface MeteredTransportLayer extends TransportLayer {
  /** Counters since start. */
  stats(): TransportStats;
  /** Installs (or with undefined removes) the observer of every message in and out. */
  observe(observer: MessageObserver | undefined): void;
}

/** Certificates for a TLS or WSS listener (PEM). */
export interface TlsListenerOptions {
  key: string | Buffer;
  cert: string | Buffer;
  /** Trusted issuers for client certificates (and for outbound TLS connections). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Ask clients for a certificate and refuse those not signed by `ca` (mutual TLS). */
  requestCert?: boolean;
}

export interface ListenerOptions {
  protocol: TransportProtocol;
  /** Address to bind: an IPv4 or IPv6 address, `0.0.0.0` or `::` for every interface. */
  address: string;
  /** 0 binds an ephemeral port; `listening()` tells which. */
  port: number;
  /** Required for TLS and WSS. */
  tls?: TlsListenerOptions;
  /**
   * UDP: socket receive buffer in bytes (SO_RCVBUF), so that a burst arriving while the event
   * loop is busy waits in the kernel instead of being dropped. Default 4 MiB; the kernel caps
   * it at net.core.rmem_max (Linux then reports twice the value it granted).
   */
  receiveBufferSize?: number;
  /** UDP: socket send buffer in bytes (SO_SNDBUF). Default 4 MiB, capped at net.core.wmem_max. */
  sendBufferSize?: number;
}

/** Settings for TLS connections this layer opens. */
export interface TlsClientOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate for mutual TLS. */
  key?: string | Buffer;
  cert?: string | Buffer;
  /** Defaults to true: a server certificate that does not verify fails the send. */
  rejectUnauthorized?: boolean;
}

export interface TransportLayerOptions {
  listeners: ListenerOptions[];
  clock?: Clock;
  logger?: SipLogger;
  /** Largest message accepted on a stream or WebSocket (default 65535); datagrams are bounded by UDP itself. */
  maxMessageSize?: number;
  /**
   * A stream connection that carries no complete message (nor keep-alive) in either direction
   * for this long is closed (default 32000 ms, i.e. 64*T1).
   */
  idleTimeoutMs?: number;
  /** Bound on open stream connections, inbound and outbound together (default 10000). */
  maxConnections?: number;
  /** Time allowed to open an outbound TCP or TLS connection (default 10000 ms). */
  connectTimeoutMs?: number;
  /** Host (address or name) advertised in Via and Contact instead of the bound address. */
  publicAddress?: string;
  /** Used when sending over TLS to a target without an open connection. */
  tlsClient?: TlsClientOptions;
}

/** Counters for metrics; a snapshot, safe to keep. */
export interface TransportStats {
  messagesIn: Record<TransportProtocol, number>;
  messagesOut: Record<TransportProtocol, number>;
  bytesIn: Record<TransportProtocol, number>;
  bytesOut: Record<TransportProtocol, number>;
  connectionsOpen: number;
  connectionsAccepted: number;
  connectionsOpened: number;
  /** Inbound connections refused because `maxConnections` were open. */
  connectionsRefused: number;
  /** Messages that did not parse (including stream framing failures). */
  parseFailures: number;
  /** Responses dropped because their top Via was not ours (RFC 3261 §18.1.2). */
  responsesDropped: number;
  /** Exceptions thrown by the message handler. */
  handlerErrors: number;
}
