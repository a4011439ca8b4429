/**
 * SDP bodies (RFC 4566) read into the few facts the anchor needs per m-line, and written back
 * pointing at Strowger's endpoints. The writer builds each m-line from a short list of known
 * attributes: whatever else a party wrote (ICE, SRTP keys, rtcp-mux, ssrc) describes its own
 * transport, which the anchor replaces, so it must not leak to the other party.
 */
import { parse } from 'sdp-transform';
import type { MediaDescription } from '../../core/index.js';
import { codecOf, type PayloadFormat, staticFormat } from './codecs.js';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** One m-line as the party described it. */
export interface MediaLine {
  type: string;
  port: number;
  protocol: string;
  /** The m-line's format list as written (kept for declined lines, which may be non-RTP). */
  formatList: string;
  /** Where the party receives media: media-level c= or else session-level c=; null when absent. */
  address: string | null;
  /** RFC 3605 a=rtcp, when the party's RTCP is not on port + 1. */
  rtcp: { port: number; address?: string } | null;
  direction: Direction;
  formats: PayloadFormat[];
  ptime?: number;
}

export interface SessionFacts {
  lines: MediaLine[];
}

/** Session descriptions are a few hundred bytes; anything far larger is refused unread. */
export const MAX_SDP_BYTES = 16_384;
/** More m-lines than this is no telephone call; refused unread. */
const MAX_LINES = 16;
/** RFC 3551 payload types are 7 bits: a list can hold at most 128 distinct formats. */
const MAX_FORMATS = 128;
const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
/** RFC 3264 §8.4: the RFC 2543 way of putting a call on hold. */
export const HOLD_ADDRESS = '0.0.0.0';

export function isSdp(media: MediaDescription): boolean {
  return media.contentType.toLowerCase().split(';')[0]!.trim() === 'application/sdp';
}

/** The facts of an SDP body, or null when it is not SDP, too large or not readable. */
export function readSession(media: MediaDescription): SessionFacts | null {
  if (!isSdp(media) || media.body.length === 0 || media.body.length > MAX_SDP_BYTES) return null;
  let session: ReturnType<typeof parse>;
  try {
    session = parse(media.body.toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(session.media) || session.media.length === 0 || session.media.length > MAX_LINES)
    return null;
  const sessionAddress = session.connection?.ip ?? null;
  const sessionDirection = DIRECTIONS.has(String(session.direction))
    ? (session.direction as Direction)
    : null;
  const lines: MediaLine[] = [];
  for (const media of session.media) {
    const port = Number(media.port);
    if (typeof media.type !== 'string' || !Number.isInteger(port) || port < 0 || port > 65535) return null;
    const address = media.connection?.ip ?? sessionAddress;
    const explicit = DIRECTIONS.has(String(media.direction))
      ? (media.direction as Direction)
      : sessionDirection;
    const formatList = String(media.payloads ?? '').trim();
    lines.push({
      type: media.type,
      port,
      protocol: String(media.protocol ?? ''),
      formatList,
      address,
      rtcp: readRtcp(media.rtcp),
      // RFC 3264 §8.4: c=0.0.0.0 asks not to be sent media, like sendonly.
      direction: explicit ?? (address === HOLD_ADDRESS ? 'sendonly' : 'sendrecv'),
      formats: readFormats(formatList, media.rtp ?? [], media.fmtp ?? []),
      ...(Number.isFinite(media.ptime) && media.ptime! > 0 ? { ptime: media.ptime } : {}),
    });
  }
  return { lines };
}

function readRtcp(rtcp: { port: number; address?: string } | undefined): MediaLine['rtcp'] {
  if (!rtcp || !Number.isInteger(rtcp.port) || rtcp.port <= 0 || rtcp.port > 65535) return null;
  return rtcp.address ? { port: rtcp.port, address: rtcp.address } : { port: rtcp.port };
}

function readFormats(
  formatList: string,
  rtpmaps: ReadonlyArray<{ payload: number; codec: string; rate?: number; encoding?: number }>,
  fmtps: ReadonlyArray<{ payload: number; config: string }>,
): PayloadFormat[] {
  const formats: PayloadFormat[] = [];
  const seen = new Set<number>();
  for (const token of formatList.split(/\s+/)) {
    if (formats.length >= MAX_FORMATS) break;
    if (!/^[0-9]{1,3}$/.test(token)) continue;
    const payloadType = Number(token);
    if (payloadType > 127 || seen.has(payloadType)) continue;
    seen.add(payloadType);
    const rtpmap = rtpmaps.find((entry) => entry.payload === payloadType);
    const parameters = fmtps.find((entry) => entry.payload === payloadType)?.config;
    let format: PayloadFormat | null;
    if (rtpmap && typeof rtpmap.codec === 'string') {
      const rate = Number(rtpmap.rate);
      format = {
        payloadType,
        encoding: rtpmap.codec,
        codec: codecOf(rtpmap.codec),
        clockRate: Number.isInteger(rate) && rate > 0 ? rate : 8000,
        ...(Number.isInteger(rtpmap.encoding) ? { channels: rtpmap.encoding } : {}),
      };
    } else {
      format = staticFormat(payloadType) ?? {
        payloadType,
        encoding: String(payloadType),
        codec: null,
        clockRate: 8000,
      };
    }
    formats.push(parameters === undefined ? format : { ...format, parameters });
  }
  return formats;
}

/** One m-line to write. `port` 0 declines it (RFC 3264 §6) and keeps `formatList`. */
export interface LineToWrite {
  type: string;
  port: number;
  protocol: string;
  formats: readonly PayloadFormat[];
  formatList?: string;
  direction: Direction;
  ptime?: number;
  /** Written as RFC 3605 a=rtcp when set. */
  rtcpPort?: number;
}

export interface SessionToWrite {
  sessionId: number;
  /** RFC 3264 §8: one more for every new offer or answer of this side. */
  version: number;
  address: string;
  lines: readonly LineToWrite[];
}

/** Serialises a session with CRLF line ends (RFC 4566 §5). */
export function writeSession(session: SessionToWrite): Buffer {
  const net = session.address.includes(':') ? 'IP6' : 'IP4';
  const out = [
    'v=0',
    `o=strowger ${session.sessionId} ${session.version} IN ${net} ${session.address}`,
    's=-',
    't=0 0',
  ];
  for (const line of session.lines) {
    const formatList =
      line.formats.length > 0 ? line.formats.map((format) => format.payloadType).join(' ') : line.formatList;
    out.push(`m=${line.type} ${line.port} ${line.protocol} ${formatList || '0'}`);
    // RFC 4566 §5.7: without a session-level c=, every m-line carries its own.
    out.push(`c=IN ${net} ${session.address}`);
    if (line.port === 0) continue;
    for (const format of line.formats) {
      const channels = format.channels !== undefined && format.channels > 1 ? `/${format.channels}` : '';
      out.push(`a=rtpmap:${format.payloadType} ${format.encoding}/${format.clockRate}${channels}`);
      if (format.parameters !== undefined) out.push(`a=fmtp:${format.payloadType} ${format.parameters}`);
    }
    if (line.ptime !== undefined) out.push(`a=ptime:${line.ptime}`);
    if (line.rtcpPort !== undefined) out.push(`a=rtcp:${line.rtcpPort}`);
    out.push(`a=${line.direction}`);
  }
  return Buffer.from(`${out.join('\r\n')}\r\n`, 'utf8');
}
