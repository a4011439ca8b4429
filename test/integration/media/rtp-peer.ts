/** A test RTP party on 127.0.0.1: sends packets to an endpoint and keeps every packet it receives. */
import { createSocket, type Socket } from 'node:dgram';
import {
  type Endpoint,
  emptyRtpHeader,
  parseRtp,
  type RtpHeader,
  serializeRtp,
} from '../../../src/media/index.js';

export interface ReceivedPacket {
  header: RtpHeader;
  payload: Buffer;
  from: { address: string; port: number };
}

export class RtpPeer {
  readonly received: ReceivedPacket[] = [];
  readonly rtcpReceived: Buffer[] = [];
  private sequence = Math.floor(Math.random() * 0x10000);
  private timestamp = Math.floor(Math.random() * 0x100000000) >>> 0;
  readonly ssrc = Math.floor(Math.random() * 0x100000000) >>> 0;
  private waiters: Array<() => void> = [];

  private constructor(
    readonly socket: Socket,
    readonly rtcpSocket: Socket,
  ) {
    socket.on('message', (data, from) => {
      const header = emptyRtpHeader();
      if (parseRtp(data, header) !== null) return;
      this.received.push({
        header,
        payload: data.subarray(header.payloadOffset, header.payloadOffset + header.payloadLength),
        from,
      });
      this.notify();
    });
    rtcpSocket.on('message', (data) => {
      this.rtcpReceived.push(data);
      this.notify();
    });
  }

  static async create(): Promise<RtpPeer> {
    const bind = () =>
      new Promise<Socket>((resolve) => {
        const socket = createSocket('udp4');
        socket.bind(0, '127.0.0.1', () => resolve(socket));
      });
    return new RtpPeer(await bind(), await bind());
  }

  get port(): number {
    return this.socket.address().port;
  }

  get rtcpPort(): number {
    return this.rtcpSocket.address().port;
  }

  /** What to tell the engine as this party's SDP address. */
  get remote(): { address: string; port: number; rtcpPort: number } {
    return { address: '127.0.0.1', port: this.port, rtcpPort: this.rtcpPort };
  }

  /** Sends one packet with the next sequence number; the timestamp advances by the payload length. */
  send(
    to: Endpoint,
    payload: Uint8Array,
    payloadType = 0,
    options: { marker?: boolean; timestamp?: number } = {},
  ): void {
    const packet = serializeRtp({
      payloadType,
      marker: options.marker,
      sequenceNumber: this.sequence,
      timestamp: options.timestamp ?? this.timestamp,
      ssrc: this.ssrc,
      payload,
    });
    this.sequence = (this.sequence + 1) & 0xffff;
    if (options.timestamp === undefined) this.timestamp = (this.timestamp + payload.length) >>> 0;
    this.socket.send(packet, to.rtpPort, to.address);
  }

  sendRaw(to: Endpoint, data: Uint8Array, rtcp = false): void {
    (rtcp ? this.rtcpSocket : this.socket).send(data, rtcp ? to.rtcpPort : to.rtpPort, to.address);
  }

  /** Sends `frames` packets 20 ms apart (G.711 pacing), resolving after the last. */
  async stream(to: Endpoint, frames: Iterable<Uint8Array>, payloadType = 0): Promise<void> {
    for (const frame of frames) {
      this.send(to, frame, payloadType);
      await sleep(20);
    }
  }

  /** Resolves when `condition` holds, checked on each arrival; rejects after `ms`. */
  until(condition: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        reject(new Error(`timed out waiting for ${what} (received ${this.received.length} packets)`));
      }, ms);
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  close(): Promise<void> {
    return Promise.all([
      new Promise<void>((resolve) => this.socket.close(() => resolve())),
      new Promise<void>((resolve) => this.rtcpSocket.close(() => resolve())),
    ]).then(() => undefined);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Payload of `length` bytes counting up from `seed`, to recognise packets at the far end. */
export function markedPayload(seed: number, length = 160): Buffer {
  const payload = Buffer.alloc(length);
  for (let i = 0; i < length; i++) payload[i] = (seed + i) & 0xff;
  return payload;
}
