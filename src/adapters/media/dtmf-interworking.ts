/**
 * DTMF interworking between two legs (CME's list: NOTIFY ⟷ NOTIFY, RFC 2833 ⟷ NOTIFY, in-band
 * G.711 ⟷ RFC 2833, plus SIP INFO; RFC 4733 replaces RFC 2833). When both legs use RFC 4733 or
 * both use tones, the digits already travel in the relayed media; otherwise the anchor
 * terminates the digit and produces it again in the target leg's way.
 */
import type { DtmfDigit } from '../../media/index.js';
import { type DtmfMessage, NOTIFY_MAX_DURATION_MS, notifyMessage } from './dtmf-bodies.js';
import type { DtmfRelay } from './negotiation.js';

/**
 * What to do with a digit received from a `from` leg for a `to` leg: nothing ('media-path', the
 * engine relays it), or produce it as RFC 4733 events, as tones (the leg needs G.711), as an
 * INFO or as a NOTIFY.
 */
export type DtmfAction = 'media-path' | DtmfRelay;

export function dtmfAction(from: DtmfRelay, to: DtmfRelay): DtmfAction {
  if (from === to && (to === 'rtp-nte' || to === 'inband')) return 'media-path';
  return to;
}

/**
 * The NOTIFYs of one `sip-notify` leg. A Cisco gateway starts playing a digit on the key-down
 * NOTIFY (the negotiated max-duration, no end bit) and stops it on the key-up one (end bit, real
 * duration), so every key-up is preceded by its key-down: a digit known only once it ended
 * (an INFO, a lost RFC 4733 start, a detector that reports late) gets both at once.
 */
export class NotifySequence {
  private down: DtmfDigit | null = null;

  constructor(readonly maxDurationMs = NOTIFY_MAX_DURATION_MS) {}

  /** The NOTIFYs for `digit` going down (`end` false) or coming up after `durationMs`. */
  next(digit: DtmfDigit, end: boolean, durationMs: number): DtmfMessage[] {
    if (!end) {
      // A key held past max-duration is announced again (Cisco `notify telephone-event`).
      this.down = digit;
      return [notifyMessage(digit, this.maxDurationMs, false)];
    }
    const wasDown = this.down === digit;
    this.down = null;
    const up = notifyMessage(digit, durationMs, true);
    return wasDown ? [up] : [notifyMessage(digit, this.maxDurationMs, false), up];
  }
}
