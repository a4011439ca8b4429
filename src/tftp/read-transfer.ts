/**
 * One read transfer (RRQ) as a small state machine: DATA/ACK lock-step (RFC 1350), or windows of
 * blocks (RFC 7440), with retransmission on timeout. It owns no socket: packets go out through a
 * PacketSender and come in through `receive`, so it runs unchanged under a fake clock.
 */
import type { TftpClock } from './clock.js';
import type { RemoteEndpoint, SourceFile } from './file-source.js';
import { encodeNetascii, type NetasciiCursor, NOTHING_OWED } from './netascii.js';
import {
  ackBlock,
  allocateData,
  decodePacket,
  ErrorCode,
  encodeError,
  Opcode,
  type TransferMode,
} from './packet.js';

export type TransferStatus = 'complete' | 'timeout' | 'error-sent' | 'error-received' | 'aborted';

export interface TransferOutcome {
  status: TransferStatus;
  /** The TFTP error code sent or received, when the status is one of the error ones. */
  errorCode?: number;
  errorMessage?: string;
  /** Octets of file data the client acknowledged (as sent, so netascii counts its CR LF). */
  bytes: number;
  retransmissions: number;
}

export interface PacketSender {
  send(packet: Buffer, port: number, address: string): void;
}

export interface ReadTransferSetup {
  remote: RemoteEndpoint;
  file: SourceFile;
  mode: TransferMode;
  blockSize: number;
  windowsize: number;
  timeoutMs: number;
  /** Retransmissions of the same packet or window before giving up. */
  maxRetries: number;
  /** The OACK to send first, when options were negotiated (RFC 2347); the client answers ACK 0. */
  optionAck: Buffer | undefined;
  clock: TftpClock;
  sender: PacketSender;
  onErrorSent(code: number): void;
  onEnd(outcome: TransferOutcome): void;
}

const MESSAGES: Record<number, string> = {
  [ErrorCode.notDefined]: 'Read error',
  [ErrorCode.illegalOperation]: 'Illegal TFTP operation',
  [ErrorCode.unknownTransferId]: 'Unknown transfer ID',
};

export class ReadTransfer {
  // Blocks are numbered absolutely here (1, 2, … past 65535) and reduced to 16 bits on the wire.
  private acked = 0;
  /** Last block of the window in flight; equals `acked` when nothing is in flight. */
  private windowEnd = 0;
  private finalBlock = Number.POSITIVE_INFINITY;
  private finalLength = 0;
  private highestSent = 0;
  /** Source position at the start of block `acked + 1 + i`, for i = 0..windowsize. */
  private readonly startOffsets: number[];
  private readonly startOwed: Int16Array;
  private readonly cursor: NetasciiCursor = { offset: 0, owed: NOTHING_OWED };
  private awaitingOptionAck: boolean;
  private retries = 0;
  private retransmissions = 0;
  private timer: object | undefined;
  /** A read of the source is in progress; ACKs that arrive meanwhile wait in `deferredAck`. */
  private reading = false;
  private deferredAck = -1;
  private ended = false;

  constructor(private readonly setup: ReadTransferSetup) {
    this.startOffsets = new Array<number>(setup.windowsize + 1).fill(0);
    this.startOwed = new Int16Array(setup.windowsize + 1).fill(NOTHING_OWED);
    this.awaitingOptionAck = setup.optionAck !== undefined;
  }

  start(): void {
    if (this.setup.optionAck) {
      this.setup.sender.send(this.setup.optionAck, this.setup.remote.port, this.setup.remote.address);
      this.armTimer();
    } else {
      this.sendWindow();
    }
  }

  /** A datagram that arrived on this transfer's port. */
  receive(packet: Buffer, address: string, port: number): void {
    if (this.ended) return;
    const { remote } = this.setup;
    if (port !== remote.port || address !== remote.address) {
      // RFC 1350 §4: a packet from a foreign TID gets error 5 and leaves the transfer alone.
      // Never answer an ERROR with an ERROR, which could loop between two servers.
      if (packet.length < 2 || packet[0] !== 0 || packet[1] !== Opcode.error)
        this.sendError(ErrorCode.unknownTransferId, port, address);
      return;
    }
    const wire = ackBlock(packet);
    if (wire >= 0) {
      if (this.reading) this.deferredAck = wire;
      else this.receiveAck(wire);
      return;
    }
    const decoded = decodePacket(packet);
    if (decoded.kind === 'error') {
      // RFC 2347 §2: error 8 from the client on our OACK ends the transfer like any ERROR.
      this.end({ status: 'error-received', errorCode: decoded.code, errorMessage: decoded.message });
      return;
    }
    this.sendError(ErrorCode.illegalOperation, remote.port, remote.address);
    this.end({ status: 'error-sent', errorCode: ErrorCode.illegalOperation });
  }

  /** Ends the transfer from outside (server shutdown), telling the client. */
  abort(message: string): void {
    if (this.ended) return;
    this.sendError(ErrorCode.notDefined, this.setup.remote.port, this.setup.remote.address, message);
    this.end({ status: 'aborted', errorCode: ErrorCode.notDefined, errorMessage: message });
  }

