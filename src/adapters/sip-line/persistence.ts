import type { RegistrationRepository } from '../../store/index.js';

/** The part of the store the registrar writes bindings to; `Store` satisfies it. */
export type RegistrationRows = Pick<RegistrationRepository, 'applyBatch' | 'list' | 'expire'>;

export interface RegistrationPersistence {
  readonly registrations: RegistrationRows;
}

/**
 * When a binding's row reaches the store: `write-through` before the REGISTER is answered,
 * `write-back` at most a flush interval after it and at a clean stop (see `LocationService`).
 */
export type PersistenceMode = 'write-back' | 'write-through';
