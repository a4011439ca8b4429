/**
 * The transport layer (RFC 3261 §18) over UDP, TCP, TLS and WebSocket (RFC 7118): listeners,
 * a pool of stream connections, the receive rules (§18.2.1, §18.1.2, stateless 400 for
 * malformed requests) and the send rules (§18.1.1, §18.2.2, RFC 3581 §4).
 */
import type { RemoteInfo } from 'node:dgram';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { type Clock, systemClock } from '../clock.js';
import { RateLimitedLog, type SipLogger, silentLogger } from '../logger.js';
import { createResponseFromHeaders, parseMessage, serializeMessage } from '../message/index.js';
import type { ParseFailure, SipHeaders, SipMessage, SipResponse } from '../message/types.js';
import { canonicalAddress, endpointKey, isReliable, toTransportProtocol } from './address.js';
import { type ConnectionSettings, StreamConnection } from './connection.js';
import { ConnectionPool } from './connection-pool.js';
import { bindStream, bindUdp, type StreamListener, type UdpListener } from './listeners.js';
import { LocalSentBy } from './local-sent-by.js';
import { openStreamSocket } from './outbound.js';
import { attachSipStream, attachWebSocket, type StreamReceiver } from './sessions.js';
import type { FramingFailure } from './stream-framer.js';
import {
  type Endpoint,
  type MessageObserver,
  type MeteredTransportLayer,
  type PreparedResponse,
  type ReceiveInfo,
  type SendDone,
  type SendOptions,
  type TlsClientOptions,
  TransportError,
  type TransportLayerOptions,
  type TransportProtocol,
  type TransportStats,
} from './types.js';
import { datagramResponseTarget, stampTopVia, streamResponseTarget } from './via-rules.js';
import { acceptWebSocketUpgrade, httpErrorResponse } from './ws-handshake.js';

const DEFAULT_MAX_MESSAGE_SIZE = 65_535;
const DEFAULT_IDLE_TIMEOUT_MS = 32_000;
const DEFAULT_MAX_CONNECTIONS = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const LINGER_MS = 2_000;
const CRLF = Buffer.from('\r\n\r\n', 'latin1');

/**
 * Binds every listener and resolves once all are bound; if one fails, the others are closed and
 * the promise rejects with the bind error.
 */
export async function createTransportLayer(options: TransportLayerOptions): Promise<MeteredTransportLayer> {
  const layer = new SipTransportLayer(options);
  await layer.start();
  return layer;
}

type MessageHandler = (message: SipMessage, info: ReceiveInfo) => void;

class SipTransportLayer implements MeteredTransportLayer, StreamReceiver {
  private handler: MessageHandler | undefined;
  private observer: MessageObserver | undefined;
  private readonly clock: Clock;
  private readonly logger: SipLogger;
  private readonly rateLog: RateLimitedLog;
  private readonly maxMessageSize: number;
  private readonly connectTimeoutMs: number;
  private readonly tlsClient: TlsClientOptions;
  private readonly settings: ConnectionSettings;
  private readonly pool: ConnectionPool;
  private readonly connecting = new Map<string, Promise<StreamConnection>>();
  private readonly udp: UdpListener[] = [];
  private readonly streams: StreamListener[] = [];
  private sentBy = new LocalSentBy([]);
  private readonly counters: TransportStats = emptyStats();
  private closed = false;

