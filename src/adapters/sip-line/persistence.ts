import type { RegistrationRepository } from '../../store/index.js';

/** The part of the store the registrar writes through to; `Store` satisfies it. */
export type RegistrationRows = Pick<RegistrationRepository, 'applyBatch' | 'list' | 'expire'>;

export interface RegistrationPersistence {
  readonly registrations: RegistrationRows;
}
