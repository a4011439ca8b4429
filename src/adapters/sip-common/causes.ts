/**
 * CSTA causes ⇄ SIP status codes for the B2BUA, after RFC 3398 §7.2.4.1 / RFC 4497 (Q.850 ⇄ SIP)
 * with each Q.850 cause read as its ECMA-269 counterpart.
 */
import type { Cause } from '../../core/index.js';

/** The final response a caller gets when its call ends with `cause` before being answered. */
export function statusForCause(cause: Cause): number {
  switch (cause) {
    case 'busy':
      return 486;
    case 'destNotObtainable':
      return 404;
    // RFC 3398 §7.2.4.1: Q.850 18/19 (no user responding / no answer) → 480.
    case 'callNotAnswered':
    case 'destOutOfOrder':
      return 480;
    case 'reorderTone':
      return 403;
    case 'incompatibleDestination':
      return 488;
    case 'callCancelled':
      return 487;
    case 'networkCongestion':
    case 'resourcesNotAvailable':
    // RFC 3398 §7.2.4.1: Q.850 41 (temporary failure, see MEDIA_TIMEOUT_REASON) → 503.
    case 'mediaTimeout':
      return 503;
    // RFC 3261 §21.4.20 / §21.4.21, as a proxy answers a request that loops or runs out of hops.
    case 'forwardLoop':
      return 482;
    case 'tooManyForwards':
      return 483;
    default:
      return 500;
  }
}

/**
 * Seconds a caller refused with 503 for `cause` is asked to wait (RFC 3261 §21.5.4, §20.33):
 * congestion (Q.850 42, e.g. every conference room in use) clears as calls end; other 503s say
 * nothing about when they clear.
 */
export function retryAfterForCause(cause: Cause): number | undefined {
  return cause === 'networkCongestion' ? CONGESTION_RETRY_AFTER_S : undefined;
}

const CONGESTION_RETRY_AFTER_S = 30;

/**
 * Q.850 41, temporary failure: "the network is not functioning correctly and the condition is
 * not likely to last a long period of time; the user may wish to try another call attempt
 * almost immediately". A media path gone silent is such a failure of the network between a
 * party and us, not of the party (which would be 18, no user responding) and not a shortage of
 * our resources (47): a new call may well succeed.
 */
const MEDIA_TIMEOUT_REASON = 'Q.850;cause=41;text="Media timeout"';

/**
 * The RFC 3326 Reason header a BYE or CANCEL carries for a call ended with `cause`; undefined
 * when the request itself says it all (a hang-up).
 */
export function reasonForCause(cause: Cause): string | undefined {
  switch (cause) {
    case 'mediaTimeout':
      return MEDIA_TIMEOUT_REASON;
    default:
      return undefined;
  }
}

/** What a final failure response from a called device means for the call. */
export function causeForStatus(status: number): Cause {
  switch (status) {
    case 486:
    case 600:
    // RFC 3398: 603 Decline maps to Q.850 21 (call rejected); the caller hears busy, as on a Cisco phone's decline.
    case 603:
      return 'busy';
    case 404:
    case 484:
    case 604:
      return 'destNotObtainable';
    case 408:
    case 480:
      return 'callNotAnswered';
    case 403:
      return 'reorderTone';
    case 488:
    case 606:
    case 415:
      return 'incompatibleDestination';
    case 487:
      return 'callCancelled';
    case 503:
      return 'resourcesNotAvailable';
    default:
      return 'destOutOfOrder';
  }
}