  constructor(private readonly options: TransportLayerOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.rateLog = new RateLimitedLog(this.logger, () => this.clock.now());
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.tlsClient = options.tlsClient ?? {};
    const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.settings = {
      clock: this.clock,
      idleTimeoutMs,
      maxWriteBuffer: Math.max(1 << 20, 16 * this.maxMessageSize),
      lingerMs: Math.min(LINGER_MS, idleTimeoutMs),
    };
    this.pool = new ConnectionPool(options.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
  }

  async start(): Promise<void> {
    try {
      for (const listener of this.options.listeners) {
        if (listener.protocol === 'UDP') {
          this.udp.push(
            await bindUdp(
              listener,
              (datagram, remote, bound) => this.onDatagram(datagram, remote, bound),
              (error, local) => this.socketError(error, local),
            ),
          );
        } else {
          this.streams.push(
            await bindStream(
              listener,
              {
                accept: (socket, local) => this.accept(socket, local),
                upgrade: (request, socket, head, local) => this.upgrade(request, socket, head, local),
                refused: () => this.counters.connectionsRefused++,
                error: (error, local) => this.socketError(error, local),
              },
              { maxConnections: this.pool.capacity, handshakeTimeoutMs: this.settings.idleTimeoutMs },
            ),
          );
        }
      }
    } catch (error) {
      await this.close();
      throw error;
    }
    this.sentBy = new LocalSentBy(this.listening(), this.options.publicAddress);
  }

  observe(observer: MessageObserver | undefined): void {
    this.observer = observer;
  }

  private notify(direction: 'in' | 'out', message: SipMessage, bytes: Buffer, remote: Endpoint): void {
    if (this.observer === undefined) return;
    try {
      this.observer(direction, message, bytes, remote);
    } catch (error) {
      this.rateLog.warn('observer', { error }, 'SIP message observer threw');
    }
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  listening(): Endpoint[] {
    return [...this.udp, ...this.streams].map((listener) => ({ ...listener.endpoint }));
  }

  viaSentBy(protocol: TransportProtocol): { host: string; port: number } {
    return this.sentBy.viaSentBy(protocol);
  }

  stats(): TransportStats {
    return {
      ...this.counters,
      messagesIn: { ...this.counters.messagesIn },
      messagesOut: { ...this.counters.messagesOut },
      bytesIn: { ...this.counters.bytesIn },
      bytesOut: { ...this.counters.bytesOut },
      connectionsOpen: this.pool.size,
    };
  }

  send(message: SipMessage, target: Endpoint, options?: SendOptions): Promise<void> {
    return promised((done) => this.transmit(message, target, options, done));
  }

  transmit(message: SipMessage, target: Endpoint, options: SendOptions | undefined, done: SendDone): void {
    let bytes: Buffer;
    try {
      bytes = serializeMessage(message);
    } catch (error) {
      later(done, error as Error);
      return;
    }
    this.notify('out', message, bytes, target);
    if (target.protocol === 'UDP') {
      this.sendDatagram(bytes, target, options?.local, done);
      return;
    }
    this.sendOnStream(bytes, target, options?.connectionId).then(() => done(undefined), done);
  }

  private async sendOnStream(
    bytes: Buffer,
    target: Endpoint,
    connectionId: string | undefined,
  ): Promise<void> {
    const reused = this.reusable(target, connectionId);
    await this.sendOnConnection(reused ?? (await this.connect(target)), bytes, target);
  }

  async sendResponse(response: SipResponse, requestInfo?: ReceiveInfo): Promise<void> {
    return this.sendPrepared(this.prepareResponse(response, requestInfo), response);
  }

  prepareResponse(response: SipResponse, requestInfo?: ReceiveInfo): PreparedResponse {
    const via = response.via[0];
    const protocol = via && toTransportProtocol(via.transport);
    if (via === undefined || protocol === undefined) {
      const target = requestInfo?.source ?? { protocol: 'UDP', address: '', port: 0 };
      throw new TransportError('response has no top Via with a known transport', target);
    }
    const bytes = serializeMessage(response);
    if (!isReliable(protocol)) {
      const local = requestInfo?.local.protocol === 'UDP' ? requestInfo.local : undefined;
      return { bytes, target: datagramResponseTarget(via), local, connectionId: undefined };
    }
    // RFC 3261 §18.2.2: the connection the request came on, else a connection to received/sent-by.
    return {
      bytes,
      target: streamResponseTarget(via, protocol),
      local: undefined,
      connectionId: requestInfo?.connectionId,
    };
  }

  sendPrepared(prepared: PreparedResponse, response?: SipResponse): Promise<void> {
    return promised((done) => this.transmitPrepared(prepared, response, done));
  }

  transmitPrepared(prepared: PreparedResponse, response: SipResponse | undefined, done: SendDone): void {
    const target = prepared.target;
    if (target.protocol === 'UDP') {
      this.notifyPrepared(prepared, response, target);
      this.sendDatagram(prepared.bytes, target, prepared.local, done);
      return;
    }
    this.sendPreparedOnStream(prepared, response).then(() => done(undefined), done);
  }

  private async sendPreparedOnStream(
    prepared: PreparedResponse,
    response: SipResponse | undefined,
  ): Promise<void> {
    const target = prepared.target;
    const original = prepared.connectionId === undefined ? undefined : this.pool.get(prepared.connectionId);
    this.notifyPrepared(prepared, response, original?.remote ?? target);
    const connection = original ?? this.pool.to(target) ?? (await this.connect(target));
    await this.sendOnConnection(connection, prepared.bytes, target);
  }

  /** The observer sees a retransmitted response too: parsed back from its bytes, only when someone looks. */
  private notifyPrepared(
    prepared: PreparedResponse,
    response: SipResponse | undefined,
    remote: Endpoint,
  ): void {
    if (this.observer === undefined) return;
    const message = response ?? parsedBack(prepared.bytes);
    if (message !== undefined) this.notify('out', message, prepared.bytes, remote);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const connection of this.pool.all()) connection.destroy();
    const listeners = [...this.udp, ...this.streams];
    this.udp.length = 0;
    this.streams.length = 0;
    await Promise.all(listeners.map((listener) => listener.close()));
  }

  // --- receiving ---------------------------------------------------------------------------

  private onDatagram(datagram: Buffer, remote: RemoteInfo, listener: UdpListener): void {
    if (isKeepAlive(datagram)) return;
    const source: Endpoint = {
      protocol: 'UDP',
      address: canonicalAddress(remote.address),
      port: remote.port,
    };
    this.receive(datagram, source, listener.endpoint, undefined);
  }

  /** StreamReceiver: one framed message from a connection. */
  message(bytes: Buffer, connection: StreamConnection): void {
    this.receive(bytes, connection.remote, connection.local, connection);
  }

  /**
   * StreamReceiver: the stream cannot be framed. RFC 3261 §18.3 asks for a 400 on a stream
   * message without Content-Length; an oversized one gets 513 (§21.5.14). Both when a Via can be
   * read, and the connection is closed since the framing is lost.
   */
  framingFailure(kind: FramingFailure, head: Buffer, connection: StreamConnection): void {
    this.counters.parseFailures++;
    this.rateLog.warn(
      `framing ${connection.protocol}`,
      { kind, source: connection.remote },
      'closing a stream connection that lost its SIP framing',
    );
    const tooLarge = kind === 'message-too-large';
    const headers = this.salvageRequestHeaders(head);
    const reply =
      headers &&
      this.statelessResponse(
        headers,
        tooLarge ? 513 : 400,
        tooLarge ? 'Message Too Large' : 'Bad Request (Content-Length)',
      );
    if (reply) this.countOut(connection.protocol, reply.length);
    connection.end(reply && connection.encode(reply));
  }

  private receive(
    bytes: Buffer,
    source: Endpoint,
    local: Endpoint,
    connection: StreamConnection | undefined,
  ): void {
    const protocol = source.protocol;
    this.counters.bytesIn[protocol] += bytes.length;
    try {
      const parsed = parseMessage(bytes, { maxSize: this.maxMessageSize });
      if (!parsed.ok) {
        this.rejectMalformed(parsed.error, source, local, connection);
        return;
      }
      const message = parsed.value;
      this.counters.messagesIn[protocol]++;
      this.notify('in', message, bytes, source);
      if (message.kind === 'request') {
        stampTopVia(message, source.address, source.port);
      } else {
        const top = message.via[0];
        if (top === undefined || !this.sentBy.isOurs(top)) {
          // RFC 3261 §18.1.2: a response whose top Via is not ours is discarded silently.
          this.counters.responsesDropped++;
          return;
        }
      }
      const info: ReceiveInfo = { source, local, receivedAt: this.clock.now() };
      if (connection) info.connectionId = connection.id;
      this.dispatch(message, info);
    } catch (error) {
      // Nothing received may take the process down; this is a defect, logged as one.
      this.logger.error({ error, source }, 'SIP transport failed to process a message');
    }
  }

  private dispatch(message: SipMessage, info: ReceiveInfo): void {
    const handler = this.handler;
    if (handler === undefined) return;
    try {
      handler(message, info);
    } catch (error) {
      this.counters.handlerErrors++;
      this.rateLog.warn('handler', { error, source: info.source }, 'SIP message handler threw');
    }
  }

  /** RFC 3261 §16.3 / §8.2: a request that cannot be parsed gets a stateless 400 when it has a Via. */
  private rejectMalformed(
    failure: ParseFailure,
    source: Endpoint,
    local: Endpoint,
    connection: StreamConnection | undefined,
  ): void {
    this.counters.parseFailures++;
    this.rateLog.warn(
      `malformed ${source.protocol}`,
      { rule: failure.rule, reason: failure.message, source },
      'malformed SIP message',
    );
    if (!failure.isRequest || failure.headers === undefined) return;
    const reply = this.statelessResponse(failure.headers, 400, `Bad Request (${reasonToken(failure.rule)})`);
    if (reply === undefined) return;
    const unsent = (error: unknown) =>
      this.logger.debug({ error, source }, 'could not send a stateless error response');
    if (connection) {
      connection.sendMessage(reply).catch(unsent);
      this.countOut(source.protocol, reply.length);
    } else {
      this.sendDatagram(reply, source, local, (error) => error && unsent(error));
    }
  }

  /** A stateless response built from the fields of a rejected request; undefined without a Via. */
  private statelessResponse(headers: SipHeaders, status: number, reason: string): Buffer | undefined {
    if (!headers.has('via')) return undefined;
    try {
      return serializeMessage(createResponseFromHeaders(headers, status, reason));
    } catch (error) {
      this.logger.debug({ error, status }, 'no stateless response: the request headers are unusable');
      return undefined;
    }
  }

  /** The header fields of a request whose head was cut off by a framing failure. */
  private salvageRequestHeaders(head: Buffer): SipHeaders | undefined {
    const lastLine = head.lastIndexOf('\r\n');
    if (lastLine < 0) return undefined;
    const parsed = parseMessage(Buffer.concat([head.subarray(0, lastLine), CRLF]), {
      maxSize: this.maxMessageSize,
    });
    if (parsed.ok) return parsed.value.kind === 'request' ? parsed.value.headers : undefined;
    return parsed.error.isRequest ? parsed.error.headers : undefined;
  }

  // --- connections -------------------------------------------------------------------------

  private accept(socket: Socket, local: Endpoint): void {
    const remote = this.remoteOf(socket, local.protocol);
    if (remote === undefined) return;
    const connection = this.adopt(socket, remote, local, false);
    if (connection) attachSipStream(connection, this, this.maxMessageSize);
  }

  private upgrade(request: IncomingMessage, socket: Socket, head: Buffer, local: Endpoint): void {
    // The HTTP server no longer listens on an upgraded socket: an error must not go unhandled.
    socket.on('error', () => socket.destroy());
    const handshake = acceptWebSocketUpgrade(request.method, request.headers);
    if (!handshake.ok) {
      socket.end(httpErrorResponse(handshake.status, handshake.reason));
      return;
    }
    const remote = this.remoteOf(socket, local.protocol);
    if (remote === undefined) return;
    if (this.pool.full) {
      this.counters.connectionsRefused++;
      socket.end(httpErrorResponse(503, 'Service Unavailable'));
      return;
    }
    socket.write(handshake.response);
    const connection = this.adopt(socket, remote, local, false);
    if (connection === undefined) return;
    attachWebSocket(connection, this, this.maxMessageSize);
    if (head.length > 0) connection.input(head);
  }

  private remoteOf(socket: Socket, protocol: TransportProtocol): Endpoint | undefined {
    const address = socket.remoteAddress;
    const port = socket.remotePort;
    if (address === undefined || port === undefined) {
      socket.destroy(); // already gone
      return undefined;
    }
    return { protocol, address: canonicalAddress(address), port };
  }

  /** Wraps a connected socket and indexes it; refuses it when the pool is full. */
  private adopt(
    socket: Socket,
    remote: Endpoint,
    local: Endpoint,
    outbound: boolean,
  ): StreamConnection | undefined {
    if (this.closed) {
      socket.destroy(); // an outbound attempt that completed after close()
      return undefined;
    }
    if (this.pool.full) {
      this.counters.connectionsRefused++;
      socket.destroy();
      return undefined;
    }
    const connection = new StreamConnection(
      socket,
      remote.protocol,
      remote,
      local,
      outbound,
      this.settings,
      (c) => this.pool.remove(c),
    );
    this.pool.add(connection);
    if (outbound) this.counters.connectionsOpened++;
    else this.counters.connectionsAccepted++;
    return connection;
  }

  private reusable(target: Endpoint, connectionId: string | undefined): StreamConnection | undefined {
    if (connectionId !== undefined) {
      const chosen = this.pool.get(connectionId);
      if (chosen?.protocol === target.protocol) return chosen;
    }
    return this.pool.to(target);
  }

  /** Opens a connection to `target`, sharing one attempt between concurrent sends (RFC 3261 §18.1.1). */
  private connect(target: Endpoint): Promise<StreamConnection> {
    if (target.protocol !== 'TCP' && target.protocol !== 'TLS') {
      return Promise.reject(
        new TransportError(`no open ${target.protocol} connection to the target`, target),
      );
    }
    const key = endpointKey(target);
    const pending = this.connecting.get(key);
    if (pending) return pending;
    if (this.pool.full) return Promise.reject(new TransportError('connection limit reached', target));
    const attempt = openStreamSocket(target, this.tlsClient, this.clock, this.connectTimeoutMs).then(
      (socket) => {
        const local: Endpoint = {
          protocol: target.protocol,
          address: canonicalAddress(socket.localAddress ?? ''),
          port: socket.localPort ?? 0,
        };
        const connection = this.adopt(
          socket,
          { ...target, address: canonicalAddress(target.address) },
          local,
          true,
        );
        if (connection === undefined) throw new TransportError('connection limit reached', target);
        attachSipStream(connection, this, this.maxMessageSize);
        return connection;
      },
      (error: Error) => {
        throw new TransportError(`cannot connect: ${error.message}`, target);
      },
    );
    const shared = attempt.finally(() => this.connecting.delete(key));
    this.connecting.set(key, shared);
    return shared;
  }

  private async sendOnConnection(
    connection: StreamConnection,
    bytes: Buffer,
    target: Endpoint,
  ): Promise<void> {
    try {
      await connection.sendMessage(bytes);
    } catch (error) {
      throw new TransportError(`send failed: ${(error as Error).message}`, target);
    }
    this.countOut(connection.protocol, bytes.length);
  }

  // --- datagrams ---------------------------------------------------------------------------

  /** One datagram, reported to `done` through dgram's own callback: no Promise per message. */
  private sendDatagram(bytes: Buffer, target: Endpoint, local: Endpoint | undefined, done: SendDone): void {
    const listener = this.udpListenerFor(target.address, local);
    if (listener === undefined) {
      later(done, new TransportError('no UDP listener for this address family', target));
      return;
    }
    // A dual-stack IPv6 socket reaches IPv4 peers through their mapped address.
    const address =
      listener.ipv6 && target.address.includes('.') ? `::ffff:${target.address}` : target.address;
    try {
      listener.socket.send(bytes, target.port, address, (error: Error | null) => {
        if (error) {
          done(new TransportError(`send failed: ${error.message}`, target));
          return;
        }
        this.countOut('UDP', bytes.length);
        done(undefined);
      });
    } catch (error) {
      // Bad port or closed socket, thrown synchronously by dgram.
      later(done, new TransportError(`send failed: ${(error as Error).message}`, target));
    }
  }

  private udpListenerFor(address: string, local: Endpoint | undefined): UdpListener | undefined {
    const ipv6 = address.includes(':');
    if (local !== undefined) {
      const exact = this.udp.find(
        (l) => l.endpoint.port === local.port && l.endpoint.address === local.address,
      );
      if (exact && (exact.ipv6 || !ipv6)) return exact;
    }
    return this.udp.find((l) => l.ipv6 === ipv6) ?? (ipv6 ? undefined : this.udp.find((l) => l.ipv6));
  }

  private countOut(protocol: TransportProtocol, length: number): void {
    this.counters.messagesOut[protocol]++;
    this.counters.bytesOut[protocol] += length;
  }

  private socketError(error: Error, local: Endpoint): void {
    this.rateLog.warn(
      `socket ${local.protocol}`,
      { error: error.message, local },
      'SIP transport socket error',
    );
  }
}

/** A callback-style send as a Promise, for the public `send*` methods. */
function promised(start: (done: SendDone) => void): Promise<void> {
  return new Promise((resolve, reject) =>
    start((error) => (error === undefined ? resolve() : reject(error))),
  );
}

/** Reports a failure found before anything was handed to a socket: never from inside the caller's call. */
function later(done: SendDone, error: Error): void {
  queueMicrotask(() => done(error));
}

/** RFC 5626 §4.4.1-style keep-alives and stray line ends on UDP: nothing to parse or log. */
function isKeepAlive(datagram: Buffer): boolean {
  for (const byte of datagram)
    if (byte !== 0x0d && byte !== 0x0a && byte !== 0x20 && byte !== 0) return false;
  return true;
}

/** A message this layer serialised itself, read back for the observer. */
function parsedBack(bytes: Buffer): SipMessage | undefined {
  const parsed = parseMessage(bytes);
  return parsed.ok ? parsed.value : undefined;
}

/** A parse rule name made safe for a Reason-Phrase (RFC 3261 §25.1). */
function reasonToken(rule: string): string {
  return rule.replace(/[^A-Za-z0-9 ._-]/g, '').slice(0, 64);
}

function perProtocol(): Record<TransportProtocol, number> {
  return { UDP: 0, TCP: 0, TLS: 0, WS: 0, WSS: 0 };
}

function emptyStats(): TransportStats {
  return {
    messagesIn: perProtocol(),
    messagesOut: perProtocol(),
    bytesIn: perProtocol(),
    bytesOut: perProtocol(),
    connectionsOpen: 0,
    connectionsAccepted: 0,
    connectionsOpened: 0,
    connectionsRefused: 0,
    parseFailures: 0,
    responsesDropped: 0,
    handlerErrors: 0,
  };
}
