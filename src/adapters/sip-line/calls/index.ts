/** SIP phones' calls: the B2BUA between phones and the call core, and routing to their lines. */
export {
  createLineRouter,
  type LineLocation,
  type LineLocations,
  type LineRouterOptions,
  SIP_LINE,
  type SipReach,
} from './line-router.js';
export { createSipCallHandler, type SipCallHandlerOptions } from './sip-call-handler.js';
