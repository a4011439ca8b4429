import { describe, expect, it } from 'vitest';
import { GeneratorClock, OutgoingStream } from '../../../src/media/outgoing-stream.js';

function fixedRandom(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('outgoing stream continuity', () => {
  it('keeps its SSRC and continues numbering across a change of source', () => {
    const stream = new OutgoingStream(fixedRandom(0.5, 0.25, 0.75));
    expect(stream.ssrc).toBe(0x80000000);
    const first = { ...stream.map(1111, 100, 5000, 0, 8000, 160) };
    expect(first.marker).toBe(true);
    expect(first.sequenceNumber).toBe((0x4000 + 1) & 0xffff);
    const second = { ...stream.map(1111, 101, 5160, 20, 8000, 160) };
    expect(second).toEqual({
      sequenceNumber: first.sequenceNumber + 1,
      timestamp: first.timestamp + 160,
      marker: false,
    });
    // A new source 100 ms later: numbering continues, the timestamp advances by real time.
    const switched = { ...stream.map(2222, 9, 77, 120, 8000, 160) };
    expect(switched.marker).toBe(true);
    expect(switched.sequenceNumber).toBe(second.sequenceNumber + 1);
    expect(switched.timestamp).toBe(second.timestamp + 800);
    const next = { ...stream.map(2222, 10, 237, 140, 8000, 160) };
    expect(next.sequenceNumber).toBe(switched.sequenceNumber + 1);
    expect(next.timestamp).toBe(switched.timestamp + 160);
  });

  it('advances at least one frame when sources switch within the same instant', () => {
    const stream = new OutgoingStream(fixedRandom(0.1));
    const a = { ...stream.map(1, 0, 0, 0, 8000, 160) };
    const b = { ...stream.map(2, 0, 0, 0, 8000, 160) };
    expect((b.timestamp - a.timestamp) >>> 0).toBe(160);
  });

  it('maps a late packet without rewinding and wraps at 16 and 32 bits', () => {
    const stream = new OutgoingStream(fixedRandom(0.99999999));
    const first = { ...stream.map(5, 10, 100, 0, 8000, 160) };
    const ahead = { ...stream.map(5, 12, 420, 40, 8000, 160) };
    const late = { ...stream.map(5, 11, 260, 41, 8000, 160) };
    expect(late.sequenceNumber).toBe((first.sequenceNumber + 1) & 0xffff);
    expect(ahead.sequenceNumber).toBe((first.sequenceNumber + 2) & 0xffff);
    // The next source continues after the newest packet, not after the late one.
    const next = { ...stream.map(6, 0, 0, 41, 8000, 160) };
    expect(next.sequenceNumber).toBe((ahead.sequenceNumber + 1) & 0xffff);
    expect(next.timestamp).toBe((ahead.timestamp + 160) >>> 0);
    expect(next.sequenceNumber).toBeLessThan(0x10000);
    expect(next.timestamp).toBeLessThan(0x100000000);
  });

  it('numbers generated frames in their own negative source space', () => {
    const a = new GeneratorClock();
    const b = new GeneratorClock();
    expect(a.source).toBeLessThan(0);
    expect(b.source).not.toBe(a.source);
    a.advance(160);
    a.advance(160);
    expect(a.sequenceNumber).toBe(2);
    expect(a.timestamp).toBe(320);
  });
});
