/**
 * Codec negotiation for one leg (RFC 3264 §6.1): which audio formats of an offer the leg may use,
 * in the order of the leg's preference list (the device pool's or the trunk's `codec preference`).
 * A G.711 law the offer lacks is still reachable through the engine's μ-law ⇄ A-law transcoder;
 * G.729, G.722 and Opus only pass through, so they need the same codec on both sides.
 */
import type { MediaDescription } from '../../core/index.js';
import { type AudioCodec, isG711, otherLaw, type PayloadFormat, STATIC_PAYLOAD_TYPES } from './codecs.js';
import { type MediaLine, readSession } from './session-description.js';

/** How a leg carries DTMF (IOS `dtmf-relay`): RFC 4733 events, Cisco NOTIFY, SIP INFO or tones. */
export type DtmfRelay = 'rtp-nte' | 'sip-notify' | 'sip-info' | 'inband';

export interface NegotiationPolicy {
  /** Audio codecs the leg may use, preferred first. */
  codecs: readonly AudioCodec[];
  /** Only 'rtp-nte' legs are offered RFC 4733 telephone-events. */
  dtmfRelay: DtmfRelay;
  /** Whether μ-law ⇄ A-law transcoding may bridge the offer and the leg. Default true. */
  transcode?: boolean;
}

export type Negotiation =
  | {
      ok: true;
      /** Index of the m-line that carries the call's audio; the other m-lines are declined. */
      line: number;
      /** The formats the leg may use, preferred first, telephone-event last when kept. */
      formats: PayloadFormat[];
      /** True when at least one format is reached through the transcoder. */
      transcoded: boolean;
    }
  | {
      ok: false;
      /** RFC 3261 §21.4.26 Not Acceptable Here. */
      status: 488;
      /** Value of a Warning header (RFC 3261 §20.43) naming what did not match. */
      warning: string;
    };

/** Telephone-events at 8 kHz (RFC 4733 §7.1.1); the customary payload type when one must be chosen. */
const TELEPHONE_EVENT_PAYLOAD_TYPE = 101;
/** RFC 3551 §3: the dynamic range. */
const DYNAMIC_FIRST = 96;
const DYNAMIC_LAST = 127;
const MAX_WARNING_NAMES = 8;

/** Negotiates the first audio stream of an SDP offer against a leg's policy. */
export function negotiate(
  offer: MediaDescription,
  policy: NegotiationPolicy,
  agent = 'strowger',
): Negotiation {
  const session = readSession(offer);
  if (!session) return refusal(agent, 399, 'Malformed session description');
  const line = audioLine(session.lines);
  if (line < 0) return refusal(agent, 304, 'Media type not available: no RTP/AVP audio stream');
  return negotiateLine(session.lines[line]!, line, policy, agent);
}

/** The index of the first active RTP/AVP audio m-line, or -1. */
export function audioLine(lines: readonly MediaLine[]): number {
  return lines.findIndex(
    (line) => line.type === 'audio' && line.port > 0 && line.protocol.toUpperCase() === 'RTP/AVP',
  );
}

export function negotiateLine(
  line: MediaLine,
  index: number,
  policy: NegotiationPolicy,
  agent = 'strowger',
): Negotiation {
  const offered = line.formats.filter(
    (format) => format.codec !== null && format.codec !== 'telephone-event',
  );
  const used = new Set(line.formats.map((format) => format.payloadType));
  const formats: PayloadFormat[] = [];
  let transcoded = false;
  for (const codec of policy.codecs) {
    if (formats.some((format) => format.codec === codec)) continue;
    const direct = offered.find((format) => format.codec === codec);
    if (direct) {
      formats.push(direct);
    } else if (
      policy.transcode !== false &&
      isG711(codec) &&
      offered.some((f) => f.codec === otherLaw(codec))
    ) {
      const payloadType = freePayloadType(used, STATIC_PAYLOAD_TYPES[codec]!);
      if (payloadType < 0) continue;
      used.add(payloadType);
      formats.push({ payloadType, encoding: codec, codec, clockRate: 8000 });
      transcoded = true;
    }
  }
  if (formats.length === 0) {
    const names = [...new Set(offered.length > 0 ? offered.map((f) => f.encoding) : ['none'])];
    return refusal(
      agent,
      305,
      `Incompatible media format: offered ${listed(names)}; accepted ${listed(policy.codecs)}`,
    );
  }
  if (policy.dtmfRelay === 'rtp-nte') {
    // The anchor terminates DTMF, so it can send events to this leg even when the offer had none.
    const event =
      line.formats.find((format) => format.codec === 'telephone-event' && format.clockRate === 8000) ??
      telephoneEvent(freePayloadType(used, TELEPHONE_EVENT_PAYLOAD_TYPE));
    if (event) formats.push(event);
  }
  return { ok: true, line: index, formats, transcoded };
}

function telephoneEvent(payloadType: number): PayloadFormat | null {
  if (payloadType < 0) return null;
  return {
    payloadType,
    encoding: 'telephone-event',
    codec: 'telephone-event',
    clockRate: 8000,
    parameters: '0-15',
  };
}

/** `wanted` when the offer does not use it, else the first free dynamic type; -1 when none is. */
function freePayloadType(used: ReadonlySet<number>, wanted: number): number {
  if (!used.has(wanted)) return wanted;
  for (let type = DYNAMIC_FIRST; type <= DYNAMIC_LAST; type++) if (!used.has(type)) return type;
  return -1;
}

/** RFC 3261 §20.43: 304 media type not available, 305 incompatible media format, 399 miscellaneous. */
export type WarningCode = 304 | 305 | 399;

/** A Warning header value; `text` must hold no quote or backslash. */
export function warningValue(agent: string, code: WarningCode, text: string): string {
  return `${code} ${token(agent)} "${text}"`;
}

function refusal(agent: string, code: WarningCode, text: string): Negotiation {
  return { ok: false, status: 488, warning: warningValue(agent, code, text) };
}

/** Encoding names come from the party's SDP: only token characters reach the quoted string. */
function listed(names: readonly string[]): string {
  const clean = names
    .map((name) => name.replace(/[^A-Za-z0-9.+_-]/g, '').slice(0, 32))
    .filter((name) => name.length > 0);
  const shown = clean.slice(0, MAX_WARNING_NAMES).join(' ');
  return clean.length > MAX_WARNING_NAMES ? `${shown} ...` : shown || 'none';
}

function token(agent: string): string {
  return agent.replace(/[^A-Za-z0-9.:_-]/g, '') || 'strowger';
}
