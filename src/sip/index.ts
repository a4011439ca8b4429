/**
 * Strowger's SIP stack (RFC 3261 and friends) as a library: it imports only Node built-ins and
 * knows nothing about the PBX. See README.md beside this file.
 */
export * from './auth/index.js';
export { type Clock, FakeClock, systemClock, type TimerHandle } from './clock.js';
export * from './dialog/index.js';
export { RateLimitedLog, type SipLogger, silentLogger } from './logger.js';
export * from './message/index.js';
export * from './resolver/index.js';
export {
  type AckHandler,
  createSipStack,
  type IncomingRequest,
  type InviteResponse,
  type OutgoingInvite,
  type ReplyOptions,
  type RequestHandler,
  type RequestOptions,
  type SipStack,
  type SipStackOptions,
} from './stack.js';
export * from './transaction/index.js';
export * from './transport/index.js';
