import { describe, expect, it } from 'vitest';
import { encodeNetascii, NOTHING_OWED, netasciiLength } from '../../../src/tftp/index.js';

/** Encodes `text` in blocks of `blockSize`, as a sender fills DATA packets one after another. */
function encodeInBlocks(source: Buffer, blockSize: number): Buffer[] {
  const cursor = { offset: 0, owed: NOTHING_OWED };
  const blocks: Buffer[] = [];
  for (;;) {
    const out = Buffer.alloc(blockSize);
    const written = encodeNetascii(source, 0, cursor, out, 0, blockSize);
    blocks.push(out.subarray(0, written));
    if (written < blockSize) return blocks;
  }
}

describe('netascii encoding (RFC 1350 §5, RFC 764)', () => {
  it('turns LF into CR LF and a bare CR into CR NUL', () => {
    const source = Buffer.from('a\nb\rc\r\n');
    const [block] = encodeInBlocks(source, 64);
    expect(block).toEqual(Buffer.from('a\r\nb\r\0c\r\0\r\n'));
    expect(netasciiLength(source)).toBe(block!.length);
  });

  it('carries the second octet of a pair split at a block boundary', () => {
    const blocks = encodeInBlocks(Buffer.from('abc\nd\r'), 4);
    expect(blocks.map((b) => b.toString('latin1'))).toEqual(['abc\r', '\nd\r\0', '']);
  });

  it('produces the same octets whatever the block size', () => {
    const source = Buffer.from('line one\nline two\r\n\r\rend\n\n');
    const whole = Buffer.concat(encodeInBlocks(source, 1024));
    for (let size = 1; size < 12; size++) expect(Buffer.concat(encodeInBlocks(source, size))).toEqual(whole);
    expect(whole.length).toBe(netasciiLength(source));
  });

  it('reads from a chunk that starts part-way into the file', () => {
    const file = Buffer.from('xx\nyy');
    const cursor = { offset: 2, owed: NOTHING_OWED };
    const out = Buffer.alloc(8);
    const written = encodeNetascii(file.subarray(2), 2, cursor, out, 0, out.length);
    expect(out.subarray(0, written).toString('latin1')).toBe('\r\nyy');
    expect(cursor).toEqual({ offset: 5, owed: NOTHING_OWED });
  });
});
