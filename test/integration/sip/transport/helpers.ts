/** Test peers for the transport layer: message text, a handler queue, raw stream clients. */
import { createConnection, type Socket } from 'node:net';
import { createRequest, generateBranch } from '../../../../src/sip/message/index.js';
import type { SipMessage, SipRequest } from '../../../../src/sip/message/types.js';
import { StreamFramer } from '../../../../src/sip/transport/stream-framer.js';
import type { ReceiveInfo, TransportLayer, TransportProtocol } from '../../../../src/sip/transport/types.js';

export interface RequestText {
  method?: string;
  transport: string;
  viaHost: string;
  viaPort?: number;
  branch?: string;
  rport?: boolean;
  body?: string;
  callId?: string;
}

let sequence = 0;

export function requestText(options: RequestText): string {
  const method = options.method ?? 'OPTIONS';
  const body = options.body ?? '';
  const port = options.viaPort === undefined ? '' : `:${options.viaPort}`;
  const branch = options.branch ?? `z9hG4bK-test-${++sequence}`;
  return (
    `${method} sip:service@127.0.0.1 SIP/2.0\r\n` +
    `Via: SIP/2.0/${options.transport} ${options.viaHost}${port};branch=${branch}${options.rport ? ';rport' : ''}\r\n` +
    'Max-Forwards: 70\r\n' +
    'From: <sip:alice@example.com>;tag=1928301774\r\n' +
    'To: <sip:service@127.0.0.1>\r\n' +
    `Call-ID: ${options.callId ?? `call-${sequence}`}@example.com\r\n` +
    `CSeq: 1 ${method}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

export interface Received {
  message: SipMessage;
  info: ReceiveInfo;
}

/** Queues what a layer's handler receives. */
export class Inbox {
  private readonly items: Received[] = [];
  private readonly waiters: Array<(item: Received) => void> = [];

  constructor(layer: TransportLayer) {
    layer.onMessage((message, info) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter({ message, info });
      else this.items.push({ message, info });
    });
  }

  next(): Promise<Received> {
    const item = this.items.shift();
    if (item) return Promise.resolve(item);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  get size(): number {
    return this.items.length;
  }
}

/** A raw TCP client that frames what the server sends back. */
export class StreamClient {
  readonly messages: string[] = [];
  pongs = 0;
  closed: Promise<void>;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    const framer = new StreamFramer(
      {
        message: (bytes) => {
          this.messages.push(bytes.toString('latin1'));
          this.wake();
        },
        ping: () => {},
        failure: () => {},
      },
      1 << 20,
    );
    socket.on('data', (chunk: Buffer) => {
      // A lone CRLF is the server's pong (RFC 5626 §3.5.1).
      if (chunk.toString('latin1') === '\r\n') {
        this.pongs++;
        this.wake();
        return;
      }
      framer.push(chunk);
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static connect(port: number): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => resolve(new StreamClient(socket)));
      socket.once('error', reject);
    });
  }

  write(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Resolves once `count` messages (or pongs, with `pongs`) have arrived. */
  async waitFor(count: number, what: 'messages' | 'pongs' = 'messages'): Promise<void> {
    while ((what === 'messages' ? this.messages.length : this.pongs) < count) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

export function statusOf(text: string | undefined): number {
  return Number(text?.slice(8, 11));
}

/** A request from `layer`, with the top Via the transaction layer would add. */
export function outboundRequest(layer: TransportLayer, protocol: TransportProtocol, uri: string): SipRequest {
  const sentBy = layer.viaSentBy(protocol);
  return createRequest({
    method: 'OPTIONS',
    uri,
    from: '<sip:client@127.0.0.1>;tag=1',
    to: '<sip:service@127.0.0.1>',
    callId: `${++sequence}@client.example.com`,
    cseq: 1,
    via: [
      {
        protocol: 'SIP/2.0',
        transport: protocol,
        host: sentBy.host,
        port: sentBy.port,
        params: {},
        branch: generateBranch(),
      },
    ],
  });
}