  private receiveAck(wire: number): void {
    if (this.awaitingOptionAck) {
      if (wire !== 0) return;
      this.awaitingOptionAck = false;
      this.retries = 0;
      this.sendWindow();
      return;
    }
    const block = this.acked + ((wire - (this.acked & 0xffff)) & 0xffff);
    // RFC 1123 §4.2.3.1: a duplicate ACK must not trigger a resend (Sorcerer's Apprentice);
    // only the timer retransmits. An ACK for a block never sent is ignored as well.
    if (block <= this.acked || block > this.windowEnd) return;
    if (block === this.finalBlock) {
      this.acked = block;
      this.end({ status: 'complete' });
      return;
    }
    // RFC 7440 §4: an ACK for the window's last block, or an earlier one, starts the next window
    // right after the acknowledged block.
    const index = block - this.acked;
    this.startOffsets[0] = this.startOffsets[index]!;
    this.startOwed[0] = this.startOwed[index]!;
    this.acked = block;
    this.retries = 0;
    this.sendWindow();
  }

  private sendWindow(): void {
    this.clearTimer();
    const { file, blockSize, windowsize } = this.setup;
    if ('data' in file) {
      this.emitWindow(file.data, 0);
      return;
    }
    const offset = this.startOffsets[0]!;
    // Each block consumes at most blockSize source octets (netascii only ever expands).
    const wanted = Math.min(windowsize, this.finalBlock - this.acked) * blockSize;
    this.reading = true;
    file.read(offset, wanted).then(
      (chunk) => {
        this.reading = false;
        if (this.ended) return;
        this.emitWindow(chunk, offset);
        const deferred = this.deferredAck;
        this.deferredAck = -1;
        if (deferred >= 0) this.receiveAck(deferred);
      },
      () => {
        this.reading = false;
        if (this.ended) return;
        this.sendError(ErrorCode.notDefined, this.setup.remote.port, this.setup.remote.address);
        this.end({
          status: 'error-sent',
          errorCode: ErrorCode.notDefined,
          errorMessage: 'source read failed',
        });
      },
    );
  }

  /** Sends the blocks after `acked`, up to a window, from `source` (file octets from `sourceBase`). */
  private emitWindow(source: Buffer, sourceBase: number): void {
    const { blockSize, windowsize, remote, sender } = this.setup;
    const cursor = this.cursor;
    cursor.offset = this.startOffsets[0]!;
    cursor.owed = this.startOwed[0]!;
    const first = this.acked + 1;
    const last = Math.min(this.acked + windowsize, this.finalBlock);
    let block = first;
    for (; block <= last; block++) {
      const index = block - first;
      this.startOffsets[index] = cursor.offset;
      this.startOwed[index] = cursor.owed;
      const packet = this.produceBlock(block, source, sourceBase);
      if (block <= this.highestSent) this.retransmissions++;
      else this.highestSent = block;
      sender.send(packet, remote.port, remote.address);
      if (packet.length - 4 < blockSize) {
        this.finalBlock = block;
        this.finalLength = packet.length - 4;
        break;
      }
    }
    this.windowEnd = Math.min(block, last);
    this.startOffsets[this.windowEnd - this.acked] = cursor.offset;
    this.startOwed[this.windowEnd - this.acked] = cursor.owed;
    this.armTimer();
  }

  private produceBlock(block: number, source: Buffer, sourceBase: number): Buffer {
    const { blockSize, mode } = this.setup;
    const cursor = this.cursor;
    if (mode === 'netascii') {
      const packet = allocateData(block, blockSize);
      const written = encodeNetascii(source, sourceBase, cursor, packet, 4, packet.length);
      return written < blockSize ? packet.subarray(0, 4 + written) : packet;
    }
    const start = cursor.offset - sourceBase;
    const length = Math.max(0, Math.min(blockSize, source.length - start));
    const packet = allocateData(block, length);
    source.copy(packet, 4, start, start + length);
    cursor.offset += length;
    return packet;
  }

  private armTimer(): void {
    this.clearTimer();
    this.timer = this.setup.clock.setTimeout(() => this.onTimeout(), this.setup.timeoutMs);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.setup.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (this.ended) return;
    if (++this.retries > this.setup.maxRetries) {
      this.end({ status: 'timeout' });
      return;
    }
    if (this.awaitingOptionAck) {
      this.retransmissions++;
      this.start();
    } else {
      // RFC 7440 §4: on timeout the whole window is sent again from the first unacknowledged block.
      this.sendWindow();
    }
  }

  private sendError(code: number, port: number, address: string, message = MESSAGES[code] ?? 'Error'): void {
    this.setup.sender.send(encodeError(code, message), port, address);
    this.setup.onErrorSent(code);
  }

  private end(outcome: Omit<TransferOutcome, 'bytes' | 'retransmissions'>): void {
    this.ended = true;
    this.clearTimer();
    const fullBlocks = Math.min(this.acked, this.finalBlock - 1);
    const bytes = fullBlocks * this.setup.blockSize + (this.acked === this.finalBlock ? this.finalLength : 0);
    this.setup.onEnd({ ...outcome, bytes, retransmissions: this.retransmissions });
  }
}
