/**
 * Numbers as a carrier must see them in redirections and transfers: the user part of a 302
 * Contact and of Refer-To is the target translated by `translate redirect-target`, the number
 * in Diversion and Referred-By the forwarding or transferring line translated by `translate
 * redirect-called` (R-TRUNK-10, R-TRUNK-18: extension 201 → DID 5123781201, pilot 600 →
 * 5123788000). The profile is the outgoing translation profile of the trunk's dial-peers (the
 * first by tag that translates redirections), as CME applies it on the dial-peer toward the SP.
 */
import { compiledPlanOf } from '../../admin/dialplan/index.js';
import type { ConfigSnapshot } from '../../admin/index.js';

export interface TrunkNumbering {
  /** The number a call forwarded or transferred to `number` is sent to over `trunk`. */
  redirectTarget(trunk: string, number: string): string;
  /** The number `number` (a forwarding or transferring line) presents over `trunk`. */
  redirectCalled(trunk: string, number: string): string;
}

type Field = 'redirect-target' | 'redirect-called';

/** Per snapshot: trunk → the profile that translates its redirections (null: none). */
const profiles = new WeakMap<ConfigSnapshot, Map<string, string | null>>();

export function createTrunkNumbering(snapshot: () => ConfigSnapshot): TrunkNumbering {
  const translate = (trunk: string, field: Field, number: string): string => {
    const config = snapshot();
    const compiled = compiledPlanOf(config);
    if (!compiled.ok) return number;
    const profile = redirectProfileOf(config, trunk);
    if (profile === null) return number;
    const result = compiled.value.plan.translate(profile, field, number);
    return result.outcome === 'translated' ? result.number : number;
  };
  return {
    redirectTarget: (trunk, number) => translate(trunk, 'redirect-target', number),
    redirectCalled: (trunk, number) => translate(trunk, 'redirect-called', number),
  };
}

function redirectProfileOf(config: ConfigSnapshot, trunk: string): string | null {
  let byTrunk = profiles.get(config);
  if (byTrunk === undefined) {
    byTrunk = new Map();
    profiles.set(config, byTrunk);
  }
  const known = byTrunk.get(trunk);
  if (known !== undefined) return known;
  const compiled = compiledPlanOf(config);
  let found: string | null = null;
  if (compiled.ok) {
    for (const peer of config.dialPeers.values()) {
      const profile = peer.translationProfileOutgoing;
      if (profile === null || compiled.value.peerTrunks.get(peer.tag) !== trunk) continue;
      const rules = config.translationProfiles.get(profile);
      if (rules?.redirectTarget != null || rules?.redirectCalled != null) {
        found = profile;
        break;
      }
    }
  }
  byTrunk.set(trunk, found);
  return found;
}
