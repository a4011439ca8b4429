/** What `strowger show trunks` and the API show of a trunk, and the `show sip-ua register status` rows. */
import type { Endpoint } from '../../sip/index.js';
import type { OptionsProbeView, TrunkServiceState } from './carrier-keepalive.js';
import type { NumberRegistrationView } from './number-registration.js';

export interface TrunkStatusView {
  readonly name: string;
  readonly state: TrunkServiceState;
  /** Where requests to the carrier go now. */
  readonly target: Endpoint | undefined;
  /** Every resolved carrier target, in the order RFC 3263 gave them. */
  readonly targets: readonly Endpoint[];
  /** Failed probes in a row at the current target. */
  readonly consecutiveFailures: number;
  /** The last OPTIONS probe, undefined before the first or with the keepalive off. */
  readonly lastOptions: OptionsProbeView | undefined;
  readonly numbers: readonly NumberRegistrationView[];
}

/** One line of `show sip-ua register status`. */
export interface RegisterStatusRow {
  readonly line: string;
  /** The trunk the number is registered through (IOS shows the dial-peer tag). */
  readonly peer: string;
  /** Seconds left on the binding; 0 when not registered. */
  readonly expires: number;
  readonly registered: 'yes' | 'no';
}

/** The numbers each trunk registers (not the `no-reg` ones), as `show sip-ua register status` lists them. */
export function registerStatusRows(trunks: readonly TrunkStatusView[]): RegisterStatusRow[] {
  const rows: RegisterStatusRow[] = [];
  for (const trunk of trunks) {
    for (const number of trunk.numbers) {
      if (!number.register || number.registrar === undefined) continue;
      rows.push({
        line: number.number,
        peer: trunk.name,
        expires: number.expiresIn ?? 0,
        registered: number.state === 'registered' ? 'yes' : 'no',
      });
    }
  }
  return rows;
}
