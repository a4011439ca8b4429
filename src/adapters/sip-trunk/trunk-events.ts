/** What the trunk adapter tells the rest of the server, and its log, about state changes. */
import type { Endpoint, SipLogger } from '../../sip/index.js';

export type TrunkEvent =
  | { readonly type: 'in-service'; readonly trunk: string; readonly target: Endpoint }
  | {
      readonly type: 'out-of-service';
      readonly trunk: string;
      readonly target: Endpoint | undefined;
      /** The failing status (408 for a timeout), undefined when no target resolved. */
      readonly status: number | undefined;
      readonly reason: string;
    }
  | { readonly type: 'failover'; readonly trunk: string; readonly from: Endpoint; readonly to: Endpoint }
  | {
      readonly type: 'registered';
      readonly trunk: string;
      readonly number: string;
      /** Seconds granted by the registrar. */
      readonly expires: number;
      readonly registrar: string;
    }
  | {
      readonly type: 'registration-failed';
      readonly trunk: string;
      readonly number: string;
      readonly status: number;
      readonly reason: string;
      readonly retryInSeconds: number;
    }
  | { readonly type: 'unregistered'; readonly trunk: string; readonly number: string };

export type TrunkEventListener = (event: TrunkEvent) => void;

function describe(endpoint: Endpoint | undefined): string | undefined {
  return endpoint && `${endpoint.protocol} ${endpoint.address}:${endpoint.port}`;
}

/**
 * Delivers events to listeners and logs each one. Callers emit only on a change of state, so
 * a carrier that stays down is logged once, not once per probe.
 */
export class TrunkEvents {
  private readonly listeners = new Set<TrunkEventListener>();

  constructor(private readonly logger: SipLogger) {}

  on(listener: TrunkEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: TrunkEvent): void {
    this.log(event);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error(
          { err: error, event: event.type, trunk: event.trunk },
          'trunk event listener failed',
        );
      }
    }
  }

  private log(event: TrunkEvent): void {
    switch (event.type) {
      case 'in-service':
        this.logger.info({ trunk: event.trunk, target: describe(event.target) }, 'trunk in service');
        return;
      case 'out-of-service':
        this.logger.warn(
          { trunk: event.trunk, target: describe(event.target), status: event.status, reason: event.reason },
          'trunk out of service',
        );
        return;
      case 'failover':
        this.logger.warn(
          { trunk: event.trunk, from: describe(event.from), to: describe(event.to) },
          'trunk failing over to the next carrier target',
        );
        return;
      case 'registered':
        this.logger.info(
          { trunk: event.trunk, number: event.number, expires: event.expires, registrar: event.registrar },
          'trunk number registered',
        );
        return;
      case 'registration-failed':
        this.logger.warn(
          {
            trunk: event.trunk,
            number: event.number,
            status: event.status,
            reason: event.reason,
            retryInSeconds: event.retryInSeconds,
          },
          'trunk number registration failed',
        );
        return;
      case 'unregistered':
        this.logger.info({ trunk: event.trunk, number: event.number }, 'trunk number unregistered');
        return;
    }
  }
}
