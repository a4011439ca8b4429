/**
 * Call routing by the dial plan: the core's router for phones' lines, trunks and pilots, with the
 * calling search space of the caller (a phone's, or the trunk's for calls arriving from a carrier).
 */
export { createDialPlanRouter, type DialPlanRouterOptions } from './dial-plan-router.js';
