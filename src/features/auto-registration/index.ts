/** Auto-registration: unconfigured phones added with the next free directory number (seed §2.7). */
export {
  type AdditionResult,
  type AutoRegistration,
  type AutoRegistrationOptions,
  type AutoRegistrationSettings,
  checkAutoRegistrationSettings,
  createAutoRegistration,
  type ExistingConfiguration,
  type NewDevice,
  type PhoneWriter,
} from './auto-registration.js';
