/**
 * What the SIP adapters that carry calls (phones' lines, trunks) share: the call signalling of
 * a stack (new INVITEs dispatched to the adapters, in-dialog requests to their legs, REFER
 * transfers), the legs of the back-to-back user agent, session descriptions as bodies, and the
 * Diversion header of forwarded calls.
 */

export {
  type CallDevice,
  CallMedia,
  type CallMediaOptions,
  createCallMedia,
  type FailureTones,
  type LegMedia,
  MEDIA_TIMEOUT_CAUSE,
} from './call-media.js';
export {
  type CallSignalling,
  type CallSignallingOptions,
  callSignalling,
  type IncomingCall,
  maxForwardsOf,
  type NewCallAnswerer,
  type SipCallerReach,
} from './call-signalling.js';
export { CalleeLeg, type Dial, type DialAttempt } from './callee-leg.js';
export { CallerLeg } from './caller-leg.js';
export { causeForStatus, statusForCause } from './causes.js';
export { diversionHeaders } from './diversion.js';
export type { Leg } from './leg.js';
export { bodyOf, isHoldOffer, localAnswer, mediaOf } from './media.js';
export { type ReferTarget, readReferTo, type TransferHandOff } from './refer.js';
