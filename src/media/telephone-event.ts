/**
 * RFC 4733 telephone-event payload (§2.3): event code, end bit, volume and duration. DTMF digits
 * are events 0–15 (§3.2).
 */
import type { DtmfDigit } from './types.js';

export const TELEPHONE_EVENT_LENGTH = 4;

const DIGITS: readonly DtmfDigit[] = [
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  '*',
  '#',
  'A',
  'B',
  'C',
  'D',
];

export function digitForEvent(event: number): DtmfDigit | null {
  return DIGITS[event] ?? null;
}

export function eventForDigit(digit: string): number | null {
  const index = DIGITS.indexOf(digit.toUpperCase() as DtmfDigit);
  return index < 0 ? null : index;
}

export function isDtmfDigit(value: unknown): value is DtmfDigit {
  return typeof value === 'string' && value.length === 1 && DIGITS.includes(value as DtmfDigit);
}

export interface TelephoneEvent {
  event: number;
  end: boolean;
  /** Power level as -dBm0, 0–63. */
  volume: number;
  /** Duration so far, in timestamp units. */
  duration: number;
}

/** Reads the first event block of a payload; null when it is too short. */
export function readTelephoneEvent(data: Uint8Array, offset: number, length: number): TelephoneEvent | null {
  if (length < TELEPHONE_EVENT_LENGTH || offset + TELEPHONE_EVENT_LENGTH > data.length) return null;
  const flags = data[offset + 1]!;
  return {
    event: data[offset]!,
    end: (flags & 0x80) !== 0,
    volume: flags & 0x3f,
    duration: (data[offset + 2]! << 8) | data[offset + 3]!,
  };
}

export function writeTelephoneEvent(data: Uint8Array, offset: number, event: TelephoneEvent): void {
  data[offset] = event.event & 0xff;
  data[offset + 1] = (event.end ? 0x80 : 0) | (event.volume & 0x3f);
  data[offset + 2] = (event.duration >>> 8) & 0xff;
  data[offset + 3] = event.duration & 0xff;
}
