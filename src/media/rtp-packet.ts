/**
 * RTP fixed header (RFC 3550 §5.1) with CSRC list, header extension (§5.3.1) and padding.
 * Parsing fills a caller-owned header object so the relay path allocates nothing per packet.
 */

export const RTP_HEADER_LENGTH = 12;

export interface RtpHeader {
  padding: boolean;
  extension: boolean;
  csrcCount: number;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Offset of the payload: after the fixed header, CSRC list and extension. */
  payloadOffset: number;
  /** Payload length without the padding. */
  payloadLength: number;
  paddingLength: number;
}

export type RtpParseError =
  | 'too-short'
  | 'bad-version'
  | 'truncated-csrc'
  | 'truncated-extension'
  | 'bad-padding'
  | 'rtcp-payload-type';

export function emptyRtpHeader(): RtpHeader {
  return {
    padding: false,
    extension: false,
    csrcCount: 0,
    marker: false,
    payloadType: 0,
    sequenceNumber: 0,
    timestamp: 0,
    ssrc: 0,
    payloadOffset: 0,
    payloadLength: 0,
    paddingLength: 0,
  };
}

/** Fills `out` from `packet`; returns null when the packet is valid RTP, else why not. */
export function parseRtp(packet: Uint8Array, out: RtpHeader): RtpParseError | null {
  const length = packet.length;
  if (length < RTP_HEADER_LENGTH) return 'too-short';
  const first = packet[0]!;
  if (first >> 6 !== 2) return 'bad-version';
  const second = packet[1]!;
  const payloadType = second & 0x7f;
  // RFC 5761 §4: payload types 64–95 would collide with RTCP packet types 192–223 when both
  // share a port; 72–76 are exactly SR, RR, SDES, BYE and APP with the marker bit set.
  if (payloadType >= 72 && payloadType <= 76) return 'rtcp-payload-type';
  const csrcCount = first & 0x0f;
  let offset = RTP_HEADER_LENGTH + csrcCount * 4;
  if (offset > length) return 'truncated-csrc';
  const extension = (first & 0x10) !== 0;
  if (extension) {
    if (offset + 4 > length) return 'truncated-extension';
    const words = (packet[offset + 2]! << 8) | packet[offset + 3]!;
    offset += 4 + words * 4;
    if (offset > length) return 'truncated-extension';
  }
  const padding = (first & 0x20) !== 0;
  let paddingLength = 0;
  if (padding) {
    // §5.1: the last octet counts the padding octets including itself, so it is never zero.
    paddingLength = packet[length - 1]!;
    if (paddingLength === 0 || offset + paddingLength > length) return 'bad-padding';
  }
  out.padding = padding;
  out.extension = extension;
  out.csrcCount = csrcCount;
  out.marker = (second & 0x80) !== 0;
  out.payloadType = payloadType;
  out.sequenceNumber = (packet[2]! << 8) | packet[3]!;
  out.timestamp = readUint32(packet, 4);
  out.ssrc = readUint32(packet, 8);
  out.payloadOffset = offset;
  out.paddingLength = paddingLength;
  out.payloadLength = length - offset - paddingLength;
  return null;
}

export interface RtpPacketFields {
  marker?: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs?: readonly number[];
  /** Header extension (§5.3.1): 16-bit profile value and data padded by the caller to 32 bits. */
  extension?: { profile: number; data: Uint8Array };
  payload: Uint8Array;
  /** Octets of padding to append (1–255), the last one holding the count. */
  padding?: number;
}

/** Serialises a whole packet into a new buffer. */
export function serializeRtp(fields: RtpPacketFields): Buffer {
  const csrcs = fields.csrcs ?? [];
  if (csrcs.length > 15) throw new RangeError('at most 15 CSRCs');
  const extensionData = fields.extension?.data;
  if (extensionData && extensionData.length % 4 !== 0)
    throw new RangeError('extension data must be 32-bit words');
  const padding = fields.padding ?? 0;
  if (padding < 0 || padding > 255) throw new RangeError('padding must be 0–255 octets');
  const headerLength = RTP_HEADER_LENGTH + csrcs.length * 4 + (extensionData ? 4 + extensionData.length : 0);
  const packet = Buffer.alloc(headerLength + fields.payload.length + padding);
  packet[0] = 0x80 | (padding > 0 ? 0x20 : 0) | (extensionData ? 0x10 : 0) | csrcs.length;
  writeRtpFields(
    packet,
    fields.marker ?? false,
    fields.payloadType,
    fields.sequenceNumber,
    fields.timestamp,
    fields.ssrc,
  );
  let offset = RTP_HEADER_LENGTH;
  for (const csrc of csrcs) {
    packet.writeUInt32BE(csrc >>> 0, offset);
    offset += 4;
  }
  if (fields.extension && extensionData) {
    packet.writeUInt16BE(fields.extension.profile & 0xffff, offset);
    packet.writeUInt16BE(extensionData.length / 4, offset + 2);
    packet.set(extensionData, offset + 4);
    offset += 4 + extensionData.length;
  }
  packet.set(fields.payload, offset);
  if (padding > 0) packet[packet.length - 1] = padding;
  return packet;
}

/** Allocates a packet with a minimal header (no CSRC, extension or padding) and room for the payload. */
export function allocateRtp(payloadLength: number): Buffer {
  const packet = Buffer.allocUnsafe(RTP_HEADER_LENGTH + payloadLength);
  packet[0] = 0x80;
  return packet;
}

/** Rewrites marker, payload type, sequence number, timestamp and SSRC in place. */
export function writeRtpFields(
  packet: Uint8Array,
  marker: boolean,
  payloadType: number,
  sequenceNumber: number,
  timestamp: number,
  ssrc: number,
): void {
  packet[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  packet[2] = (sequenceNumber >>> 8) & 0xff;
  packet[3] = sequenceNumber & 0xff;
  writeUint32(packet, 4, timestamp);
  writeUint32(packet, 8, ssrc);
}

export function readUint32(data: Uint8Array, offset: number): number {
  return (
    ((data[offset]! << 24) | (data[offset + 1]! << 16) | (data[offset + 2]! << 8) | data[offset + 3]!) >>> 0
  );
}

export function writeUint32(data: Uint8Array, offset: number, value: number): void {
  data[offset] = (value >>> 24) & 0xff;
  data[offset + 1] = (value >>> 16) & 0xff;
  data[offset + 2] = (value >>> 8) & 0xff;
  data[offset + 3] = value & 0xff;
}
