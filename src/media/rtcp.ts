/**
 * RTCP (RFC 3550 §6): validation of compound packets before they are relayed or read, and
 * generation of a minimal compound report (SR or RR, then SDES with the CNAME, §6.1).
 */
import { readUint32, writeUint32 } from './rtp-packet.js';

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;

export type RtcpParseError = 'too-short' | 'bad-version' | 'bad-length' | 'not-rtcp';

/**
 * Header validity checks of RFC 3550 A.2: every packet version 2 with a packet type in the RTCP
 * range, the lengths adding up exactly to the datagram, padding only on the last packet. A.2 also
 * wants SR or RR first; that is relaxed to any RTCP type for reduced-size RTCP (RFC 5506 §3.4.2).
 */
export function validateRtcp(packet: Uint8Array): RtcpParseError | null {
  if (packet.length < 8) return 'too-short';
  let offset = 0;
  while (offset < packet.length) {
    if (offset + 4 > packet.length) return 'bad-length';
    const first = packet[offset]!;
    if (first >> 6 !== 2) return 'bad-version';
    const type = packet[offset + 1]!;
    if (type < 192 || type > 223) return 'not-rtcp';
    const length = (((packet[offset + 2]! << 8) | packet[offset + 3]!) + 1) * 4;
    if (offset + length > packet.length) return 'bad-length';
    const padded = (first & 0x20) !== 0;
    offset += length;
    if (padded && offset !== packet.length) return 'bad-length';
  }
  return offset === packet.length ? null : 'bad-length';
}

export interface SenderReportSummary {
  ssrc: number;
  /** The middle 32 bits of the NTP timestamp: the LSR value a report block echoes (§6.4.1). */
  ntpMiddle: number;
}

/** The sender report at the head of a valid compound packet, if there is one. */
export function readSenderReport(packet: Uint8Array): SenderReportSummary | null {
  if (packet.length < 28 || packet[1] !== RTCP_SR) return null;
  const ntpMiddle =
    (((packet[10]! << 24) | (packet[11]! << 16) | (packet[12]! << 8) | packet[13]!) >>> 0) >>> 0;
  return { ssrc: readUint32(packet, 4), ntpMiddle };
}

export interface SenderInfo {
  /** Wall-clock time in milliseconds since 1970. */
  wallClockMs: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export interface ReportBlock {
  ssrc: number;
  fractionLost: number;
  cumulativeLost: number;
  extendedHighestSequence: number;
  jitter: number;
  lastSenderReport: number;
  /** Delay since the last sender report, in units of 1/65536 s. */
  delaySinceLastSenderReport: number;
}

export interface RtcpReport {
  ssrc: number;
  cname: string;
  sender?: SenderInfo;
  block?: ReportBlock;
}

const NTP_UNIX_OFFSET_SECONDS = 2208988800;

/** Builds SR (when `sender` is given) or RR, followed by SDES CNAME. */
export function buildRtcpReport(report: RtcpReport): Buffer {
  const cname = Buffer.from(report.cname.slice(0, 255), 'utf8').subarray(0, 255);
  const reportLength = 8 + (report.sender ? 20 : 0) + (report.block ? 24 : 0);
  // SDES chunk: SSRC, CNAME item (type, length, text), then a null item padded to 32 bits.
  const chunkLength = Math.ceil((4 + 2 + cname.length + 1) / 4) * 4;
  const sdesLength = 4 + chunkLength;
  const packet = Buffer.alloc(reportLength + sdesLength);
  packet[0] = 0x80 | (report.block ? 1 : 0);
  packet[1] = report.sender ? RTCP_SR : RTCP_RR;
  packet.writeUInt16BE(reportLength / 4 - 1, 2);
  writeUint32(packet, 4, report.ssrc);
  let offset = 8;
  if (report.sender) {
    const seconds = report.sender.wallClockMs / 1000 + NTP_UNIX_OFFSET_SECONDS;
    const whole = Math.floor(seconds);
    writeUint32(packet, offset, whole >>> 0);
    writeUint32(packet, offset + 4, Math.floor((seconds - whole) * 0x100000000) >>> 0);
    writeUint32(packet, offset + 8, report.sender.rtpTimestamp);
    writeUint32(packet, offset + 12, report.sender.packetCount);
    writeUint32(packet, offset + 16, report.sender.octetCount);
    offset += 20;
  }
  if (report.block) {
    const block = report.block;
    writeUint32(packet, offset, block.ssrc);
    writeUint32(packet, offset + 4, ((block.fractionLost & 0xff) << 24) | (block.cumulativeLost & 0xffffff));
    writeUint32(packet, offset + 8, block.extendedHighestSequence);
    writeUint32(packet, offset + 12, block.jitter);
    writeUint32(packet, offset + 16, block.lastSenderReport);
    writeUint32(packet, offset + 20, block.delaySinceLastSenderReport);
    offset += 24;
  }
  packet[offset] = 0x81;
  packet[offset + 1] = RTCP_SDES;
  packet.writeUInt16BE(sdesLength / 4 - 1, offset + 2);
  writeUint32(packet, offset + 4, report.ssrc);
  packet[offset + 8] = 1; // CNAME
  packet[offset + 9] = cname.length;
  packet.set(cname, offset + 10);
  return packet;
}

/** Reads the SSRC, fraction lost and jitter of a report's first block, for tests and diagnostics. */
export function readFirstReportBlock(
  packet: Uint8Array,
): { ssrc: number; fractionLost: number; jitter: number } | null {
  const type = packet[1];
  const count = (packet[0] ?? 0) & 0x1f;
  if (count === 0) return null;
  const offset = type === RTCP_SR ? 28 : type === RTCP_RR ? 8 : -1;
  if (offset < 0 || packet.length < offset + 24) return null;
  return {
    ssrc: readUint32(packet, offset),
    fractionLost: packet[offset + 4]!,
    jitter: readUint32(packet, offset + 12),
  };
}
