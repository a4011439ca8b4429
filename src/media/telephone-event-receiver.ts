/**
 * Turns a leg's RFC 4733 packets into digit begin/end reports. An event is identified by its RTP
 * timestamp (§2.5.2.1), not by the marker bit, so a lost or missing marker does not lose a digit;
 * the repeated end packets (§2.5.1.4) are reported once; a long event split into segments with
 * new timestamps (§2.5.1.3) stays one digit; an event whose end never arrives is closed after a
 * quiet spell.
 */
import { digitForEvent, readTelephoneEvent } from './telephone-event.js';
import type { DtmfDigit } from './types.js';

/** An event with no packet for this long is over even without its end bit. */
export const EVENT_EXPIRY_MS = 500;

export type DigitListener = (digit: DtmfDigit, state: 'begin' | 'end', durationMs?: number) => void;

export class TelephoneEventReceiver {
  private timestamp = -1;
  private event = -1;
  private open = false;
  /** Duration of segments before the current one, in timestamp units. */
  private earlierSegments = 0;
  private duration = 0;
  private clockRate = 8000;
  private lastPacketAt = 0;

  constructor(private readonly listener: DigitListener) {}

  receive(
    payload: Uint8Array,
    offset: number,
    length: number,
    timestamp: number,
    clockRate: number,
    now: number,
  ): void {
    const report = readTelephoneEvent(payload, offset, length);
    if (!report) return;
    const digit = digitForEvent(report.event);
    if (!digit) return; // not DTMF (flash, tones): relayed but not reported
    if (timestamp !== this.timestamp) {
      const continuation =
        this.open && report.event === this.event && now - this.lastPacketAt < EVENT_EXPIRY_MS;
      if (!continuation && this.timestamp !== -1 && this.isOlder(timestamp)) return; // a straggler of an earlier event
      if (continuation) {
        this.earlierSegments += this.duration;
      } else {
        this.finish();
        this.event = report.event;
        this.earlierSegments = 0;
        this.open = true;
        this.listener(digit, 'begin');
      }
      this.timestamp = timestamp;
      this.clockRate = clockRate;
      this.duration = 0;
    } else if (!this.open) {
      return; // retransmitted end packet
    }
    this.lastPacketAt = now;
    if (report.duration > this.duration) this.duration = report.duration;
    if (report.end) this.finish();
  }

  /** Closes an event that has been quiet too long; called periodically. */
  expire(now: number): void {
    if (this.open && now - this.lastPacketAt >= EVENT_EXPIRY_MS) this.finish();
  }

  private finish(): void {
    if (!this.open) return;
    this.open = false;
    const digit = digitForEvent(this.event)!;
    this.listener(digit, 'end', Math.round(((this.earlierSegments + this.duration) * 1000) / this.clockRate));
  }

  /** Serial-number comparison of 32-bit timestamps (RFC 1982). */
  private isOlder(timestamp: number): boolean {
    const difference = (timestamp - this.timestamp) >>> 0;
    return difference !== 0 && difference >= 0x80000000;
  }
}
