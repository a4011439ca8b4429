/**
 * Which transfers a carrier can take by REFER (R-TRUNK-17 to 19): the carrier calls the target
 * itself, so the target must be a number it routes: a DID the redirect-target translation makes
 * of an extension or pilot, or a number outside the system. An extension without a DID stays
 * here (hairpin), as spec 01 §5.7 asks of forwards for the same reason.
 */
import type { CarrierNumbering } from '../../adapters/sip-trunk/calls/index.js';
import type { ConfigSnapshot } from '../../admin/index.js';
import { createTrunkNumbering } from '../forwarding/index.js';

/** Whether the carrier of `trunk` can route a transfer to `target` (a number dialled here). */
export function carrierRoutes(
  config: ConfigSnapshot,
  numbering: Pick<CarrierNumbering, 'redirectTarget'>,
  trunk: string,
  target: string,
): boolean {
  if (numbering.redirectTarget(trunk, target) !== target) return true;
  if (config.linesByDn.has(target)) return false;
  for (const pilot of config.pilots.values()) if (pilot.number === target) return false;
  return true;
}

/** The numbering a trunk call handler needs: redirect translations and the REFER check. */
export function createCarrierNumbering(snapshot: () => ConfigSnapshot): CarrierNumbering {
  const numbering = createTrunkNumbering(snapshot);
  return {
    redirectTarget: numbering.redirectTarget,
    redirectCalled: numbering.redirectCalled,
    carrierRoutes: (trunk, target) => carrierRoutes(snapshot(), numbering, trunk, target),
  };
}
