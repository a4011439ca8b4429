import { describe, expect, it } from 'vitest';
import {
  ackBlock,
  decodePacket,
  encodeAck,
  encodeData,
  encodeError,
  encodeOptionAck,
  encodeRequest,
  MAX_REQUEST_SIZE,
} from '../../../src/tftp/index.js';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

describe('TFTP packet codec', () => {
  it('decodes the RRQ captured by Wireshark (RFC 1350 §5)', () => {
    // UDP payload of testdata/sip-captures-wireshark/tftp.pcap.
    const rrq = bytes([0, 1], 'C:\\IBMTCPIP\\lccm.1\0octet\0');
    expect(decodePacket(rrq)).toEqual({
      kind: 'request',
      write: false,
      filename: 'C:\\IBMTCPIP\\lccm.1',
      mode: 'octet',
      options: [],
    });
  });

  it('round-trips requests with options, lower-casing names and modes', () => {
    const packet = encodeRequest(true, 'SEP0008A37128E9.cnf.xml', 'netascii', [
      ['blksize', '1428'],
      ['tsize', '0'],
    ]);
    expect(decodePacket(packet)).toEqual({
      kind: 'request',
      write: true,
      filename: 'SEP0008A37128E9.cnf.xml',
      mode: 'netascii',
      options: [
        ['blksize', '1428'],
        ['tsize', '0'],
      ],
    });
    const shouting = bytes([0, 1], 'f\0OcTeT\0BLKSIZE\x00008\x00');
    expect(decodePacket(shouting)).toMatchObject({ mode: 'octet', options: [['blksize', '008']] });
  });

  it('keeps the first of duplicate options and drops empty names', () => {
    const packet = bytes([0, 1], 'f\0octet\0blksize\x00100\x00BlkSize\x00200\0\0x\0');
    expect(decodePacket(packet)).toMatchObject({ options: [['blksize', '100']] });
  });

  it('bounds the number of options kept from a garbage-filled request', () => {
    const names = Array.from({ length: 60 }, (_, i) => `o${i}\0v\0`).join('');
    const decoded = decodePacket(bytes([0, 1], `f\0octet\0${names}`));
    expect(decoded.kind).toBe('request');
    if (decoded.kind === 'request') expect(decoded.options.length).toBe(16);
  });

  it('round-trips DATA, ACK, ERROR and OACK', () => {
    expect(decodePacket(encodeData(65535, Buffer.from('abc')))).toEqual({
      kind: 'data',
      block: 65535,
      data: Buffer.from('abc'),
    });
    expect(decodePacket(encodeData(7, Buffer.alloc(0)))).toEqual({
      kind: 'data',
      block: 7,
      data: Buffer.alloc(0),
    });
    expect(decodePacket(encodeAck(65536))).toEqual({ kind: 'ack', block: 0 });
    expect(decodePacket(encodeError(1, 'File not found'))).toEqual({
      kind: 'error',
      code: 1,
      message: 'File not found',
    });
    expect(
      decodePacket(
        encodeOptionAck([
          ['blksize', '1024'],
          ['windowsize', '8'],
        ]),
      ),
    ).toEqual({
      kind: 'oack',
      options: [
        ['blksize', '1024'],
        ['windowsize', '8'],
      ],
    });
  });

  it('reads ACK block numbers without decoding and refuses anything else', () => {
    expect(ackBlock(encodeAck(0x1234))).toBe(0x1234);
    expect(ackBlock(bytes([0, 4, 0]))).toBe(-1);
    expect(ackBlock(bytes([0, 4, 0, 1, 0]))).toBe(-1);
    expect(ackBlock(encodeData(1, Buffer.alloc(0)))).toBe(-1);
    expect(ackBlock(bytes([1, 4, 0, 1]))).toBe(-1);
  });

  it('accepts an ERROR whose message lacks its NUL', () => {
    expect(decodePacket(bytes([0, 5, 0, 8], 'no'))).toEqual({ kind: 'error', code: 8, message: 'no' });
  });

  it.each([
    ['empty', []],
    ['one octet', [0]],
    ['unknown opcode 0', [0, 0, 1, 2]],
    ['unknown opcode 7', [0, 7, 0, 0]],
    ['opcode high byte set', [1, 1, 0x66, 0, 0x6f, 0]],
    ['RRQ without strings', [0, 1]],
    ['RRQ without mode', [0, 1, 0x66, 0]],
    ['RRQ with empty filename', [0, 1, 0, 0x6f, 0x63, 0x74, 0x65, 0x74, 0]],
    ['RRQ filename not terminated', [0, 1, 0x66]],
    ['RRQ option without value', [0, 1, 0x66, 0, 0x6f, 0, 0x78, 0]],
    ['RRQ option value not terminated', [0, 1, 0x66, 0, 0x6f, 0, 0x78, 0, 0x31]],
    ['DATA without block', [0, 3, 0]],
    ['short ACK', [0, 4, 0]],
    ['long ACK', [0, 4, 0, 0, 0]],
    ['ERROR without code', [0, 5, 0]],
    ['OACK not terminated', [0, 6, 0x78]],
    ['OACK option without value', [0, 6, 0x78, 0]],
  ])('marks %s as malformed', (_name, octets) => {
    expect(decodePacket(Buffer.from(octets)).kind).toBe('malformed');
  });

  it('refuses requests longer than RFC 2347 allows', () => {
    const long = bytes([0, 1], `${'a'.repeat(MAX_REQUEST_SIZE)}\0octet\0`);
    expect(decodePacket(long)).toMatchObject({ kind: 'malformed' });
    const maximal = bytes([0, 1], `${'a'.repeat(MAX_REQUEST_SIZE - 2 - 7)}\0octet\0`);
    expect(maximal.length).toBe(MAX_REQUEST_SIZE);
    expect(decodePacket(maximal).kind).toBe('request');
  });

  it('never throws on random input', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 5000; i++) {
      const packet = Buffer.alloc(random() % 64);
      for (let j = 0; j < packet.length; j++) packet[j] = random() % 7 === 0 ? 0 : random() & 0xff;
      if (packet.length > 1) packet[0] = 0;
      if (packet.length > 1) packet[1] = random() % 8;
      expect(() => decodePacket(packet)).not.toThrow();
    }
  });
});
