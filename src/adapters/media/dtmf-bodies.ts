/**
 * DTMF carried in SIP signalling, both ways:
 * - SIP INFO (RFC 6086 legacy usage, no Info-Package) with `application/dtmf-relay`
 *   (`Signal=5\r\nDuration=160\r\n`, the Cisco `dtmf-relay sip-info` format) or `application/dtmf`
 *   (the digit alone);
 * - Cisco `dtmf-relay sip-notify`: NOTIFY with `Event: telephone-event` and an
 *   `audio/telephone-event` body of 4 bytes laid out as the RFC 4733 §2.3 payload (event code,
 *   end bit and volume, duration), the duration in milliseconds. One NOTIFY goes out when the
 *   key goes down, carrying the negotiated maximum duration, and one with the end bit and the real
 *   duration when it comes up. The feature is announced with
 *   `Call-Info: <sip:host>;method="NOTIFY;Event=telephone-event;Duration=2000"`.
 */
import { type DtmfDigit, digitForEvent, eventForDigit, isDtmfDigit } from '../../media/index.js';

/** A digit read from a SIP body. `end` is false for a NOTIFY sent when the key went down. */
export interface SignalledDigit {
  digit: DtmfDigit;
  durationMs: number;
  end: boolean;
}

export interface DtmfMessage {
  method: 'INFO' | 'NOTIFY';
  contentType: string;
  body: Buffer;
  /** Extra headers the request needs (NOTIFY: Event). */
  headers: ReadonlyArray<readonly [string, string]>;
}

export type InfoFormat = 'dtmf-relay' | 'dtmf';

/** Used when a body gives no duration: a common key press. */
export const DEFAULT_DURATION_MS = 250;
/** Cisco's default `notify telephone-event max-duration`. */
export const NOTIFY_MAX_DURATION_MS = 2000;
/** Beyond this a "digit" is no key press; INFO durations are clamped to it. */
const LONGEST_DIGIT_MS = 10_000;
/** DTMF bodies are a few bytes; larger ones are refused unread. */
const MAX_BODY_BYTES = 512;
/** RFC 4733 §2.3.2: volume in -dBm0; 10 is what senders commonly use. */
const NOTIFY_VOLUME = 10;

function readDigit(text: string): DtmfDigit | null {
  const value = text.trim().toUpperCase();
  if (value.length === 1) return isDtmfDigit(value) ? value : null;
  // Some senders write the event code (10 for *, 11 for #) instead of the character.
  return /^[0-9]{1,2}$/.test(value) ? digitForEvent(Number(value)) : null;
}

function mediaType(contentType: string): string {
  return contentType.toLowerCase().split(';')[0]!.trim();
}

/** The INFO that relays a digit of `durationMs`. */
export function infoMessage(
  digit: DtmfDigit,
  durationMs: number,
  format: InfoFormat = 'dtmf-relay',
): DtmfMessage {
  const duration = clampDuration(durationMs);
  return format === 'dtmf'
    ? { method: 'INFO', contentType: 'application/dtmf', body: Buffer.from(digit), headers: [] }
    : {
        method: 'INFO',
        contentType: 'application/dtmf-relay',
        body: Buffer.from(`Signal=${digit}\r\nDuration=${duration}\r\n`),
        headers: [],
      };
}

/** The digit of an INFO body, or null when the body is not a DTMF body this reads. */
export function readInfo(contentType: string, body: Buffer): SignalledDigit | null {
  if (body.length === 0 || body.length > MAX_BODY_BYTES) return null;
  const type = mediaType(contentType);
  const text = body.toString('latin1');
  if (type === 'application/dtmf') {
    const digit = readDigit(text);
    return digit ? { digit, durationMs: DEFAULT_DURATION_MS, end: true } : null;
  }
  if (type !== 'application/dtmf-relay') return null;
  let digit: DtmfDigit | null = null;
  let durationMs = DEFAULT_DURATION_MS;
  for (const line of text.split(/\r?\n/)) {
    const separator = line.indexOf('=');
    if (separator < 0) continue;
    const name = line.slice(0, separator).trim().toLowerCase();
    const value = line.slice(separator + 1);
    if (name === 'signal') digit = readDigit(value);
    else if (name === 'duration' && /^\s*[0-9]{1,6}\s*$/.test(value))
      durationMs = clampDuration(Number(value));
  }
  return digit ? { digit, durationMs, end: true } : null;
}

/** The NOTIFY for a key going down (`end` false) or coming up (`end` true). */
export function notifyMessage(digit: DtmfDigit, durationMs: number, end: boolean): DtmfMessage {
  const body = Buffer.alloc(4);
  // Every DtmfDigit has an event code (RFC 4733 §3.2).
  body[0] = eventForDigit(digit)!;
  body[1] = (end ? 0x80 : 0) | NOTIFY_VOLUME;
  body.writeUInt16BE(Math.min(0xffff, Math.max(0, Math.round(durationMs))), 2);
  return {
    method: 'NOTIFY',
    contentType: 'audio/telephone-event',
    body,
    headers: [['Event', 'telephone-event']],
  };
}

/** The digit of a Cisco NOTIFY body; `event` is the request's Event header value. */
export function readNotify(
  event: string | undefined,
  contentType: string,
  body: Buffer,
): SignalledDigit | null {
  if (event === undefined || event.split(';')[0]!.trim().toLowerCase() !== 'telephone-event') return null;
  if (mediaType(contentType) !== 'audio/telephone-event' || body.length !== 4) return null;
  const digit = digitForEvent(body[0]!);
  if (!digit) return null;
  return { digit, durationMs: body.readUInt16BE(2), end: (body[1]! & 0x80) !== 0 };
}

/** The Call-Info value that announces NOTIFY DTMF relay on an INVITE or its 18x/200. */
export function notifyCallInfo(uri: string, maxDurationMs = NOTIFY_MAX_DURATION_MS): string {
  return `<${uri}>;method="NOTIFY;Event=telephone-event;Duration=${clampDuration(maxDurationMs)}"`;
}

function clampDuration(durationMs: number): number {
  if (!Number.isFinite(durationMs) || durationMs <= 0) return DEFAULT_DURATION_MS;
  return Math.min(LONGEST_DIGIT_MS, Math.round(durationMs));
}
