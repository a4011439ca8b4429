/**
 * Call routing by the dial plan: the core's router for phones' lines, trunks and pilots, with the
 * calling search space of the caller (a phone's, or the trunk's for calls arriving from a carrier),
 * and the conference numbers in front of it.
 */
export { type ConferenceNumbers, createConferenceRouter } from './conference-router.js';
export { createDialPlanRouter, type DialPlanRouterOptions } from './dial-plan-router.js';
