import { describe, expect, it } from 'vitest';
import { Conference } from '../../../src/media/conference.js';
import { dbToGain, mixMinusOne, SampleQueue } from '../../../src/media/mixer.js';

describe('mix-minus mixer', () => {
  it('gives each participant the others and not itself, with gain', () => {
    const inputs = [new Int16Array([1000, -1000]), new Int16Array([200, 200]), new Int16Array([30, -30])];
    const outputs = inputs.map(() => new Int16Array(2));
    const gain = dbToGain(-6);
    mixMinusOne(inputs, [gain, gain, gain], outputs, 2, new Float64Array(2));
    expect([...outputs[0]!]).toEqual([Math.round(230 * gain), Math.round(170 * gain)]);
    expect([...outputs[1]!]).toEqual([Math.round(1030 * gain), Math.round(-1030 * gain)]);
    expect([...outputs[2]!]).toEqual([Math.round(1200 * gain), Math.round(-800 * gain)]);
  });

  it('applies per-participant gain and clips to 16 bits', () => {
    const inputs = [new Int16Array([30000]), new Int16Array([30000]), new Int16Array([-30000])];
    const outputs = inputs.map(() => new Int16Array(1));
    mixMinusOne(inputs, [1, 1, dbToGain(6)], outputs, 1, new Float64Array(1));
    expect(outputs[2]![0]).toBe(32767);
    expect(outputs[0]![0]).toBe(Math.round(30000 - 30000 * dbToGain(6)));
    expect(dbToGain(-6)).toBeCloseTo(0.501, 3);
  });
});

describe('sample queue', () => {
  it('waits for two frames after running dry, then plays in order', () => {
    const queue = new SampleQueue(8, 2);
    const out = new Int16Array(2);
    queue.push(new Int16Array([1, 2]), 2);
    expect(queue.take(out)).toBe(false);
    expect([...out]).toEqual([0, 0]);
    queue.push(new Int16Array([3, 4]), 2);
    expect(queue.take(out)).toBe(true);
    expect([...out]).toEqual([1, 2]);
    expect(queue.take(out)).toBe(true);
    expect([...out]).toEqual([3, 4]);
    expect(queue.take(out)).toBe(false);
    queue.push(new Int16Array([5, 6]), 2);
    expect(queue.take(out)).toBe(false); // not primed again yet
  });

  it('drops the oldest audio beyond its capacity', () => {
    const queue = new SampleQueue(4, 2);
    queue.push(new Int16Array([1, 2, 3, 4, 5, 6]), 6);
    expect(queue.available).toBe(4);
    const out = new Int16Array(2);
    queue.take(out);
    expect([...out]).toEqual([3, 4]);
    queue.push(new Int16Array([7, 8, 9, 10]), 4);
    queue.take(out);
    expect([...out]).toEqual([7, 8]);
  });
});

describe('conference', () => {
  it('mixes queued audio on each tick and delivers to every member', () => {
    const conference = new Conference('c1');
    const heard = new Map<string, number[]>();
    for (const id of ['a', 'b', 'c'])
      conference.add(id, 0, (samples) => heard.set(id, [samples[0]!, samples[159]!]));
    const frame = (value: number) => new Int16Array(320).fill(value);
    conference.input('a', frame(100), 320);
    conference.input('b', frame(20), 320);
    conference.input('c', frame(3), 320);
    conference.input('stranger', frame(9999), 320);
    conference.tick();
    expect(heard.get('a')).toEqual([23, 23]);
    expect(heard.get('b')).toEqual([103, 103]);
    expect(heard.get('c')).toEqual([120, 120]);
    conference.remove('c');
    conference.tick();
    expect(heard.get('a')).toEqual([20, 20]);
    expect(conference.size).toBe(2);
  });
});
