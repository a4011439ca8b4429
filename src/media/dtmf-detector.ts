/**
 * In-band DTMF detection (ITU-T Q.24 style) on 8 kHz linear audio in 20 ms blocks. Each block
 * passes if one row and one column frequency stand out: each strong enough, clearly above the
 * other frequencies of its group, within the allowed twist, and together carrying most of the
 * block's energy (which rejects speech and noise). A digit begins after two passing blocks
 * (40 ms) and ends after two blocks without it.
 */
import { amplitudeFromPower, type GoertzelFilter, goertzelFilter, goertzelPower } from './goertzel.js';
import {
  DTMF_COLUMN_FREQUENCIES,
  DTMF_ROW_FREQUENCIES,
  dbm0ToAmplitude,
  dtmfDigitAt,
} from './tone-generator.js';
import type { DtmfDigit } from './types.js';

export const BLOCK_SAMPLES = 160;

export interface DtmfDetectorOptions {
  /** Weakest tone accepted, per frequency, in dBm0. Default -30. */
  minimumLevelDbm0?: number;
  /** How much weaker the high group may be than the low group, in dB. Default 8. */
  normalTwistDb?: number;
  /** How much stronger the high group may be than the low group, in dB. Default 4. */
  reverseTwistDb?: number;
  /** Strongest frequency over the runner-up of its group, in dB. Default 6. */
  relativePeakDb?: number;
  /** Share of the block's energy the two tones must carry. Default 0.7. */
  toneEnergyShare?: number;
}

export type DetectedDigitListener = (digit: DtmfDigit, state: 'begin' | 'end', durationMs?: number) => void;

const ROW_FILTERS: readonly GoertzelFilter[] = DTMF_ROW_FREQUENCIES.map((frequency) =>
  goertzelFilter(frequency),
);
const COLUMN_FILTERS: readonly GoertzelFilter[] = DTMF_COLUMN_FREQUENCIES.map((frequency) =>
  goertzelFilter(frequency),
);

export class DtmfDetector {
  private readonly block = new Int16Array(BLOCK_SAMPLES);
  private filled = 0;
  private readonly minimumAmplitude: number;
  private readonly normalTwist: number;
  private readonly reverseTwist: number;
  private readonly relativePeak: number;
  private readonly energyShare: number;
  private candidate: DtmfDigit | null = null;
  private current: DtmfDigit | null = null;
  /** Blocks in a row that showed the current digit (or the candidate), and that did not. */
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly listener: DetectedDigitListener,
    options: DtmfDetectorOptions = {},
  ) {
    this.minimumAmplitude = dbm0ToAmplitude(options.minimumLevelDbm0 ?? -30);
    this.normalTwist = 10 ** (-(options.normalTwistDb ?? 8) / 10);
    this.reverseTwist = 10 ** ((options.reverseTwistDb ?? 4) / 10);
    this.relativePeak = 10 ** ((options.relativePeakDb ?? 6) / 10);
    this.energyShare = options.toneEnergyShare ?? 0.7;
  }

  /** Feeds audio of any length; blocks are cut at 160 samples regardless of packet boundaries. */
  process(samples: Int16Array, length = samples.length): void {
    let offset = 0;
    while (offset < length) {
      const take = Math.min(BLOCK_SAMPLES - this.filled, length - offset);
      this.block.set(samples.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === BLOCK_SAMPLES) {
        this.filled = 0;
        this.step(this.classify(this.block));
      }
    }
  }

  /** The digit a single 20 ms block carries, or null. */
  classify(block: Int16Array): DtmfDigit | null {
    let energy = 0;
    for (let i = 0; i < BLOCK_SAMPLES; i++) energy += block[i]! * block[i]!;
    if (energy === 0) return null;
    const row = strongest(ROW_FILTERS, block);
    const column = strongest(COLUMN_FILTERS, block);
    if (amplitudeFromPower(row.power, BLOCK_SAMPLES) < this.minimumAmplitude) return null;
    if (amplitudeFromPower(column.power, BLOCK_SAMPLES) < this.minimumAmplitude) return null;
    if (row.power < row.runnerUp * this.relativePeak || column.power < column.runnerUp * this.relativePeak)
      return null;
    // Twist: column (high group) power relative to row (low group) power.
    if (column.power < row.power * this.normalTwist || column.power > row.power * this.reverseTwist)
      return null;
    // A pure sine's Goertzel power is energy·N/2, so this ratio is the tones' share of the block.
    if ((row.power + column.power) / ((energy * BLOCK_SAMPLES) / 2) < this.energyShare) return null;
    return dtmfDigitAt(row.index, column.index);
  }

  private step(digit: DtmfDigit | null): void {
    if (this.current) {
      if (digit === this.current) {
        this.hits++;
        this.misses = 0;
        return;
      }
      this.misses++;
      if (this.misses < 2) return;
      this.listener(this.current, 'end', this.hits * 20);
      this.current = null;
      this.hits = 0;
    }
    if (digit && digit === this.candidate) {
      this.hits++;
      if (this.hits >= 2) {
        this.current = digit;
        this.candidate = null;
        this.misses = 0;
        this.listener(digit, 'begin');
      }
      return;
    }
    this.candidate = digit;
    this.hits = digit ? 1 : 0;
  }
}

function strongest(
  filters: readonly GoertzelFilter[],
  block: Int16Array,
): { index: number; power: number; runnerUp: number } {
  let index = 0;
  let power = -1;
  let runnerUp = 0;
  for (let i = 0; i < filters.length; i++) {
    const value = goertzelPower(filters[i]!, block, 0, BLOCK_SAMPLES);
    if (value > power) {
      runnerUp = Math.max(runnerUp, power);
      power = value;
      index = i;
    } else if (value > runnerUp) {
      runnerUp = value;
    }
  }
  return { index, power, runnerUp };
}
