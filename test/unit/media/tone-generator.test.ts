import { describe, expect, it } from 'vitest';
import { goertzelFilter, goertzelPower } from '../../../src/media/goertzel.js';
import { callProgressLoop, dbm0ToAmplitude, dtmfTone } from '../../../src/media/tone-generator.js';

/** Share of a window's energy at `frequency` (1 for a pure tone there). */
function share(samples: Int16Array, frequency: number, offset: number, length: number): number {
  let energy = 0;
  for (let i = offset; i < offset + length; i++) energy += samples[i]! ** 2;
  if (energy === 0) return 0;
  return goertzelPower(goertzelFilter(frequency), samples, offset, length) / ((energy * length) / 2);
}

describe('tone generators', () => {
  it('makes a DTMF digit from its row and column frequencies at the stated levels', () => {
    const tone = dtmfTone('#', 100);
    expect(tone.length).toBe(800);
    const low = share(tone, 941, 0, 800);
    const high = share(tone, 1477, 0, 800);
    expect(low + high).toBeGreaterThan(0.95);
    // -8 dBm0 against -6 dBm0: the high tone carries 10^(0.2) times the power.
    expect(high / low).toBeCloseTo(10 ** 0.2, 1);
    expect(share(tone, 1209, 0, 800)).toBeLessThan(0.01);
  });

  it.each([
    ['north-america', 'ringback', [440, 480], 2000, 6000],
    ['north-america', 'busy', [480, 620], 500, 1000],
    ['north-america', 'reorder', [480, 620], 250, 500],
    ['north-america', 'dial', [350, 440], 1000, 1000],
    ['itu', 'ringback', [425], 1000, 5000],
    ['itu', 'busy', [425], 500, 1000],
    ['itu', 'reorder', [425], 250, 500],
    ['itu', 'dial', [425], 1000, 1000],
  ] as const)('%s %s: %j Hz, %i ms on in a %i ms period', (region, tone, frequencies, onMs, periodMs) => {
    const loop = callProgressLoop(tone, region);
    expect(loop.length).toBe(periodMs * 8);
    const window = 800;
    const onShare = frequencies.reduce((sum, frequency) => sum + share(loop, frequency, 0, window), 0);
    expect(onShare).toBeGreaterThan(0.95);
    if (onMs < periodMs) {
      const off = loop.subarray(onMs * 8);
      expect(off.every((sample) => sample === 0)).toBe(true);
    }
    // Level: the peak never exceeds the sum of the component amplitudes.
    const peak = loop.reduce((max, sample) => Math.max(max, Math.abs(sample)), 0);
    expect(peak).toBeLessThanOrEqual(frequencies.length * dbm0ToAmplitude(-10) + 1);
    expect(peak).toBeGreaterThan(0);
  });

  it.each([
    ['north-america', [913.8, 1370.6, 1776.7], [274, 274, 380]],
    ['itu', [950, 1400, 1800], [330, 330, 330]],
  ] as const)(
    '%s notInService: the three rising SIT segments %j Hz, then a second of silence',
    (region, frequencies, durations) => {
      const loop = callProgressLoop('notInService', region);
      const segmentsMs = durations.reduce((sum, ms) => sum + ms, 0);
      expect(loop.length).toBe((segmentsMs + 1000) * 8);
      let offset = 0;
      frequencies.forEach((frequency, index) => {
        const length = durations[index]! * 8;
        // Inside its segment (away from the joins) each frequency carries the energy, the others none.
        const window = { offset: offset + 160, length: length - 320 };
        expect(share(loop, frequency, window.offset, window.length)).toBeGreaterThan(0.95);
        for (const other of frequencies)
          if (other !== frequency)
            expect(share(loop, other, window.offset, window.length)).toBeLessThan(0.02);
        offset += length;
      });
      expect(loop.subarray(segmentsMs * 8).every((sample) => sample === 0)).toBe(true);
      const peak = loop.reduce((max, sample) => Math.max(max, Math.abs(sample)), 0);
      expect(peak).toBeCloseTo(dbm0ToAmplitude(-24), -1);
    },
  );
});
