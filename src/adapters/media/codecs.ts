/**
 * Payload formats as SDP states them (RFC 4566 §6 rtpmap, RFC 3551 §6 static types) and as the
 * media engine knows them.
 */
import type { CodecName, CodecSpec } from '../../media/index.js';

/** The audio codecs a preference list may name; telephone-event follows the DTMF relay instead. */
export type AudioCodec = Exclude<CodecName, 'telephone-event'>;

/** One payload format of an m-line. */
export interface PayloadFormat {
  payloadType: number;
  /** Encoding name as written in the SDP (or implied by a static payload type). */
  encoding: string;
  /** The engine's codec, or null when the engine does not know the format. */
  codec: CodecName | null;
  clockRate: number;
  channels?: number;
  /** The a=fmtp parameters, passed on unchanged with the format. */
  parameters?: string;
}

/** RFC 3551 §6 static payload types a format list may use without an rtpmap. */
const STATIC_FORMATS: Readonly<Record<number, { encoding: string; clockRate: number }>> = {
  0: { encoding: 'PCMU', clockRate: 8000 },
  8: { encoding: 'PCMA', clockRate: 8000 },
  9: { encoding: 'G722', clockRate: 8000 },
  18: { encoding: 'G729', clockRate: 8000 },
};

const CODECS_BY_ENCODING: Readonly<Record<string, CodecName>> = {
  PCMU: 'PCMU',
  PCMA: 'PCMA',
  G722: 'G722',
  G729: 'G729',
  OPUS: 'opus',
  'TELEPHONE-EVENT': 'telephone-event',
};

/** Static payload type of a codec when it has one, used when a format must be introduced. */
export const STATIC_PAYLOAD_TYPES: Readonly<Partial<Record<CodecName, number>>> = {
  PCMU: 0,
  PCMA: 8,
  G722: 9,
  G729: 18,
};

/** Every codec the anchor can carry, in the order used when a profile is not configured. */
export const ALL_AUDIO_CODECS: readonly AudioCodec[] = ['PCMU', 'PCMA', 'G722', 'G729', 'opus'];

export function codecOf(encoding: string): CodecName | null {
  return CODECS_BY_ENCODING[encoding.toUpperCase()] ?? null;
}

export function staticFormat(payloadType: number): PayloadFormat | null {
  const known = STATIC_FORMATS[payloadType];
  if (!known) return null;
  return {
    payloadType,
    encoding: known.encoding,
    codec: codecOf(known.encoding),
    clockRate: known.clockRate,
  };
}

export function isG711(codec: CodecName | null): codec is 'PCMU' | 'PCMA' {
  return codec === 'PCMU' || codec === 'PCMA';
}

/** The other G.711 law: what the engine transcodes to (ITU-T G.711 §3, μ-law ⇄ A-law). */
export function otherLaw(codec: 'PCMU' | 'PCMA'): 'PCMU' | 'PCMA' {
  return codec === 'PCMU' ? 'PCMA' : 'PCMU';
}

/** The engine's view of a format list: only what it knows, in the same order. */
export function codecSpecs(formats: readonly PayloadFormat[]): CodecSpec[] {
  const specs: CodecSpec[] = [];
  for (const format of formats)
    if (format.codec)
      specs.push({ payloadType: format.payloadType, name: format.codec, clockRate: format.clockRate });
  return specs;
}
