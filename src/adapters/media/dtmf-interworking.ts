/**
 * DTMF interworking between two legs (CME's list: NOTIFY ⟷ NOTIFY, RFC 2833 ⟷ NOTIFY, in-band
 * G.711 ⟷ RFC 2833, plus SIP INFO; RFC 4733 replaces RFC 2833). When both legs use RFC 4733 or
 * both use tones, the digits already travel in the relayed media; otherwise the anchor
 * terminates the digit and produces it again in the target leg's way.
 */
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
