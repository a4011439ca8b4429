/**
 * Calls over SIP trunks: INVITEs from carriers become core calls from the trunk, and the core's
 * calls to `sip-trunk` devices go to the trunk's carrier or to a SIP address (a pilot); forwarded
 * carrier calls are redirected (302), blind transfers handed over (REFER), holds answered here.
 */
export { type CarrierNumbering, UNTRANSLATED } from './carrier-services.js';
export { encodingsOf } from './codec-preference.js';
export { createSipTrunkCallHandler, type SipTrunkCallHandlerOptions } from './trunk-call-handler.js';
export { type OutgoingNumbers, SIP_TRUNK, type TrunkReach } from './trunk-reach.js';
