/**
 * A small TFTP read client for tests and benchmarks: RFC 1350 lock-step or RFC 7440 windows,
 * retransmission of its last packet on timeout, and hooks to misbehave on purpose.
 */
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import {
  decodePacket,
  encodeAck,
  encodeRequest,
  type OptionList,
  type RemoteEndpoint,
  type TransferMode,
} from '../../../src/tftp/index.js';

export interface GetOptions {
  server: RemoteEndpoint;
  file: string;
  mode?: TransferMode;
  options?: OptionList;
  /** Client retransmission interval, default 500 ms. */
  timeoutMs?: number;
  retries?: number;
  /** Return true to "lose" the ACK for this block (it is not sent). */
  loseAck?: (block: number) => boolean;
  /** Sees every DATA block as it arrives, with the server's transfer port. */
  onData?: (block: number, serverPort: number) => void;
  /** Sees every datagram sent or received, e.g. to write a capture file. */
  onPacket?: (packet: Buffer, from: RemoteEndpoint, to: RemoteEndpoint) => void;
}

export interface GetResult {
  data?: Buffer;
  error?: { code: number; message: string };
  optionAck?: OptionList;
  serverPort: number;
  /** DATA packets received that were not the next expected block. */
  duplicates: number;
}

/** Netascii back to local text: CR LF is LF, CR NUL is CR. */
export function decodeNetascii(data: Buffer): Buffer {
  return Buffer.from(data.toString('latin1').replace(/\r\n/g, '\n').replace(/\r\0/g, '\r'), 'latin1');
}

export function tftpGet(options: GetOptions): Promise<GetResult> {
  const { server, file } = options;
  const mode = options.mode ?? 'octet';
  const timeoutMs = options.timeoutMs ?? 500;
  const maxRetries = options.retries ?? 8;
  const socket = dgram.createSocket('udp4');
  return new Promise<GetResult>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let blockSize = 512;
    let windowsize = 1;
    let received = 0; // absolute number of the last in-order block
    let inWindow = 0;
    let peer: RemoteEndpoint | undefined;
    let optionAck: OptionList | undefined;
    let duplicates = 0;
    let last = encodeRequest(false, file, mode, options.options);
    let retries = 0;
    let timer: NodeJS.Timeout | undefined;
    const target = () => peer ?? server;
    const local = () => ({ address: '127.0.0.1', port: socket.address().port });
    const send = (packet: Buffer, then?: () => void) => {
      last = packet;
      options.onPacket?.(packet, local(), target());
      socket.send(packet, target().port, target().address, then);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (++retries > maxRetries) return done(new Error(`timeout fetching ${file}`));
        options.onPacket?.(last, local(), target());
        socket.send(last, target().port, target().address);
        arm();
      }, timeoutMs);
    };
    let finished = false;
    const done = (outcome: Error | Omit<GetResult, 'serverPort' | 'duplicates'>) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.close();
      if (outcome instanceof Error) reject(outcome);
      else resolve({ ...outcome, serverPort: peer?.port ?? 0, duplicates });
    };
    const ack = (block: number, final: boolean) => {
      inWindow = 0;
      const packet = encodeAck(block);
      const finish = () => {
        const data = Buffer.concat(chunks);
        done({ data: mode === 'netascii' ? decodeNetascii(data) : data, optionAck });
      };
      if (options.loseAck?.(block)) {
        last = packet;
        if (final) finish();
      } else {
        // The socket closes only once the final ACK is out, or the server would never see it.
        send(packet, final ? finish : undefined);
      }
    };
    socket.on('message', (packet, rinfo) => {
      options.onPacket?.(packet, { address: rinfo.address, port: rinfo.port }, local());
      if (!peer) peer = { address: rinfo.address, port: rinfo.port };
      else if (rinfo.port !== peer.port || rinfo.address !== peer.address) return;
      retries = 0;
      arm();
      const decoded = decodePacket(packet);
      switch (decoded.kind) {
        case 'error':
          return done({ error: { code: decoded.code, message: decoded.message }, optionAck });
        case 'oack':
          if (received !== 0) return;
          optionAck = decoded.options;
          for (const [name, value] of decoded.options) {
            if (name === 'blksize') blockSize = Number(value);
            if (name === 'windowsize') windowsize = Number(value);
          }
          return ack(0, false);
        case 'data': {
          options.onData?.(decoded.block, rinfo.port);
          if (decoded.block !== ((received + 1) & 0xffff)) {
            duplicates++;
            // RFC 7440 §4: out of order, acknowledge the last block received in order.
            return ack(received, false);
          }
          received++;
          chunks.push(Buffer.from(decoded.data));
          inWindow++;
          const final = decoded.data.length < blockSize;
          if (final || inWindow >= windowsize) ack(received, final);
          return;
        }
        default:
          return done(new Error(`unexpected ${decoded.kind} from server`));
      }
    });
    socket.on('error', (error) => done(error));
    socket.bind(0, '127.0.0.1', () => {
      send(last);
      arm();
    });
  });
}

/** Length and SHA-256 of `data`: compares large buffers quickly and prints short on mismatch. */
export function fingerprint(data: Buffer | undefined): string {
  return data ? `${data.length}:${createHash('sha256').update(data).digest('hex')}` : 'none';
}
