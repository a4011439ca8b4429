/** The Goertzel algorithm: the power of one frequency in a block of samples, in O(n) without an FFT. */

export interface GoertzelFilter {
  frequency: number;
  coefficient: number;
}

export function goertzelFilter(frequency: number, sampleRate = 8000): GoertzelFilter {
  return { frequency, coefficient: 2 * Math.cos((2 * Math.PI * frequency) / sampleRate) };
}

/**
 * |X(f)|² over `samples[offset … offset+length)`. A sine of amplitude A at exactly `frequency`
 * gives about (A·length/2)².
 */
export function goertzelPower(
  filter: GoertzelFilter,
  samples: ArrayLike<number>,
  offset: number,
  length: number,
): number {
  const coefficient = filter.coefficient;
  let previous = 0;
  let beforePrevious = 0;
  for (let i = offset; i < offset + length; i++) {
    const current = samples[i]! + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = current;
  }
  return previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
}

/** Estimated amplitude of a sine at the filter's frequency, from its Goertzel power. */
export function amplitudeFromPower(power: number, length: number): number {
  return (2 * Math.sqrt(Math.max(0, power))) / length;
}
