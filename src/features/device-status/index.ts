/**
 * Real-time device status (R-REG-30, R-REG-37) and `diagnose phone`: a tracker fed by the line
 * adapter's registration events and the provisioning fetch log, and a pure diagnosis over what
 * one or more nodes saw.
 */
export type {
  AttemptView,
  DeviceEvidence,
  DeviceState,
  DeviceStatus,
  EndpointView,
  FetchView,
  TransitionView,
} from './device-status.js';
export { type Diagnosis, type DiagnosisStep, diagnose, type Finding, type StepOutcome } from './diagnosis.js';
export {
  type AttemptInput,
  type BindingInput,
  type ConfiguredDevices,
  DEFAULT_KEEPALIVE_SECONDS,
  DeviceStatusTracker,
  type DeviceStatusTrackerOptions,
  type FetchInput,
} from './tracker.js';
