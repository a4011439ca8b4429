/**
 * Session timers (RFC 4028) on the calling phone's leg: the interval the phone asks for is
 * accepted when it is at least our Min-SE, the refresher it names (or the phone, by default)
 * keeps the session alive, and a session nobody refreshes is ended before it expires.
 */
import type { Clock, SipRequest, TimerHandle } from '../../sip/index.js';

/** RFC 4028 §4: the smallest Min-SE allowed, and ours. */
export const MIN_SESSION_EXPIRES = 90;
/** Bigger intervals are taken as this (a day); refreshes do no harm, a huge timer value might. */
const MAX_SESSION_EXPIRES = 86_400;

export type Refresher = 'uac' | 'uas';

export interface SessionTimerTerms {
  readonly interval: number;
  readonly refresher: Refresher;
}

export type SessionTimerRequest =
  /** No session timer: the phone did not ask, or does not support it (then it is optional, §9). */
  | { readonly kind: 'none' }
  | { readonly kind: 'accept'; readonly terms: SessionTimerTerms }
  /** RFC 4028 §8.1: the interval is below our Min-SE: answer 422 with Min-SE. */
  | { readonly kind: 'tooSmall' };

function hasOptionTag(request: SipRequest, header: string, tag: string): boolean {
  return request.headers.getAll(header).some((value) => value.trim().toLowerCase() === tag);
}

/** Reads Session-Expires (RFC 4028 §4) of an INVITE or UPDATE. Malformed values mean none. */
export function readSessionTimer(request: SipRequest): SessionTimerRequest {
  // RFC 4028 §4: "x" is the compact form.
  const value = request.headers.get('Session-Expires') ?? request.headers.get('x');
  if (value === undefined) return { kind: 'none' };
  const [delta = '', ...params] = value.split(';');
  const interval = /^\s*\d{1,10}\s*$/.test(delta) ? Number(delta) : Number.NaN;
  if (!Number.isFinite(interval)) return { kind: 'none' };
  if (interval < MIN_SESSION_EXPIRES) return { kind: 'tooSmall' };
  if (!hasOptionTag(request, 'Supported', 'timer') && !hasOptionTag(request, 'Require', 'timer'))
    return { kind: 'none' };
  const refresherParam = params
    .map((param) => param.trim().toLowerCase())
    .find((param) => param.startsWith('refresher='));
  // RFC 4028 §9: a refresher the UAC chose is kept; otherwise the UAS picks, and we pick the UAC.
  const refresher: Refresher = refresherParam === 'refresher=uas' ? 'uas' : 'uac';
  return { kind: 'accept', terms: { interval: Math.min(interval, MAX_SESSION_EXPIRES), refresher } };
}

/** The header fields of a 2xx that accepts the terms (RFC 4028 §9). */
export function sessionTimerHeaders(terms: SessionTimerTerms): [string, string][] {
  return [
    ['Session-Expires', `${terms.interval};refresher=${terms.refresher}`],
    ['Require', 'timer'],
  ];
}

export interface SessionTimerActions {
  /** We are the refresher and it is time (half the interval, RFC 4028 §10). */
  refresh(): void;
  /** Nobody refreshed: end the session (RFC 4028 §10: BYE before it expires). */
  expire(): void;
}

/** The timer of one leg: armed on the 2xx, re-armed by every refresh. */
export class SessionTimer {
  private handle: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly actions: SessionTimerActions,
  ) {}

  start(terms: SessionTimerTerms): void {
    this.stop();
    const ms = terms.interval * 1000;
    if (terms.refresher === 'uas') {
      this.handle = this.clock.setTimeout(() => this.actions.refresh(), ms / 2);
    } else {
      // RFC 4028 §10: the side that does not refresh sends BYE at the interval minus min(32 s, interval/3).
      const margin = Math.min(32_000, ms / 3);
      this.handle = this.clock.setTimeout(() => this.actions.expire(), ms - margin);
    }
  }

  stop(): void {
    if (this.handle === undefined) return;
    this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }
}
