/**
 * Tone synthesis at 8 kHz: DTMF digits (ITU-T Q.23) and call-progress tones, North American
 * (ANSI T1.401 precise tones) or ITU-T E.180 recommended values.
 */
import type { CallProgressTone, DtmfDigit, ToneRegion } from './types.js';

export const SAMPLE_RATE = 8000;

/** Peak amplitude of a 0 dBm0 sine in 16-bit linear G.711 (3.17 dB below full scale). */
const ZERO_DBM0_PEAK = 22706;

export function dbm0ToAmplitude(dbm0: number): number {
  return ZERO_DBM0_PEAK * 10 ** (dbm0 / 20);
}

const ROWS = [697, 770, 852, 941] as const;
const COLUMNS = [1209, 1336, 1477, 1633] as const;
const KEYPAD: readonly (readonly DtmfDigit[])[] = [
  ['1', '2', '3', 'A'],
  ['4', '5', '6', 'B'],
  ['7', '8', '9', 'C'],
  ['*', '0', '#', 'D'],
];

export const DTMF_ROW_FREQUENCIES: readonly number[] = ROWS;
export const DTMF_COLUMN_FREQUENCIES: readonly number[] = COLUMNS;

export function dtmfDigitAt(row: number, column: number): DtmfDigit | null {
  return KEYPAD[row]?.[column] ?? null;
}

export function dtmfFrequencies(digit: DtmfDigit): [number, number] {
  for (let row = 0; row < 4; row++) {
    const column = KEYPAD[row]!.indexOf(digit);
    if (column >= 0) return [ROWS[row]!, COLUMNS[column]!];
  }
  throw new RangeError(`not a DTMF digit: ${digit}`);
}

export interface ToneComponent {
  frequency: number;
  dbm0: number;
}

/** Adds sines into `out` starting at sample index `start` of the tone (keeps phase across calls). */
export function synthesize(
  components: readonly ToneComponent[],
  out: Int16Array,
  start = 0,
  length = out.length,
): void {
  for (let i = 0; i < length; i++) {
    let value = 0;
    for (const component of components) {
      value +=
        dbm0ToAmplitude(component.dbm0) *
        Math.sin((2 * Math.PI * component.frequency * (start + i)) / SAMPLE_RATE);
    }
    out[i] = Math.max(-32768, Math.min(32767, Math.round(value)));
  }
}

/** A DTMF digit: low group at -8 dBm0, high group at -6 dBm0 (a 2 dB pre-emphasis, within Q.23). */
export function dtmfTone(digit: DtmfDigit, durationMs: number): Int16Array {
  const [low, high] = dtmfFrequencies(digit);
  const samples = new Int16Array(Math.round((durationMs * SAMPLE_RATE) / 1000));
  synthesize(
    [
      { frequency: low, dbm0: -8 },
      { frequency: high, dbm0: -6 },
    ],
    samples,
  );
  return samples;
}

/** A stretch of a tone: these components together (none: silence) for `ms`. */
export interface ToneStep {
  components: readonly ToneComponent[];
  ms: number;
}

/** A call-progress tone as steps played in turn and repeated. */
export interface TonePlan {
  steps: readonly ToneStep[];
}

/** A tone cadenced on and off (both durations in ms); without `offMs` a continuous tone, looped per second. */
function cadenced(components: readonly ToneComponent[], onMs = 1000, offMs = 0): TonePlan {
  const on = { components, ms: onMs };
  return { steps: offMs > 0 ? [on, { components: [], ms: offMs }] : [on] };
}

/** Three segments of a special information tone (ITU-T Q.35 / E.180 §2.4), then a silence. */
function specialInformationTone(
  segments: readonly [number, number][],
  dbm0: number,
  silenceMs: number,
): TonePlan {
  return {
    steps: [
      ...segments.map(([frequency, ms]) => ({ components: [{ frequency, dbm0 }], ms })),
      { components: [], ms: silenceMs },
    ],
  };
}

const NORTH_AMERICAN_DIAL = [
  { frequency: 350, dbm0: -13 },
  { frequency: 440, dbm0: -13 },
];
const NORTH_AMERICAN_RINGBACK = [
  { frequency: 440, dbm0: -19 },
  { frequency: 480, dbm0: -19 },
];
const NORTH_AMERICAN_BUSY = [
  { frequency: 480, dbm0: -24 },
  { frequency: 620, dbm0: -24 },
];
const ITU_TONE = [{ frequency: 425, dbm0: -10 }];

const PLANS: Record<ToneRegion, Record<CallProgressTone, TonePlan>> = {
  'north-america': {
    dial: cadenced(NORTH_AMERICAN_DIAL),
    ringback: cadenced(NORTH_AMERICAN_RINGBACK, 2000, 4000),
    busy: cadenced(NORTH_AMERICAN_BUSY, 500, 500),
    reorder: cadenced(NORTH_AMERICAN_BUSY, 250, 250),
    // Telcordia's intercept SIT (IC: vacant number): low 913.8 Hz and 1370.6 Hz short (274 ms),
    // 1776.7 Hz long (380 ms), at the ITU's -24 dBm0, then a second of silence before it repeats.
    notInService: specialInformationTone(
      [
        [913.8, 274],
        [1370.6, 274],
        [1776.7, 380],
      ],
      -24,
      1000,
    ),
  },
  itu: {
    dial: cadenced(ITU_TONE),
    ringback: cadenced(ITU_TONE, 1000, 4000),
    busy: cadenced(ITU_TONE, 500, 500),
    reorder: cadenced(ITU_TONE, 250, 250),
    // E.180 §2.4: 950, 1400 and 1800 Hz, 330 ms each, repeated after a second of silence.
    notInService: specialInformationTone(
      [
        [950, 330],
        [1400, 330],
        [1800, 330],
      ],
      -24,
      1000,
    ),
  },
};

export function tonePlan(tone: CallProgressTone, region: ToneRegion = 'north-america'): TonePlan {
  return PLANS[region][tone];
}

/**
 * One full period of a call-progress tone, ready to loop (1 s for a continuous tone; each
 * continuous or cadenced tone here holds a whole number of cycles of each of its frequencies per
 * period, so the loop joins without a click). Phases run on across the steps.
 */
export function callProgressLoop(tone: CallProgressTone, region: ToneRegion = 'north-america'): Int16Array {
  const { steps } = tonePlan(tone, region);
  const periodMs = steps.reduce((sum, step) => sum + step.ms, 0);
  const samples = new Int16Array(Math.round((periodMs * SAMPLE_RATE) / 1000));
  let offset = 0;
  for (const step of steps) {
    const length = Math.round((step.ms * SAMPLE_RATE) / 1000);
    if (step.components.length > 0)
      synthesize(step.components, samples.subarray(offset, offset + length), offset, length);
    offset += length;
  }
  return samples;
}
