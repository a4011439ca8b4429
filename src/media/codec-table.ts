/** A leg's negotiated payload types, indexed both ways for the packet path. */
import type { G711Law } from './g711.js';
import type { CodecName, CodecSpec } from './types.js';

const CODEC_NAMES: ReadonlySet<string> = new Set<CodecName>([
  'PCMU',
  'PCMA',
  'G722',
  'G729',
  'opus',
  'telephone-event',
]);

export interface ResolvedCodec {
  payloadType: number;
  name: CodecName;
  clockRate: number;
  /** The G.711 law, when the codec is G.711. */
  law: G711Law | null;
}

export class CodecTable {
  private readonly byPayloadType: Array<ResolvedCodec | undefined> = new Array(128);
  private readonly byName = new Map<CodecName, ResolvedCodec>();
  /** The first G.711 codec: what the engine encodes generated audio with. */
  readonly g711: ResolvedCodec | null;

  constructor(specs: readonly CodecSpec[]) {
    let g711: ResolvedCodec | null = null;
    for (const spec of specs) {
      const codec = resolveCodec(spec);
      if (!codec || this.byPayloadType[codec.payloadType]) continue;
      this.byPayloadType[codec.payloadType] = codec;
      if (!this.byName.has(codec.name)) this.byName.set(codec.name, codec);
      if (!g711 && codec.law) g711 = codec;
    }
    this.g711 = g711;
  }

  forPayloadType(payloadType: number): ResolvedCodec | undefined {
    return this.byPayloadType[payloadType];
  }

  forName(name: CodecName): ResolvedCodec | undefined {
    return this.byName.get(name);
  }
}

/** Checks a spec from the control side; null when it is unusable. */
export function resolveCodec(spec: CodecSpec): ResolvedCodec | null {
  if (!spec || !Number.isInteger(spec.payloadType) || spec.payloadType < 0 || spec.payloadType > 127)
    return null;
  if (spec.payloadType >= 72 && spec.payloadType <= 76) return null; // RFC 5761 §4: never dynamic
  if (!CODEC_NAMES.has(spec.name)) return null;
  const defaultRate = spec.name === 'opus' ? 48000 : 8000;
  const clockRate =
    Number.isInteger(spec.clockRate) && spec.clockRate! > 0 && spec.clockRate! <= 192000
      ? spec.clockRate!
      : defaultRate;
  const law: G711Law | null = spec.name === 'PCMU' ? 'ulaw' : spec.name === 'PCMA' ? 'alaw' : null;
  return { payloadType: spec.payloadType, name: spec.name, clockRate, law };
}

/** RFC 3551 static payload types, for legs whose settings give none. */
export const DEFAULT_CODECS: readonly CodecSpec[] = [
  { payloadType: 0, name: 'PCMU' },
  { payloadType: 8, name: 'PCMA' },
  { payloadType: 101, name: 'telephone-event' },
];
