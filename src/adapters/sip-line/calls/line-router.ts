/**
 * Routing to SIP phones' lines: the dialled number is looked up as a DN in the partitions of
 * the calling phone's calling search space, in order (the first partition holding it wins,
 * as in CUCM), and the call goes to every registered contact of that line.
 */
import type { ConfigSnapshot } from '../../../admin/index.js';
import type { DeviceRef, RouteResult, Router } from '../../../core/index.js';
import type { Endpoint } from '../../../sip/index.js';

/** The device kind of SIP phones' lines in the core. */
export const SIP_LINE = 'sip-line';

/** A registered contact of a line, as the registrar's location service returns it. */
export interface LineLocation {
  readonly phone: string;
  readonly contact: string;
  /** Path (RFC 3327) to route through, in order. */
  readonly path: readonly string[];
  /** Where the phone's REGISTER came from: the flow requests go back over. */
  readonly source: Readonly<Endpoint>;
}

export interface LineLocations {
  lookup(dn: string, partition?: string): readonly LineLocation[];
}

/** How the SIP driver reaches a device: the `reach` of its DeviceRef. */
export interface SipReach {
  readonly contact: string;
  readonly path: readonly string[];
  readonly source: Readonly<Endpoint>;
}

export interface LineRouterOptions {
  readonly snapshot: () => ConfigSnapshot;
  readonly locations: LineLocations;
}

export function createLineRouter({ snapshot, locations }: LineRouterOptions): Router {
  return {
    route({ calling, dialed }): RouteResult {
      const config = snapshot();
      const phone = calling.kind === SIP_LINE ? config.phones.get(calling.id) : undefined;
      const css = phone?.callingSearchSpace
        ? config.callingSearchSpaces.get(phone.callingSearchSpace)
        : undefined;
      for (const partition of css?.partitions ?? []) {
        const line = config.lines.get(partition)?.get(dialed);
        if (line === undefined) continue;
        const found = locations.lookup(line.dn, line.partition);
        if (found.length === 0) return { ok: false, failure: 'notRegistered' };
        const devices = found.map(
          (location): DeviceRef => ({
            kind: SIP_LINE,
            id: location.phone,
            number: line.dn,
            ...(line.displayName === '' ? {} : { displayName: line.displayName }),
            reach: {
              contact: location.contact,
              path: location.path,
              source: location.source,
            } satisfies SipReach,
          }),
        );
        // The line's no-answer timeout belongs to call forward no answer, a later feature.
        return { ok: true, called: line.dn, devices };
      }
      return { ok: false, failure: 'unknown' };
    },
  };
}
