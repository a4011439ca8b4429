export {
  type ConfigService,
  type ConfigServiceOptions,
  type CrudErrorDetail,
  type CrudFailure,
  type CrudResult,
  type CrudSuccess,
  createConfigService,
} from './config-service.js';
export {
  type CallingSearchSpaceResource,
  type DevicePoolResource,
  type LineAppearanceResource,
  type LineForward,
  type LineResource,
  lineKey,
  type PartitionResource,
  type PhoneResource,
  type ResourceInputs,
  type ResourceKind,
  type Resources,
  type UserResource,
} from './resources.js';
