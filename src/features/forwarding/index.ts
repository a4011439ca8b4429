/**
 * Call forward all, busy and no answer as a routing policy over the dial plan, and the numbers
 * a carrier sees in redirections and transfers (302 Contact, Diversion, Refer-To, Referred-By).
 */
export { createForwardingRouter, type ForwardingRouterOptions } from './forwarding-router.js';
export { createTrunkNumbering, type TrunkNumbering } from './trunk-numbering.js';
