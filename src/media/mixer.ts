/**
 * Conference mixing on 8 kHz linear audio: every participant hears the sum of the others'
 * voices (each scaled by its gain) and never its own ("mix-minus"), clipped to 16 bits.
 */

export function dbToGain(db: number): number {
  return 10 ** (db / 20);
}

/**
 * Mixes `length` samples. `inputs[i]` is participant i's voice, `gains[i]` its linear gain, and
 * `outputs[i]` receives what participant i hears. `sum` is scratch of at least `length`.
 */
export function mixMinusOne(
  inputs: readonly Int16Array[],
  gains: readonly number[],
  outputs: readonly Int16Array[],
  length: number,
  sum: Float64Array,
): void {
  sum.fill(0, 0, length);
  for (let p = 0; p < inputs.length; p++) {
    const input = inputs[p]!;
    const gain = gains[p]!;
    for (let s = 0; s < length; s++) sum[s]! += input[s]! * gain;
  }
  for (let p = 0; p < inputs.length; p++) {
    const input = inputs[p]!;
    const output = outputs[p]!;
    const gain = gains[p]!;
    for (let s = 0; s < length; s++) {
      const value = Math.round(sum[s]! - input[s]! * gain);
      output[s] = Math.max(-32768, Math.min(32767, value));
    }
  }
}

/**
 * Audio between packet arrival and the frame clock. It holds at most `capacity` samples (older
 * audio is dropped, bounding delay). With `prime` (the mixer), after running dry it waits for two
 * frames before playing again, so arrival jitter does not chop every frame; without (the
 * recorder), it hands out whatever it has, padded with silence.
 */
export class SampleQueue {
  private readonly buffer: Int16Array;
  private start = 0;
  private size = 0;
  private primed = false;

  constructor(
    capacity: number,
    private readonly frame: number,
    private readonly prime = true,
  ) {
    this.buffer = new Int16Array(capacity);
  }

  push(samples: Int16Array, length: number): void {
    const capacity = this.buffer.length;
    const count = Math.min(length, capacity);
    const offset = length - count;
    const overflow = this.size + count - capacity;
    if (overflow > 0) {
      this.start = (this.start + overflow) % capacity;
      this.size -= overflow;
    }
    for (let i = 0; i < count; i++)
      this.buffer[(this.start + this.size + i) % capacity] = samples[offset + i]!;
    this.size += count;
    if (this.size >= 2 * this.frame) this.primed = true;
  }

  /** Fills `out` with one frame, or silence when not enough audio is ready; true when it had audio. */
  take(out: Int16Array): boolean {
    if (this.prime && (!this.primed || this.size < this.frame)) {
      this.primed = false;
      out.fill(0, 0, this.frame);
      return false;
    }
    const count = Math.min(this.frame, this.size);
    const capacity = this.buffer.length;
    for (let i = 0; i < count; i++) out[i] = this.buffer[(this.start + i) % capacity]!;
    out.fill(0, count, this.frame);
    this.start = (this.start + count) % capacity;
    this.size -= count;
    return count > 0;
  }

  get available(): number {
    return this.size;
  }
}
