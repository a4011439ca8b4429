/**
 * What the SIP adapters that carry calls (phones' lines, trunks) share: the call signalling of
 * a stack (new INVITEs dispatched to the adapters, in-dialog requests to their legs), the legs
 * of the back-to-back user agent, and session descriptions as bodies.
 */

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
export { causeForStatus, statusForCause } from './causes.js';
export { bodyOf, mediaOf } from './media.js';
