/**
 * TFTP server for read requests (RFC 1350 with RFC 2347/2348/2349/7440 options). The listening
 * port only takes requests; every request gets its own socket on an ephemeral port, its TID
 * (RFC 1350 §4), and a ReadTransfer that runs the exchange.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { systemClock, type TftpClock } from './clock.js';
import { type FileSource, type RemoteEndpoint, type SourceFile, TftpError } from './file-source.js';
import { silentLogger, type TftpLogger } from './logger.js';
import { netasciiLength } from './netascii.js';
import { negotiateOptions } from './options.js';
import {
  decodePacket,
  ErrorCode,
  encodeError,
  encodeOptionAck,
  type TftpPacket,
  type TransferMode,
} from './packet.js';
import { ReadTransfer, type TransferOutcome, type TransferStatus } from './read-transfer.js';

export interface TftpServerOptions {
  /** Address to listen on (default 0.0.0.0); transfer sockets bind to it as well. */
  address?: string;
  /** UDP port for requests (default 69; 0 picks an ephemeral port). */
  port?: number;
  source: FileSource;
  clock?: TftpClock;
  logger?: TftpLogger;
  /** Retransmission interval unless the client negotiates one (RFC 2349), default 1000 ms. */
  timeoutMs?: number;
  /** Retransmissions before a transfer is given up, default 5. */
  maxRetries?: number;
  /**
   * Transfers at once, default 1000. Requests beyond it are dropped unanswered: the client's own
   * retransmission asks again later, so a boot storm of phones drains instead of failing.
   */
  maxTransfers?: number;
  /** Largest blksize granted (RFC 2348), default 65464. */
  maxBlockSize?: number;
  /** Path MTU to the phones, if known; blksize is clamped so DATA packets are never fragmented. */
  mtu?: number;
  /** Largest windowsize granted (RFC 7440), default 64; 1 means lock-step whatever the client asks. */
  maxWindowsize?: number;
  /** Octets one window may hold, default 64 KiB; bounds the memory each transfer pins. */
  maxWindowBytes?: number;
}

export interface TransferReport {
  file: string;
  remote: RemoteEndpoint;
  mode: TransferMode;
  write: boolean;
  status: TransferStatus;
  errorCode?: number;
  errorMessage?: string;
  bytes: number;
  retransmissions: number;
  ms: number;
}

export interface TftpStats {
  activeTransfers: number;
  filesServed: number;
  transfersFailed: number;
  bytesServed: number;
  retransmissions: number;
  /** Requests dropped because maxTransfers were running. */
  requestsDropped: number;
  /** ERROR packets sent, by TFTP error code. */
  errorsSent: Record<number, number>;
  errorsReceived: number;
}

export interface TftpServer {
  /** Where requests are received (the actual port when 0 was asked for). */
  address(): RemoteEndpoint;
  stats(): TftpStats;
  /** Called once per request that ends, served or not. Returns a function that unsubscribes. */
  onTransfer(listener: (report: TransferReport) => void): () => void;
  /** Stops listening, aborts running transfers (telling their clients) and resolves once all have ended. */
  close(): Promise<void>;
}

/** Answers to undecodable packets on the listening port, at most this many per second. */
const LISTENER_ERRORS_PER_SECOND = 200;

interface Session {
  key: string;
  file: string;
  mode: TransferMode;
  write: boolean;
  remote: RemoteEndpoint;
  startedAt: number;
  socket?: dgram.Socket;
  /** Datagrams handed to the socket and not yet out; the socket closes once this reaches 0. */
  sendsInFlight: number;
  /** Completion callback for this session's sends, made once per session. */
  sent: (error: Error | null) => void;
  ending: boolean;
  source?: SourceFile;
  transfer?: ReadTransfer;
  /** True until the first ACK: a repeated request from the same port is a retransmission then. */
  awaitingClient: boolean;
}

type Request = Extract<TftpPacket, { kind: 'request' }>;

class Server implements TftpServer {
  private readonly clock: TftpClock;
  private readonly logger: TftpLogger;
  private readonly family: 'udp4' | 'udp6';
  private readonly sessions = new Set<Session>();
  private readonly byRemote = new Map<string, Session>();
  private readonly listeners = new Set<(report: TransferReport) => void>();
  private readonly counters: TftpStats = {
    activeTransfers: 0,
    filesServed: 0,
    transfersFailed: 0,
    bytesServed: 0,
    retransmissions: 0,
    requestsDropped: 0,
    errorsSent: {},
    errorsReceived: 0,
  };
  private listenerErrorWindow = 0;
  private listenerErrorCount = 0;
  private closed = false;
  private drained: (() => void) | undefined;
  private readonly onSendDone = (error: Error | null) => {
    // UDP sends fail for unreachable peers; the retransmission timer deals with the loss.
    if (error) this.logger.debug({ err: error.message }, 'tftp send failed');
  };

