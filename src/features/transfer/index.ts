/**
 * Transfers toward carriers: which ones a carrier can take itself by REFER, and the numbers it
 * sees (Refer-To, Referred-By). The transfer itself is the core's (`singleStepTransfer`,
 * `transfer`), asked for by the adapters (a SIP phone's REFER).
 */
export { carrierRoutes, createCarrierNumbering } from './carrier-transfer.js';
