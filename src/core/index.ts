/**
 * The call core: the ECMA-269 (CSTA) call model of devices, calls and connections, its call
 * control operations and events. It imports no protocol module; adapters drive it.
 */
export {
  type CallCore,
  type CallCoreOptions,
  type ConferenceResult,
  createCallCore,
  type MakeCallRequest,
  type MakeCallResult,
  type OperationError,
  type OperationResult,
  type SingleStepTransferResult,
} from './call-core.js';
export type { CallRecord } from './call-record.js';
export type { Clock, TimerHandle } from './clock.js';
export type { DeviceDriver, SessionUpdate, SessionUpdateFailure, SessionUpdateResult } from './driver.js';
export type * from './events.js';
export { type CoreLogger, silentCoreLogger } from './logger.js';
export type * from './model.js';
export type { RouteFailure, RouteRequest, RouteResult, Router } from './router.js';