  constructor(
    private readonly options: TftpServerOptions,
    private readonly listener: dgram.Socket,
    private readonly bindAddress: string,
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.family = net.isIPv6(bindAddress) ? 'udp6' : 'udp4';
    listener.on('message', (packet, rinfo) => {
      try {
        this.receiveRequest(packet, { address: rinfo.address, port: rinfo.port });
      } catch (error) {
        this.logger.error({ err: error }, 'tftp request handling failed');
      }
    });
  }

  address(): RemoteEndpoint {
    const { address, port } = this.listener.address();
    return { address, port };
  }

  stats(): TftpStats {
    return { ...this.counters, errorsSent: { ...this.counters.errorsSent } };
  }

  onTransfer(listener: (report: TransferReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const idle = new Promise<void>((resolve) => {
      this.drained = resolve;
    });
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
    for (const session of [...this.sessions]) session.transfer?.abort('Server shutting down');
    if (this.sessions.size === 0) this.drained?.();
    await idle;
  }

  private receiveRequest(packet: Buffer, remote: RemoteEndpoint): void {
    if (this.closed) return;
    const decoded = decodePacket(packet);
    if (decoded.kind === 'error') return;
    if (decoded.kind !== 'request') {
      this.answerListenerError(ErrorCode.illegalOperation, 'Illegal TFTP operation', remote);
      return;
    }
    if (decoded.mode !== 'octet' && decoded.mode !== 'netascii') {
      // RFC 1350 §5 also names "mail", which only ever applied to writes.
      this.answerListenerError(ErrorCode.illegalOperation, 'Unsupported transfer mode', remote);
      return;
    }
    const key = `${remote.address} ${remote.port}`;
    const existing = this.byRemote.get(key);
    if (existing?.awaitingClient && existing.file === decoded.filename && existing.write === decoded.write)
      return;
    if (this.sessions.size >= (this.options.maxTransfers ?? 1000)) {
      this.counters.requestsDropped++;
      return;
    }
    const session: Session = {
      key,
      file: decoded.filename,
      mode: decoded.mode,
      write: decoded.write,
      remote,
      startedAt: this.clock.now(),
      awaitingClient: true,
      sendsInFlight: 0,
      ending: false,
      sent: (error) => {
        this.onSendDone(error);
        if (--session.sendsInFlight === 0 && session.ending) session.socket?.close();
      },
    };
    this.sessions.add(session);
    this.byRemote.set(key, session);
    this.counters.activeTransfers = this.sessions.size;
    this.runSession(session, decoded).catch((error: unknown) => {
      this.logger.error({ err: error, file: session.file }, 'tftp session failed');
      this.finish(session, { status: 'aborted', bytes: 0, retransmissions: 0 });
    });
  }

  /** Rate-limited so that a flood of garbage cannot turn the server into a reflector. */
  private answerListenerError(code: number, message: string, remote: RemoteEndpoint): void {
    const second = Math.floor(this.clock.now() / 1000);
    if (second !== this.listenerErrorWindow) {
      this.listenerErrorWindow = second;
      this.listenerErrorCount = 0;
    }
    if (++this.listenerErrorCount > LISTENER_ERRORS_PER_SECOND) return;
    this.countErrorSent(code);
    this.listener.send(encodeError(code, message), remote.port, remote.address, this.onSendDone);
  }

  private async runSession(session: Session, request: Request): Promise<void> {
    const socket = await this.openTransferSocket(session);
    session.socket = socket;
    if (this.closed) return this.finish(session, { status: 'aborted', bytes: 0, retransmissions: 0 });
    // RFC 1350 §1: only reads are served; a PBX's provisioning files are not written by phones.
    if (request.write) return this.refuse(session, ErrorCode.accessViolation, 'Write not supported');
    let source: SourceFile | undefined | 'late';
    try {
      source = await this.openWithDeadline(session);
    } catch (error) {
      if (error instanceof TftpError) return this.refuse(session, error.code, error.message);
      this.logger.warn({ err: error, file: request.filename }, 'tftp file source failed');
      return this.refuse(session, ErrorCode.notDefined, 'Cannot open file');
    }
    if (source === 'late') return this.refuse(session, ErrorCode.notDefined, 'Timed out opening file');
    if (!source) return this.refuse(session, ErrorCode.fileNotFound, 'File not found');
    session.source = source;
    if (this.closed) return this.finish(session, { status: 'aborted', bytes: 0, retransmissions: 0 });
    const negotiated = negotiateOptions(
      request.options,
      {
        maxBlockSize: this.options.maxBlockSize ?? 65464,
        mtu: this.options.mtu,
        maxWindowsize: this.options.maxWindowsize ?? 64,
        maxWindowBytes: this.options.maxWindowBytes ?? 64 * 1024,
      },
      { transferSize: transferSize(source, session.mode), ipv6: this.family === 'udp6' },
    );
    const transfer = new ReadTransfer({
      remote: session.remote,
      file: source,
      mode: session.mode,
      blockSize: negotiated.blockSize,
      windowsize: negotiated.windowsize,
      timeoutMs: negotiated.timeoutMs ?? this.options.timeoutMs ?? 1000,
      maxRetries: this.options.maxRetries ?? 5,
      optionAck: negotiated.acknowledged.length > 0 ? encodeOptionAck(negotiated.acknowledged) : undefined,
      clock: this.clock,
      sender: { send: (packet, port, address) => this.sendFromSession(session, packet, port, address) },
      onErrorSent: (code) => this.countErrorSent(code),
      onEnd: (outcome) => this.finish(session, outcome),
    });
    session.transfer = transfer;
    socket.on('message', (packet, rinfo) => {
      if (rinfo.port === session.remote.port && rinfo.address === session.remote.address)
        session.awaitingClient = false;
      transfer.receive(packet, rinfo.address, rinfo.port);
    });
    transfer.start();
  }

  /**
   * Opens the file, giving up once the client would have stopped waiting (all its retries), so
   * a stuck source cannot hold a transfer slot forever. A file that arrives late is closed.
   */
  private openWithDeadline(session: Session): Promise<SourceFile | undefined | 'late'> {
    const deadlineMs = (this.options.timeoutMs ?? 1000) * ((this.options.maxRetries ?? 5) + 1);
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = this.clock.setTimeout(() => {
        settled = true;
        resolve('late');
      }, deadlineMs);
      Promise.resolve()
        .then(() => this.options.source.open(session.file, session.remote))
        .then(
          (file) => {
            if (settled) return file && this.closeSource(file, session.file);
            settled = true;
            this.clock.clearTimeout(timer);
            resolve(file);
          },
          (error: unknown) => {
            if (settled) return;
            settled = true;
            this.clock.clearTimeout(timer);
            reject(error);
          },
        );
    });
  }

  private closeSource(file: SourceFile, name: string): void {
    if (!('close' in file) || !file.close) return;
    const close = file.close;
    Promise.resolve()
      .then(() => close.call(file))
      .catch((error: unknown) => this.logger.warn({ err: error, file: name }, 'tftp file close failed'));
  }

  private openTransferSocket(session: Session): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket(this.family);
      socket.once('error', reject);
      socket.bind({ port: 0, address: this.bindAddress, exclusive: true }, () => {
        socket.off('error', reject);
        socket.on('error', (error) =>
          this.logger.debug({ err: error.message, file: session.file }, 'tftp transfer socket error'),
        );
        resolve(socket);
      });
    });
  }

  private refuse(session: Session, code: number, message: string): void {
    this.countErrorSent(code);
    this.sendFromSession(session, encodeError(code, message), session.remote.port, session.remote.address);
    this.finish(session, {
      status: 'error-sent',
      errorCode: code,
      errorMessage: message,
      bytes: 0,
      retransmissions: 0,
    });
  }

  private sendFromSession(session: Session, packet: Buffer, port: number, address: string): void {
    if (!session.socket || session.ending) return;
    session.sendsInFlight++;
    session.socket.send(packet, port, address, session.sent);
  }

  private countErrorSent(code: number): void {
    this.counters.errorsSent[code] = (this.counters.errorsSent[code] ?? 0) + 1;
  }

  private finish(session: Session, outcome: TransferOutcome): void {
    if (!this.sessions.delete(session)) return;
    if (this.byRemote.get(session.key) === session) this.byRemote.delete(session.key);
    // A datagram still on its way out (the final ERROR) would be lost if the socket closed now.
    session.ending = true;
    if (session.sendsInFlight === 0) session.socket?.close();
    if (session.source) this.closeSource(session.source, session.file);
    const c = this.counters;
    c.activeTransfers = this.sessions.size;
    c.retransmissions += outcome.retransmissions;
    if (outcome.status === 'complete') {
      c.filesServed++;
      c.bytesServed += outcome.bytes;
    } else {
      c.transfersFailed++;
      if (outcome.status === 'error-received') c.errorsReceived++;
    }
    const report: TransferReport = {
      file: session.file,
      remote: session.remote,
      mode: session.mode,
      write: session.write,
      ...outcome,
      ms: this.clock.now() - session.startedAt,
    };
    this.logger.debug(report, 'tftp transfer ended');
    for (const listener of this.listeners) {
      try {
        listener(report);
      } catch (error) {
        this.logger.error({ err: error }, 'tftp transfer listener failed');
      }
    }
    if (this.closed && this.sessions.size === 0) this.drained?.();
  }
}

/** The size the client will receive, when known without reading the file (RFC 2349 tsize). */
function transferSize(source: SourceFile, mode: TransferMode): number | undefined {
  if ('data' in source) return mode === 'octet' ? source.data.length : netasciiLength(source.data);
  return mode === 'octet' ? source.size : undefined;
}

export async function createTftpServer(options: TftpServerOptions): Promise<TftpServer> {
  const address = options.address ?? '0.0.0.0';
  const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port: options.port ?? 69, address, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const server = new Server(options, socket, address);
  socket.on('error', (error) =>
    (options.logger ?? silentLogger).error({ err: error }, 'tftp listener error'),
  );
  return server;
}
