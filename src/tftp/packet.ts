/**
 * TFTP packet codec: RFC 1350 §5 packet formats, the RFC 2347 OACK and option lists.
 * Decoding never throws; anything that does not follow the formats is `malformed`.
 */

export const Opcode = {
  readRequest: 1,
  writeRequest: 2,
  data: 3,
  ack: 4,
  error: 5,
  optionAck: 6,
} as const;

/** RFC 1350 appendix error codes, plus 8 from RFC 2347. */
export const ErrorCode = {
  notDefined: 0,
  fileNotFound: 1,
  accessViolation: 2,
  diskFull: 3,
  illegalOperation: 4,
  unknownTransferId: 5,
  fileExists: 6,
  noSuchUser: 7,
  optionNegotiation: 8,
} as const;

export type TransferMode = 'octet' | 'netascii';

/** Option names are lower-cased (RFC 2347: case-insensitive); order is the sender's. */
export type OptionList = ReadonlyArray<readonly [name: string, value: string]>;

export type TftpPacket =
  | { kind: 'request'; write: boolean; filename: string; mode: string; options: OptionList }
  | { kind: 'data'; block: number; data: Buffer }
  | { kind: 'ack'; block: number }
  | { kind: 'error'; code: number; message: string }
  | { kind: 'oack'; options: OptionList }
  | { kind: 'malformed'; reason: string };

/**
 * RFC 2347 §2: a request with options must not exceed 512 octets. Larger requests are refused
 * so that option parsing works on bounded input.
 */
export const MAX_REQUEST_SIZE = 512;
/** Enough for every option defined so far; more is taken as garbage. */
const MAX_OPTIONS = 16;

const malformed = (reason: string): TftpPacket => ({ kind: 'malformed', reason });

/** The block number of an ACK packet, or -1 when `packet` is not a well-formed ACK. Allocation-free. */
export function ackBlock(packet: Buffer): number {
  if (packet.length !== 4 || packet[0] !== 0 || packet[1] !== Opcode.ack) return -1;
  return (packet[2]! << 8) | packet[3]!;
}

export function decodePacket(packet: Buffer): TftpPacket {
  if (packet.length < 2) return malformed('shorter than an opcode');
  const opcode = (packet[0]! << 8) | packet[1]!;
  switch (opcode) {
    case Opcode.readRequest:
    case Opcode.writeRequest:
      return decodeRequest(packet, opcode === Opcode.writeRequest);
    case Opcode.data:
      if (packet.length < 4) return malformed('DATA without block number');
      return { kind: 'data', block: packet.readUInt16BE(2), data: packet.subarray(4) };
    case Opcode.ack:
      if (packet.length !== 4) return malformed('ACK must be 4 octets');
      return { kind: 'ack', block: packet.readUInt16BE(2) };
    case Opcode.error: {
      if (packet.length < 4) return malformed('ERROR without code');
      // Lenient: a missing final NUL still yields the message, the peer is ending anyway.
      const end = packet.indexOf(0, 4);
      const message = packet.toString('utf8', 4, end < 0 ? packet.length : end);
      return { kind: 'error', code: packet.readUInt16BE(2), message };
    }
    case Opcode.optionAck: {
      const strings = splitStrings(packet, 2);
      if (!strings) return malformed('OACK strings not NUL-terminated');
      const options = pairOptions(strings, 0);
      return options ? { kind: 'oack', options } : malformed('OACK option without value');
    }
    default:
      return malformed(`unknown opcode ${opcode}`);
  }
}

function decodeRequest(packet: Buffer, write: boolean): TftpPacket {
  if (packet.length > MAX_REQUEST_SIZE) return malformed('request longer than 512 octets');
  const strings = splitStrings(packet, 2);
  if (!strings || strings.length < 2) return malformed('request needs filename and mode');
  const [filename, mode] = strings as [string, string];
  if (filename === '') return malformed('empty filename');
  const options = pairOptions(strings, 2);
  if (!options) return malformed('option without value');
  return { kind: 'request', write, filename, mode: mode.toLowerCase(), options };
}

/** NUL-terminated strings from `start` to the end; undefined if the last one lacks its NUL. */
function splitStrings(packet: Buffer, start: number): string[] | undefined {
  const strings: string[] = [];
  let from = start;
  while (from < packet.length) {
    const end = packet.indexOf(0, from);
    if (end < 0) return undefined;
    strings.push(packet.toString('utf8', from, end));
    from = end + 1;
  }
  return strings;
}

/** Name/value pairs from `strings[start..]`; duplicates after the first and names past the limit are dropped. */
function pairOptions(strings: string[], start: number): OptionList | undefined {
  if ((strings.length - start) % 2 !== 0) return undefined;
  const options: [string, string][] = [];
  for (let i = start; i < strings.length && options.length < MAX_OPTIONS; i += 2) {
    const name = strings[i]!.toLowerCase();
    if (name === '' || options.some(([seen]) => seen === name)) continue;
    options.push([name, strings[i + 1]!]);
  }
  return options;
}

function putString(target: Buffer, offset: number, text: string): number {
  const written = target.write(text, offset, 'utf8');
  target[offset + written] = 0;
  return offset + written + 1;
}

function encodeStrings(opcode: number, strings: readonly string[]): Buffer {
  let length = 2;
  for (const s of strings) length += Buffer.byteLength(s, 'utf8') + 1;
  const packet = Buffer.allocUnsafe(length);
  packet.writeUInt16BE(opcode, 0);
  let offset = 2;
  for (const s of strings) offset = putString(packet, offset, s);
  return packet;
}

export function encodeRequest(
  write: boolean,
  filename: string,
  mode: TransferMode,
  options: OptionList = [],
): Buffer {
  return encodeStrings(write ? Opcode.writeRequest : Opcode.readRequest, [filename, mode, ...options.flat()]);
}

export function encodeOptionAck(options: OptionList): Buffer {
  return encodeStrings(Opcode.optionAck, options.flat());
}

export function encodeAck(block: number): Buffer {
  const packet = Buffer.allocUnsafe(4);
  packet.writeUInt16BE(Opcode.ack, 0);
  packet.writeUInt16BE(block & 0xffff, 2);
  return packet;
}

export function encodeError(code: number, message: string): Buffer {
  const packet = Buffer.allocUnsafe(5 + Buffer.byteLength(message, 'utf8'));
  packet.writeUInt16BE(Opcode.error, 0);
  packet.writeUInt16BE(code & 0xffff, 2);
  putString(packet, 4, message);
  return packet;
}

/** A DATA packet with room for `length` payload octets after the 4-octet header, header filled in. */
export function allocateData(block: number, length: number): Buffer {
  const packet = Buffer.allocUnsafe(4 + length);
  packet.writeUInt16BE(Opcode.data, 0);
  packet.writeUInt16BE(block & 0xffff, 2);
  return packet;
}

export function encodeData(block: number, payload: Buffer): Buffer {
  const packet = allocateData(block, payload.length);
  payload.copy(packet, 4);
  return packet;
}
