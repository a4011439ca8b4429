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

export interface TonePlan {
  components: readonly ToneComponent[];
  /** On/off durations in ms, repeated; an empty cadence is a continuous tone. */
  cadence: readonly number[];
}

const PLANS: Record<ToneRegion, Record<CallProgressTone, TonePlan>> = {
  'north-america': {
    dial: {
      components: [
        { frequency: 350, dbm0: -13 },
        { frequency: 440, dbm0: -13 },
      ],
      cadence: [],
    },
    ringback: {
      components: [
        { frequency: 440, dbm0: -19 },
        { frequency: 480, dbm0: -19 },
      ],
      cadence: [2000, 4000],
    },
    busy: {
      components: [
        { frequency: 480, dbm0: -24 },
        { frequency: 620, dbm0: -24 },
      ],
      cadence: [500, 500],
    },
    reorder: {
      components: [
        { frequency: 480, dbm0: -24 },
        { frequency: 620, dbm0: -24 },
      ],
      cadence: [250, 250],
    },
  },
  itu: {
    dial: { components: [{ frequency: 425, dbm0: -10 }], cadence: [] },
    ringback: { components: [{ frequency: 425, dbm0: -10 }], cadence: [1000, 4000] },
    busy: { components: [{ frequency: 425, dbm0: -10 }], cadence: [500, 500] },
    reorder: { components: [{ frequency: 425, dbm0: -10 }], cadence: [250, 250] },
  },
};

export function tonePlan(tone: CallProgressTone, region: ToneRegion = 'north-america'): TonePlan {
  return PLANS[region][tone];
}

/**
 * One full cadence period of a call-progress tone (1 s for a continuous tone, a whole number of
 * its cycles at every frequency used here), ready to loop.
 */
export function callProgressLoop(tone: CallProgressTone, region: ToneRegion = 'north-america'): Int16Array {
  const plan = tonePlan(tone, region);
  const cadence = plan.cadence.length ? plan.cadence : [1000];
  const periodMs = cadence.reduce((sum, ms) => sum + ms, 0);
  const samples = new Int16Array((periodMs * SAMPLE_RATE) / 1000);
  let offset = 0;
  cadence.forEach((ms, index) => {
    const length = (ms * SAMPLE_RATE) / 1000;
    if (index % 2 === 0 || plan.cadence.length === 0) {
      synthesize(plan.components, samples.subarray(offset, offset + length), offset, length);
    }
    offset += length;
  });
  return samples;
}
