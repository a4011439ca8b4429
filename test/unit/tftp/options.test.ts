import { describe, expect, it } from 'vitest';
import { type NegotiationLimits, negotiateOptions } from '../../../src/tftp/index.js';

const limits: NegotiationLimits = { maxBlockSize: 65464, maxWindowsize: 64, maxWindowBytes: 64 * 1024 };
const octet = { transferSize: 4242, ipv6: false };

describe('option negotiation', () => {
  it('sends no OACK when no option is asked (RFC 2347 §4)', () => {
    expect(negotiateOptions([], limits, octet)).toEqual({
      blockSize: 512,
      windowsize: 1,
      timeoutMs: undefined,
      acknowledged: [],
    });
  });

  it('answers blksize, timeout, tsize and windowsize in the order asked', () => {
    const result = negotiateOptions(
      [
        ['tsize', '0'],
        ['windowsize', '4'],
        ['blksize', '1428'],
        ['timeout', '03'],
      ],
      limits,
      octet,
    );
    expect(result).toEqual({
      blockSize: 1428,
      windowsize: 4,
      timeoutMs: 3000,
      acknowledged: [
        ['tsize', '4242'],
        ['windowsize', '4'],
        ['blksize', '1428'],
        ['timeout', '3'],
      ],
    });
  });

  it('leaves unknown and invalid options out of the OACK', () => {
    const result = negotiateOptions(
      [
        ['multicast', ''],
        ['blksize', '7'],
        ['blksize2', '1024'],
        ['timeout', '0'],
        ['windowsize', '0'],
        ['windowsize', '65536'],
        ['tsize', '-1'],
      ],
      limits,
      octet,
    );
    expect(result.acknowledged).toEqual([]);
    expect(result.blockSize).toBe(512);
    for (const value of ['65465', '1e3', ' 512', '0x200', '99999999999', '']) {
      expect(negotiateOptions([['blksize', value]], limits, octet).acknowledged).toEqual([]);
    }
    expect(negotiateOptions([['timeout', '256']], limits, octet).acknowledged).toEqual([]);
  });

  it('clamps blksize to the server limit and to the path MTU (RFC 2348)', () => {
    expect(negotiateOptions([['blksize', '65464']], { ...limits, maxBlockSize: 8192 }, octet).blockSize).toBe(
      8192,
    );
    expect(negotiateOptions([['blksize', '65464']], { ...limits, mtu: 1500 }, octet).acknowledged).toEqual([
      ['blksize', '1468'],
    ]);
    expect(
      negotiateOptions([['blksize', '65464']], { ...limits, mtu: 1500 }, { ...octet, ipv6: true }).blockSize,
    ).toBe(1448);
    expect(negotiateOptions([['blksize', '8']], { ...limits, mtu: 1500 }, octet).blockSize).toBe(8);
  });

  it('clamps windowsize to the limit and to the memory one window may hold (RFC 7440 §3)', () => {
    expect(negotiateOptions([['windowsize', '65535']], limits, octet).windowsize).toBe(64);
    const big = negotiateOptions(
      [
        ['windowsize', '32'],
        ['blksize', '8192'],
      ],
      limits,
      octet,
    );
    expect(big.windowsize).toBe(8);
    expect(big.acknowledged).toEqual([
      ['windowsize', '8'],
      ['blksize', '8192'],
    ]);
    expect(
      negotiateOptions([['windowsize', '8']], { ...limits, maxWindowsize: 1 }, octet).acknowledged,
    ).toEqual([['windowsize', '1']]);
  });

  it('omits tsize when the size is not known up front', () => {
    expect(
      negotiateOptions([['tsize', '0']], limits, { transferSize: undefined, ipv6: false }).acknowledged,
    ).toEqual([]);
  });
});
