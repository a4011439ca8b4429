/**
 * WebSocket framing (RFC 6455 §5) for SIP over WebSocket (RFC 7118): each data message carries
 * exactly one SIP message. No extension is negotiated, so every RSV bit must be zero (§5.2).
 */
import { isUtf8 } from 'node:buffer';
import { randomFillSync } from 'node:crypto';

export const WsOpcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;
export type WsOpcode = (typeof WsOpcode)[keyof typeof WsOpcode];

/** Close status codes used here (RFC 6455 §7.4.1). */
export const WsCloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  invalidPayload: 1007,
  messageTooBig: 1009,
} as const;

export interface WsFrameSink {
  message(payload: Buffer, binary: boolean): void;
  ping(payload: Buffer): void;
  pong(payload: Buffer): void;
  /** The peer started the closing handshake; `code` is undefined when its frame carried none. */
  close(code: number | undefined, reason: string): void;
  /** The peer broke the protocol; the connection must be failed with `code` (RFC 6455 §7.1.7). */
  failure(code: number, reason: string): void;
}

export interface WsDecoderOptions {
  /** Frames from a client must be masked, frames from a server must not be (RFC 6455 §5.1). */
  expectMasked: boolean;
  /** Largest reassembled message payload accepted. */
  maxMessageSize: number;
}

const MAX_CONTROL_PAYLOAD = 125;

/** Incremental frame decoder; stops at the first protocol error or close frame. */
export class WsFrameDecoder {
  private chunks: Buffer[] = [];
  private available = 0;
  private fragments: Buffer[] = [];
  private fragmentsSize = 0;
  private fragmentedBinary: boolean | undefined;
  private stopped = false;

  constructor(
    private readonly sink: WsFrameSink,
    private readonly options: WsDecoderOptions,
  ) {}

  get buffered(): number {
    return this.available + this.fragmentsSize;
  }

  push(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
    while (!this.stopped && this.decodeOne()) {}
  }

  /** Decodes one frame when it is complete; returns whether one was consumed. */
  private decodeOne(): boolean {
    if (this.available < 2) return false;
    const head = this.peek(Math.min(this.available, 14));
    const b0 = head[0]!;
    const b1 = head[1]!;
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (head.length < 4) return false;
      length = head.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (head.length < 10) return false;
      const high = head.readUInt32BE(2);
      // §5.2: the most significant bit must be 0; anything over 2^32 is over every limit here.
      if (high !== 0) return this.fail(WsCloseCode.messageTooBig, 'frame too large');
      length = head.readUInt32BE(6);
      offset = 10;
    }
    if ((b0 & 0x70) !== 0) return this.fail(WsCloseCode.protocolError, 'reserved bits set');
    if (masked !== this.options.expectMasked) {
      return this.fail(WsCloseCode.protocolError, masked ? 'masked frame from server' : 'unmasked frame');
    }
    const control = (opcode & 0x8) !== 0;
    if (control) {
      if (opcode > WsOpcode.Pong) return this.fail(WsCloseCode.protocolError, 'unknown opcode');
      // §5.5: control frames are never fragmented and carry at most 125 bytes.
      if (!fin || length > MAX_CONTROL_PAYLOAD)
        return this.fail(WsCloseCode.protocolError, 'bad control frame');
    } else {
      if (opcode > WsOpcode.Binary) return this.fail(WsCloseCode.protocolError, 'unknown opcode');
      if (opcode === WsOpcode.Continuation && this.fragmentedBinary === undefined) {
        return this.fail(WsCloseCode.protocolError, 'continuation without a message');
      }
      if (opcode !== WsOpcode.Continuation && this.fragmentedBinary !== undefined) {
        return this.fail(WsCloseCode.protocolError, 'new message inside a fragmented one');
      }
      if (this.fragmentsSize + length > this.options.maxMessageSize) {
        return this.fail(WsCloseCode.messageTooBig, 'message too large');
      }
    }
    if (masked) offset += 4;
    if (this.available < offset + length) return false;
    const frame = this.take(offset + length);
    const payload = frame.subarray(offset);
    if (masked) unmask(payload, frame, offset - 4);
    if (control) this.control(opcode, payload);
    else this.data(opcode, fin, payload);
    return true;
  }

  private data(opcode: number, fin: boolean, payload: Buffer): void {
    if (opcode !== WsOpcode.Continuation) this.fragmentedBinary = opcode === WsOpcode.Binary;
    const binary = this.fragmentedBinary === true;
    if (!fin) {
      this.fragments.push(payload);
      this.fragmentsSize += payload.length;
      return;
    }
    let message = payload;
    if (this.fragments.length > 0) {
      this.fragments.push(payload);
      message = Buffer.concat(this.fragments, this.fragmentsSize + payload.length);
      this.fragments = [];
      this.fragmentsSize = 0;
    }
    this.fragmentedBinary = undefined;
    // §8.1: a text message that is not UTF-8 fails the connection with 1007.
    if (!binary && !isUtf8(message)) {
      this.fail(WsCloseCode.invalidPayload, 'text message is not UTF-8');
      return;
    }
    this.sink.message(message, binary);
  }

  private control(opcode: number, payload: Buffer): void {
    if (opcode === WsOpcode.Ping) this.sink.ping(payload);
    else if (opcode === WsOpcode.Pong) this.sink.pong(payload);
    else this.closeFrame(payload);
  }

  /** §5.5.1 and §7.4: a close payload is empty or a valid code followed by a UTF-8 reason. */
  private closeFrame(payload: Buffer): void {
    if (payload.length === 0) {
      this.stop();
      this.sink.close(undefined, '');
      return;
    }
    const code = payload.length >= 2 ? payload.readUInt16BE(0) : 0;
    if (!isValidCloseCode(code)) {
      this.fail(WsCloseCode.protocolError, 'invalid close code');
      return;
    }
    const reason = payload.subarray(2);
    if (!isUtf8(reason)) {
      this.fail(WsCloseCode.invalidPayload, 'close reason is not UTF-8');
      return;
    }
    this.stop();
    this.sink.close(code, reason.toString('utf8'));
  }

  private fail(code: number, reason: string): false {
    this.stop();
    this.sink.failure(code, reason);
    return false;
  }

  private stop(): void {
    this.stopped = true;
    this.chunks = [];
    this.available = 0;
    this.fragments = [];
    this.fragmentsSize = 0;
  }

  /** The first `n` bytes (n ≤ available) as one buffer, merging chunks only when a frame straddles them. */
  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    const merged = Buffer.concat(this.chunks, this.available);
    this.chunks = [merged];
    return merged;
  }

  private take(n: number): Buffer {
    const merged = this.peek(n);
    this.available -= n;
    if (merged.length === n) this.chunks.shift();
    else this.chunks[0] = merged.subarray(n);
    // The frame may be a view of a socket chunk; unmasking writes in place, which is safe because
    // the bytes are consumed exactly once.
    return merged.subarray(0, n);
  }
}

