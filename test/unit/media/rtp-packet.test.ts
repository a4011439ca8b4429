import { describe, expect, it } from 'vitest';
import { emptyRtpHeader, parseRtp, serializeRtp } from '../../../src/media/index.js';
import { writeRtpFields } from '../../../src/media/rtp-packet.js';

describe('RTP packet codec (RFC 3550 §5.1)', () => {
  it('round-trips a packet with CSRCs, an extension and padding', () => {
    const payload = Buffer.from('hello, world');
    const packet = serializeRtp({
      marker: true,
      payloadType: 96,
      sequenceNumber: 0xfffe,
      timestamp: 0xdeadbeef,
      ssrc: 0x01020304,
      csrcs: [0xaabbccdd, 7],
      extension: { profile: 0xbede, data: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]) },
      payload,
      padding: 3,
    });
    expect(packet.length).toBe(12 + 8 + 4 + 8 + payload.length + 3);
    expect(packet[0]).toBe(0x80 | 0x20 | 0x10 | 2);
    const header = emptyRtpHeader();
    expect(parseRtp(packet, header)).toBeNull();
    expect(header).toMatchObject({
      padding: true,
      extension: true,
      csrcCount: 2,
      marker: true,
      payloadType: 96,
      sequenceNumber: 0xfffe,
      timestamp: 0xdeadbeef,
      ssrc: 0x01020304,
      payloadOffset: 32,
      payloadLength: payload.length,
      paddingLength: 3,
    });
    expect(
      packet.subarray(header.payloadOffset, header.payloadOffset + header.payloadLength).equals(payload),
    ).toBe(true);
  });

  it('parses a minimal packet with 32-bit fields at their extremes', () => {
    const packet = serializeRtp({
      payloadType: 0,
      sequenceNumber: 65535,
      timestamp: 0xffffffff,
      ssrc: 0xffffffff,
      payload: new Uint8Array(0),
    });
    const header = emptyRtpHeader();
    expect(parseRtp(packet, header)).toBeNull();
    expect(header.timestamp).toBe(0xffffffff);
    expect(header.ssrc).toBe(0xffffffff);
    expect(header.payloadLength).toBe(0);
  });

  it('rewrites header fields in place', () => {
    const packet = serializeRtp({
      payloadType: 0,
      sequenceNumber: 1,
      timestamp: 2,
      ssrc: 3,
      payload: Buffer.alloc(4),
    });
    writeRtpFields(packet, true, 8, 0x1234, 0x89abcdef, 0xcafebabe);
    const header = emptyRtpHeader();
    expect(parseRtp(packet, header)).toBeNull();
    expect(header).toMatchObject({
      marker: true,
      payloadType: 8,
      sequenceNumber: 0x1234,
      timestamp: 0x89abcdef,
      ssrc: 0xcafebabe,
    });
  });

  const base = () =>
    serializeRtp({ payloadType: 0, sequenceNumber: 1, timestamp: 1, ssrc: 1, payload: Buffer.alloc(8) });
  it.each([
    ['too-short', () => Buffer.alloc(11, 0x80)],
    ['bad-version', () => Object.assign(base(), { 0: 0x40 })],
    ['truncated-csrc', () => Object.assign(base(), { 0: 0x85 })],
    ['truncated-extension', () => Object.assign(base(), { 0: 0x90, 14: 0xff })],
    ['truncated-extension', () => Object.assign(Buffer.alloc(14), { 0: 0x90 })],
    ['bad-padding', () => Object.assign(base(), { 0: 0xa0, 19: 0 })],
    ['bad-padding', () => Object.assign(base(), { 0: 0xa0, 19: 9 })],
    ['rtcp-payload-type', () => Object.assign(base(), { 1: 0xc8 })],
  ])('rejects %s', (reason, make) => {
    expect(parseRtp(make(), emptyRtpHeader())).toBe(reason);
  });

  it('accepts padding that covers the whole payload', () => {
    const packet = Object.assign(base(), { 0: 0xa0, 19: 8 });
    const header = emptyRtpHeader();
    expect(parseRtp(packet, header)).toBeNull();
    expect(header.payloadLength).toBe(0);
  });

  it('refuses fields it cannot encode', () => {
    const fields = { payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, payload: Buffer.alloc(0) };
    expect(() => serializeRtp({ ...fields, csrcs: new Array(16).fill(0) })).toThrow(RangeError);
    expect(() => serializeRtp({ ...fields, extension: { profile: 0, data: Buffer.alloc(3) } })).toThrow(
      RangeError,
    );
    expect(() => serializeRtp({ ...fields, padding: 256 })).toThrow(RangeError);
  });

  it('never throws on random input', () => {
    let seed = 99;
    const header = emptyRtpHeader();
    for (let i = 0; i < 5000; i++) {
      const length = i % 64;
      const data = Buffer.alloc(length);
      for (let j = 0; j < length; j++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        data[j] = seed & 0xff;
      }
      if (length) data[0] = 0x80 | (data[0]! & 0x3f);
      const result = parseRtp(data, header);
      if (result === null) {
        expect(header.payloadOffset + header.payloadLength + header.paddingLength).toBe(length);
        expect(header.payloadLength).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
