/**
 * One stream connection (TCP, TLS or WebSocket): its socket, its idle timer and a bounded write
 * queue. What the bytes mean is the business of the session attached to it.
 */
import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '../clock.js';
import type { Endpoint, TransportProtocol } from './types.js';

export interface ConnectionSettings {
  clock: Clock;
  /** Close after this long without a complete message or keep-alive in either direction. */
  idleTimeoutMs: number;
  /** A peer that leaves more than this unread is cut rather than buffered for. */
  maxWriteBuffer: number;
  /** Time a connection closed after an error response may still drain before it is destroyed. */
  lingerMs: number;
}

/** Converts a SIP message into the bytes that carry it (identity on TCP/TLS, a frame on WebSocket). */
export type MessageEncoder = (message: Buffer) => Buffer;

let nextId = 0;

export class StreamConnection {
  readonly id: string;
  private lastActivity: number;
  private idleTimer: TimerHandle | undefined;
  private lingerTimer: TimerHandle | undefined;
  private ending = false;
  private closed = false;
  /** Bytes arriving on the socket go here; set by the session. */
  input: (chunk: Buffer) => void = () => {};
  encode: MessageEncoder = (message) => message;

  constructor(
    readonly socket: Socket,
    readonly protocol: TransportProtocol,
    readonly remote: Endpoint,
    readonly local: Endpoint,
    readonly outbound: boolean,
    private readonly settings: ConnectionSettings,
    onClose: (connection: StreamConnection) => void,
  ) {
    this.id = `${protocol.toLowerCase()}-${++nextId}`;
    this.lastActivity = settings.clock.now();
    socket.on('data', (chunk: Buffer) => {
      if (!this.ending) this.input(chunk);
    });
    // Errors (reset by peer, TLS alerts) end this connection only; 'close' follows. A peer's
    // FIN needs nothing here: without allowHalfOpen, Node ends our side once writes are flushed.
    socket.on('error', () => this.destroy());
    socket.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.clearTimers();
      onClose(this);
    });
    socket.setNoDelay(true);
    this.armIdle(settings.idleTimeoutMs);
  }

  /** True while messages may be written. */
  get open(): boolean {
    return !this.ending && !this.closed && !this.socket.destroyed;
  }

  /** A complete message or keep-alive went by: the connection is alive. */
  touch(): void {
    this.lastActivity = this.settings.clock.now();
  }

  /** Writes one SIP message. */
  sendMessage(message: Buffer): Promise<number> {
    this.touch();
    return this.write(this.encode(message));
  }

  /** Writes bytes as they are; resolves with their count once handed to the kernel. */
  write(bytes: Buffer): Promise<number> {
    if (!this.open) return Promise.reject(new Error('connection closed'));
    if (this.socket.writableLength + bytes.length > this.settings.maxWriteBuffer) {
      this.destroy();
      return Promise.reject(new Error('peer is not reading: write buffer full'));
    }
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (error) => (error ? reject(error) : resolve(bytes.length)));
    });
  }

  /**
   * Sends `last` (when given) then closes our side, keeps draining the peer's bytes unread, and
   * destroys the socket after the linger time: closing with unread input would reset the
   * connection and could lose `last` before the peer reads it.
   */
  end(last?: Buffer): void {
    if (!this.open) return;
    this.ending = true;
    if (last) this.socket.end(last);
    else this.socket.end();
    this.lingerTimer = this.settings.clock.setTimeout(() => this.destroy(), this.settings.lingerMs);
  }

  destroy(): void {
    this.ending = true;
    this.clearTimers();
    if (!this.socket.destroyed) this.socket.destroy();
  }

  private armIdle(delay: number): void {
    this.idleTimer = this.settings.clock.setTimeout(() => this.checkIdle(), delay);
  }

  /** One timer per connection, re-armed lazily, so that busy connections cost no timer churn. */
  private checkIdle(): void {
    this.idleTimer = undefined;
    const idleFor = this.settings.clock.now() - this.lastActivity;
    if (idleFor >= this.settings.idleTimeoutMs) this.destroy();
    else this.armIdle(this.settings.idleTimeoutMs - idleFor);
  }

  private clearTimers(): void {
    if (this.idleTimer !== undefined) this.settings.clock.clearTimeout(this.idleTimer);
    if (this.lingerTimer !== undefined) this.settings.clock.clearTimeout(this.lingerTimer);
    this.idleTimer = undefined;
    this.lingerTimer = undefined;
  }
}