function unmask(payload: Buffer, frame: Buffer, keyOffset: number): void {
  const k0 = frame[keyOffset]!;
  const k1 = frame[keyOffset + 1]!;
  const k2 = frame[keyOffset + 2]!;
  const k3 = frame[keyOffset + 3]!;
  const n = payload.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    payload[i] = payload[i]! ^ k0;
    payload[i + 1] = payload[i + 1]! ^ k1;
    payload[i + 2] = payload[i + 2]! ^ k2;
    payload[i + 3] = payload[i + 3]! ^ k3;
  }
  for (; i < n; i++) payload[i] = payload[i]! ^ frame[keyOffset + (i & 3)]!;
}

/** §7.4.1/§7.4.2: codes a peer may send in a close frame. */
function isValidCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

/**
 * Encodes one unfragmented frame. `mask` is true for frames a client sends (§5.3: a fresh random
 * key per frame).
 */
export function encodeWsFrame(opcode: WsOpcode, payload: Buffer, mask = false): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length <= 0xffff ? 2 : 8;
  const headerLength = 2 + lengthBytes + (mask ? 4 : 0);
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x80 | opcode;
  const maskBit = mask ? 0x80 : 0;
  if (lengthBytes === 0) {
    frame[1] = maskBit | length;
  } else if (lengthBytes === 2) {
    frame[1] = maskBit | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = maskBit | 127;
    frame.writeUInt32BE(0, 2);
    frame.writeUInt32BE(length, 6);
  }
  payload.copy(frame, headerLength);
  if (mask) {
    const keyOffset = headerLength - 4;
    randomFillSync(frame, keyOffset, 4);
    unmask(frame.subarray(headerLength), frame, keyOffset);
  }
  return frame;
}

/** A close frame payload: status code then UTF-8 reason (§5.5.1), reason cut to fit 125 bytes. */
export function encodeWsClose(code: number, reason = '', mask = false): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, MAX_CONTROL_PAYLOAD - 2);
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return encodeWsFrame(WsOpcode.Close, payload, mask);
}
