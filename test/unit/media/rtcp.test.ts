import { describe, expect, it } from 'vitest';
import { buildRtcpReport, validateRtcp } from '../../../src/media/index.js';
import {
  RTCP_RR,
  RTCP_SDES,
  RTCP_SR,
  readFirstReportBlock,
  readSenderReport,
} from '../../../src/media/rtcp.js';

describe('RTCP (RFC 3550 §6)', () => {
  it('builds a valid SR + SDES compound packet', () => {
    const packet = buildRtcpReport({
      ssrc: 0x11223344,
      cname: 'strowger@127.0.0.1',
      sender: { wallClockMs: Date.UTC(2024, 0, 1), rtpTimestamp: 1234, packetCount: 10, octetCount: 1720 },
      block: {
        ssrc: 0x55667788,
        fractionLost: 25,
        cumulativeLost: 3,
        extendedHighestSequence: 70000,
        jitter: 12,
        lastSenderReport: 0xabcd0000,
        delaySinceLastSenderReport: 65536,
      },
    });
    expect(validateRtcp(packet)).toBeNull();
    expect(packet[1]).toBe(RTCP_SR);
    expect(packet.readUInt32BE(4)).toBe(0x11223344);
    // NTP seconds for 2024-01-01: 1704067200 + 2208988800.
    expect(packet.readUInt32BE(8)).toBe(1704067200 + 2208988800);
    expect(packet.readUInt32BE(16)).toBe(1234);
    expect(readFirstReportBlock(packet)).toEqual({ ssrc: 0x55667788, fractionLost: 25, jitter: 12 });
    const sdes = (packet.readUInt16BE(2) + 1) * 4;
    expect(packet[sdes + 1]).toBe(RTCP_SDES);
    expect(packet.subarray(sdes + 10, sdes + 10 + packet[sdes + 9]!).toString()).toBe('strowger@127.0.0.1');
    expect(readSenderReport(packet)?.ssrc).toBe(0x11223344);
  });

  it('builds an RR when not sending', () => {
    const packet = buildRtcpReport({ ssrc: 1, cname: 'x' });
    expect(validateRtcp(packet)).toBeNull();
    expect(packet[1]).toBe(RTCP_RR);
    expect(packet[0]! & 0x1f).toBe(0);
    expect(readSenderReport(packet)).toBeNull();
    expect(readFirstReportBlock(packet)).toBeNull();
  });

  it.each([
    ['too-short', Buffer.from([0x80, 0xc9, 0, 0])],
    ['bad-version', Buffer.from([0x40, 0xc9, 0, 1, 0, 0, 0, 0])],
    ['not-rtcp', Buffer.from([0x80, 0x00, 0, 1, 0, 0, 0, 0])],
    ['bad-length', Buffer.from([0x80, 0xc9, 0, 5, 0, 0, 0, 0])],
    ['bad-length', Buffer.from([0x80, 0xc9, 0, 1, 0, 0, 0, 0, 0x80])],
    ['bad-length', Buffer.from([0xa0, 0xc9, 0, 1, 0, 0, 0, 0, 0x80, 0xca, 0, 0])],
    ['not-rtcp', Buffer.from([0x80, 0xc9, 0, 1, 0, 0, 0, 0, 0x80, 0x10, 0, 0])],
  ])('rejects %s', (reason, packet) => {
    expect(validateRtcp(packet)).toBe(reason);
  });
});
