/**
 * Binding the listening sockets: one UDP socket, or one TCP / TLS / HTTP(S) server, per
 * configured listener. What arrives on them is handed to the callbacks given here.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, isIP, isIPv6, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Endpoint, ListenerOptions } from './types.js';
import { httpErrorResponse } from './ws-handshake.js';

export interface UdpListener {
  endpoint: Endpoint;
  socket: UdpSocket;
  ipv6: boolean;
  close(): Promise<void>;
}

export interface StreamListener {
  endpoint: Endpoint;
  close(): Promise<void>;
}

export interface StreamCallbacks {
  /** A TCP connection, or a TLS one once its handshake completed. */
  accept(socket: Socket, local: Endpoint): void;
  /** An HTTP upgrade request on a WS/WSS listener. */
  upgrade(request: IncomingMessage, socket: Socket, head: Buffer, local: Endpoint): void;
  /** A connection the server dropped because `maxConnections` sockets were open. */
  refused(): void;
  /** A socket-level error outside any connection (TLS handshake failures, server errors). */
  error(error: Error, local: Endpoint): void;
}

export interface StreamServerSettings {
  maxConnections: number;
  /** Bound on TLS handshakes and on HTTP requests before the upgrade. */
  handshakeTimeoutMs: number;
}

/**
 * Default UDP socket buffers: a 4 MiB receive buffer holds some ten thousand typical requests
 * (the kernel accounts each datagram with its overhead) arriving while the event loop is busy,
 * where the usual 208 KiB default drops a burst after a few hundred.
 */
const DEFAULT_UDP_BUFFER_SIZE = 4 * 1024 * 1024;

/** Throws RangeError for a buffer size no socket can take (a configuration error). */
function checkBufferSize(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new RangeError(`${name} must be a positive integer number of bytes`);
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * dgram resolves the destination of every datagram, even an IP literal, through dns.lookup,
 * which answers a literal on the next tick: a deferred callback per message sent. Every target
 * the transport sends to is a literal already (RFC 3263 resolution happens above), so a literal
 * is answered at once and only a name goes to the resolver.
 */
function literalFirstLookup(address: string, options: LookupOneOptions, callback: LookupCallback): void {
  const family = isIP(address);
  if (family !== 0) callback(null, address, family);
  else dnsLookup(address, options, callback);
}

export function bindUdp(
  options: ListenerOptions,
  onDatagram: (datagram: Buffer, remote: RemoteInfo, listener: UdpListener) => void,
  onError: (error: Error, local: Endpoint) => void,
): Promise<UdpListener> {
  checkBufferSize('receiveBufferSize', options.receiveBufferSize);
  checkBufferSize('sendBufferSize', options.sendBufferSize);
  const ipv6 = isIPv6(options.address);
  const socket = createSocket({ type: ipv6 ? 'udp6' : 'udp4', lookup: literalFirstLookup });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, options.address, () => {
      socket.removeListener('error', reject);
      const listener: UdpListener = {
        endpoint: { protocol: 'UDP', address: options.address, port: socket.address().port },
        socket,
        ipv6,
        close: () => new Promise((done) => socket.close(() => done())),
      };
      socket.on('error', (error) => onError(error, listener.endpoint));
      // Sizes beyond net.core.rmem_max / wmem_max are capped by the kernel, not refused; a
      // refusal (e.g. a platform without the option) leaves the default and is reported.
      try {
        socket.setRecvBufferSize(options.receiveBufferSize ?? DEFAULT_UDP_BUFFER_SIZE);
        socket.setSendBufferSize(options.sendBufferSize ?? DEFAULT_UDP_BUFFER_SIZE);
      } catch (error) {
        onError(error as Error, listener.endpoint);
      }
      socket.on('message', (datagram, remote) => onDatagram(datagram, remote, listener));
      resolve(listener);
    });
  });
}

export function bindStream(
  options: ListenerOptions,
  callbacks: StreamCallbacks,
  settings: StreamServerSettings,
): Promise<StreamListener> {
  const server = createStreamServer(options, settings);
  // Every raw socket, so that close() does not wait on handshakes or idle HTTP clients.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Bounds sockets still in a TLS or HTTP handshake too, which the connection pool does not see.
  server.maxConnections = settings.maxConnections;
  server.on('drop', () => callbacks.refused());
  const endpoint: Endpoint = { protocol: options.protocol, address: options.address, port: options.port };
  switch (options.protocol) {
    case 'TCP':
      server.on('connection', (socket: Socket) => callbacks.accept(socket, endpoint));
      break;
    case 'TLS':
      server.on('secureConnection', (socket: TLSSocket) => callbacks.accept(socket, endpoint));
      server.on('tlsClientError', (error: Error) => callbacks.error(error, endpoint));
      break;
    default:
      server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) =>
        callbacks.upgrade(request, socket, head, endpoint),
      );
      // A plain HTTP request: this endpoint only speaks WebSocket.
      server.on('request', (request: IncomingMessage, response: ServerResponse) => {
        request.resume();
        response.writeHead(426, { Connection: 'close', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' });
        response.end();
      });
      server.on('clientError', (_error: Error, socket: Socket) => {
        if (socket.writable) socket.end(httpErrorResponse(400, 'Bad Request'));
        else socket.destroy();
      });
      if (options.protocol === 'WSS') {
        server.on('tlsClientError', (error: Error) => callbacks.error(error, endpoint));
      }
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.address }, () => {
      server.removeListener('error', reject);
      server.on('error', (error: Error) => callbacks.error(error, endpoint));
      const address = server.address();
      if (address !== null && typeof address === 'object') endpoint.port = address.port;
      resolve({
        endpoint,
        close: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function createStreamServer(options: ListenerOptions, settings: StreamServerSettings): Server {
  switch (options.protocol) {
    case 'TCP':
      return createTcpServer();
    case 'TLS':
      return createTlsServer(serverTlsOptions(options, settings));
    case 'WS':
      return withHttpTimeouts(createHttpServer(), settings);
    case 'WSS':
      return withHttpTimeouts(createHttpsServer(serverTlsOptions(options, settings)), settings);
    default:
      throw new TypeError(`not a stream protocol: ${options.protocol}`);
  }
}

function serverTlsOptions(options: ListenerOptions, settings: StreamServerSettings): TlsOptions {
  const tls = options.tls;
  if (tls === undefined) throw new TypeError(`a ${options.protocol} listener needs tls.key and tls.cert`);
  return {
    key: tls.key,
    cert: tls.cert,
    ca: tls.ca,
    requestCert: tls.requestCert ?? false,
    rejectUnauthorized: tls.requestCert ?? false,
    handshakeTimeout: settings.handshakeTimeoutMs,
  };
}

function withHttpTimeouts<T extends HttpServer>(server: T, settings: StreamServerSettings): T {
  server.headersTimeout = settings.handshakeTimeoutMs;
  server.requestTimeout = settings.handshakeTimeoutMs;
  return server;
}
