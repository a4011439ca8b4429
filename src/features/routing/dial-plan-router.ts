/**
 * Routing by the dial plan: from the calling device and the digits dialled to the devices the
 * core alerts. Digit analysis is the dial plan's (`analyseCall` over the snapshot's compiled
 * plan); this module only picks the calling search space and turns the analysis into devices:
 * every registered contact of a line, a trunk carrying the translated numbers, or a SIP address
 * (a pilot such as voicemail).
 */

import { CONFERENCE_BRIDGE, type ConferenceReach } from '../../adapters/media/index.js';
import { maxForwardsOf } from '../../adapters/sip-common/index.js';
import { type LineLocations, SIP_LINE, type SipReach } from '../../adapters/sip-line/calls/index.js';
import { SIP_TRUNK, type TrunkReach } from '../../adapters/sip-trunk/calls/index.js';
import { analyseCall, type CallAnalysis, type CallInput } from '../../admin/dialplan/index.js';
import type { ConfigSnapshot } from '../../admin/index.js';
import {
  type CoreLogger,
  type DeviceRef,
  type RouteRequest,
  type RouteResult,
  type Router,
  silentCoreLogger,
} from '../../core/index.js';
import { sipAddressOf } from './sip-address.js';

export interface DialPlanRouterOptions {
  readonly snapshot: () => ConfigSnapshot;
  /** Where lines are registered (the registrar's location service). */
  readonly locations: LineLocations;
  readonly logger?: CoreLogger;
}

const UNKNOWN: RouteResult = { ok: false, failure: 'unknown' };
const BLOCKED: RouteResult = { ok: false, failure: 'blocked' };
const NOT_REGISTERED: RouteResult = { ok: false, failure: 'notRegistered' };
const TOO_MANY_HOPS: RouteResult = { ok: false, failure: 'tooManyForwards' };

export function createDialPlanRouter(options: DialPlanRouterOptions): Router {
  const logger = options.logger ?? silentCoreLogger;
  return {
    route(request) {
      const snapshot = options.snapshot();
      const analysed = analyseCall(snapshot, callInput(snapshot, request));
      if (!analysed.ok) {
        logger.warn({ calling: request.calling.id, errors: analysed.errors }, 'call not analysed');
        return UNKNOWN;
      }
      return routeOf(snapshot, options.locations, request.calling, analysed.analysis, logger);
    },
  };
}

/**
 * A phone calls with its own calling search space; a call arriving on a trunk with the trunk's,
 * after the trunk's inbound dial-peer (its translation turns a DID into a DN); the conference
 * bridge with its configured one; any other device with its line's.
 */
function callInput(snapshot: ConfigSnapshot, { calling, dialed }: RouteRequest): CallInput {
  if (calling.kind === SIP_TRUNK) return { calling: calling.number, dialed, fromTrunk: calling.id };
  const css =
    calling.kind === SIP_LINE
      ? snapshot.phones.get(calling.id)?.callingSearchSpace
      : calling.kind === CONFERENCE_BRIDGE
        ? (calling.reach as ConferenceReach | undefined)?.callingSearchSpace
        : undefined;
  return css ? { calling: calling.number, dialed, css } : { calling: calling.number, dialed };
}

function routeOf(
  snapshot: ConfigSnapshot,
  locations: LineLocations,
  calling: DeviceRef,
  analysis: CallAnalysis,
  logger: CoreLogger,
): RouteResult {
  switch (analysis.outcome) {
    // A number outside the caller's calling search space is as unknown as one that exists
    // nowhere: the caller (a carrier above all) learns nothing of what lies beyond it.
    case 'unreachable':
      return UNKNOWN;
    case 'blocked':
      return BLOCKED;
    // A translation or forward loop ran into the analysis' hop limit: SIP 483 Too Many Hops.
    case 'loop':
      logger.warn({ calling: calling.id, reason: analysis.reason }, 'dial plan loop');
      return TOO_MANY_HOPS;
    case 'routed':
      break;
  }
  const destination = analysis.destination;
  if (destination === null) return UNKNOWN;
  const numbers = {
    called: analysis.called,
    calling: analysis.calling,
    maxForwards: maxForwardsOf(calling),
  };
  switch (destination.kind) {
    case 'line':
      return lineRoute(snapshot, locations, destination.dn, destination.partition);
    case 'trunk': {
      // A call from a carrier may leave by a trunk only when a line forwarded it: straight
      // through it would turn the system into an open relay for toll fraud.
      if (calling.kind === SIP_TRUNK && analysis.forwards.length === 0) {
        logger.warn(
          { from: calling.id, to: destination.name, called: analysis.called },
          'trunk to trunk call refused',
        );
        return BLOCKED;
      }
      const reach: TrunkReach = { kind: 'trunk', trunk: destination.name, ...numbers };
      return {
        ok: true,
        called: analysis.called,
        devices: [{ kind: SIP_TRUNK, id: destination.name, number: analysis.called, reach }],
      };
    }
    case 'pilot': {
      const pilot = snapshot.pilots.get(destination.name);
      return pilot ? addressRoute(pilot.destination, pilot.name, numbers) : UNKNOWN;
    }
    case 'address': {
      const pilot = destination.pilot === undefined ? undefined : snapshot.pilots.get(destination.pilot);
      if (pilot) return addressRoute(pilot.destination, pilot.name, numbers);
      const uri = sipAddressOf(destination.target, analysis.called);
      return uri === undefined ? UNKNOWN : addressRoute(uri, destination.target, numbers);
    }
  }
}

/** Every registered contact of the line, alerted in parallel. */
function lineRoute(
  snapshot: ConfigSnapshot,
  locations: LineLocations,
  dn: string,
  partition: string,
): RouteResult {
  const line = snapshot.lines.get(partition)?.get(dn);
  const found = locations.lookup(dn, partition);
  if (found.length === 0) return NOT_REGISTERED;
  const displayName = line?.displayName ? { displayName: line.displayName } : {};
  const devices = found.map(
    (location): DeviceRef => ({
      kind: SIP_LINE,
      id: location.phone,
      number: dn,
      ...displayName,
      reach: { contact: location.contact, path: location.path, source: location.source } satisfies SipReach,
    }),
  );
  return { ok: true, called: dn, devices };
}

function addressRoute(
  uri: string,
  id: string,
  numbers: { called: string; calling: string; maxForwards: number },
): RouteResult {
  const reach: TrunkReach = { kind: 'address', uri, ...numbers };
  return {
    ok: true,
    called: numbers.called,
    devices: [{ kind: SIP_TRUNK, id, number: numbers.called, reach }],
  };
}
