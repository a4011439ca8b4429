import { describe, expect, it } from 'vitest';
import { writeTelephoneEvent } from '../../../src/media/telephone-event.js';
import { TelephoneEventReceiver } from '../../../src/media/telephone-event-receiver.js';

function payload(event: number, end: boolean, duration: number): Uint8Array {
  const data = new Uint8Array(4);
  writeTelephoneEvent(data, 0, { event, end, volume: 10, duration });
  return data;
}

function receiver() {
  const reports: string[] = [];
  const instance = new TelephoneEventReceiver((digit, state, durationMs) =>
    reports.push(state === 'end' ? `${digit}:end:${durationMs}` : `${digit}:begin`),
  );
  const feed = (event: number, end: boolean, duration: number, timestamp: number, now: number) =>
    instance.receive(payload(event, end, duration), 0, 4, timestamp, 8000, now);
  return { reports, instance, feed };
}

describe('RFC 4733 event receiver', () => {
  it('reports begin and end once, ignoring repeated end packets', () => {
    const { reports, feed } = receiver();
    feed(5, false, 160, 1000, 0);
    feed(5, false, 320, 1000, 20);
    feed(5, true, 800, 1000, 100);
    feed(5, true, 800, 1000, 120);
    feed(5, true, 800, 1000, 140);
    expect(reports).toEqual(['5:begin', '5:end:100']);
  });

  it('tells events apart by timestamp without any marker bit, even the same digit twice', () => {
    const { reports, feed } = receiver();
    feed(11, true, 400, 1000, 0);
    feed(11, true, 400, 5000, 600);
    feed(10, false, 160, 9000, 1200);
    feed(10, true, 480, 9000, 1260);
    expect(reports).toEqual(['#:begin', '#:end:50', '#:begin', '#:end:50', '*:begin', '*:end:60']);
  });

  it('keeps a long event split into segments as one digit (§2.5.1.3)', () => {
    const { reports, feed } = receiver();
    feed(1, false, 65535, 0, 0);
    feed(1, false, 8000, 65535, 20);
    feed(1, true, 16000, 65535, 40);
    expect(reports).toEqual(['1:begin', `1:end:${Math.round(((65535 + 16000) * 1000) / 8000)}`]);
  });

  it('closes an event whose end was lost, and a new event closes the previous one', () => {
    const { reports, instance, feed } = receiver();
    feed(2, false, 160, 100, 0);
    instance.expire(100);
    expect(reports).toEqual(['2:begin']);
    instance.expire(600);
    expect(reports).toEqual(['2:begin', '2:end:20']);
    feed(3, false, 320, 200, 700);
    feed(4, false, 160, 400, 720);
    expect(reports).toEqual(['2:begin', '2:end:20', '3:begin', '3:end:40', '4:begin']);
  });

  it('ignores short payloads, non-DTMF events and stragglers of an earlier event', () => {
    const { reports, instance, feed } = receiver();
    instance.receive(new Uint8Array(3), 0, 3, 0, 8000, 0);
    feed(16, false, 160, 0, 0); // hook flash
    feed(7, true, 160, 5000, 10);
    feed(7, false, 80, 4000, 20);
    expect(reports).toEqual(['7:begin', '7:end:20']);
  });
});
