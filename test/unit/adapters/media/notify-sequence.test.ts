import { describe, expect, it } from 'vitest';
import { readNotify } from '../../../../src/adapters/media/dtmf-bodies.js';
import { NotifySequence } from '../../../../src/adapters/media/dtmf-interworking.js';

const read = (messages: ReturnType<NotifySequence['next']>) =>
  messages.map((message) => readNotify('telephone-event', message.contentType, message.body));

describe('the NOTIFYs of a sip-notify leg', () => {
  it('sends the key-down NOTIFY with the max-duration and the key-up one with the real duration', () => {
    const sequence = new NotifySequence(700);
    expect(read(sequence.next('5', false, 0))).toEqual([{ digit: '5', durationMs: 700, end: false }]);
    expect(read(sequence.next('5', true, 130))).toEqual([{ digit: '5', durationMs: 130, end: true }]);
  });

  it('precedes a key-up with its key-down when the key-down was never sent', () => {
    const sequence = new NotifySequence();
    expect(read(sequence.next('#', true, 250))).toEqual([
      { digit: '#', durationMs: 2000, end: false },
      { digit: '#', durationMs: 250, end: true },
    ]);
    // The same key again is a new press: both NOTIFYs once more.
    expect(read(sequence.next('#', true, 100))).toHaveLength(2);
    // A key-down of another digit does not stand for this one.
    sequence.next('1', false, 0);
    expect(read(sequence.next('2', true, 80)).map((digit) => digit?.digit)).toEqual(['2', '2']);
  });

  it('announces a key held past max-duration again', () => {
    const sequence = new NotifySequence();
    expect(sequence.next('0', false, 0)).toHaveLength(1);
    expect(sequence.next('0', false, 0)).toHaveLength(1);
    expect(read(sequence.next('0', true, 4500))).toEqual([{ digit: '0', durationMs: 4500, end: true }]);
  });
});
