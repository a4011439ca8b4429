/**
 * Supplementary services toward a carrier (CME `supplementary-service sip …`, spec 01 §5–7):
 * - a forwarded call from the carrier is sent back to it with 302 Moved Temporarily (R-TRUNK-09
 *   to 11): Contact user translated by `redirect-target`, host per `host-registrar`, Diversion
 *   with the forwarding line as the carrier knows it; `movedTemporarily: false` keeps it here;
 * - a transfer of a carrier's call, blind or consultative, is handed to the carrier by REFER
 *   (R-TRUNK-17, 18): Refer-To (the target, or the consulted party, without Replaces) and
 *   Referred-By users as DIDs; `refer: false`, or a refused REFER, keeps it here;
 * - a phone's hold of a carrier's call is answered here and not relayed (R-TRUNK-21) when the
 *   node passes media through (`anchor: off`): the carrier keeps sending to the phone, which
 *   ignores it on hold. With anchored media the call media hold every call here, with music on
 *   hold for the carrier's party.
 */
import type {
  CallView,
  Connection,
  ConnectionView,
  SessionUpdate,
  SessionUpdateResult,
} from '../../../core/index.js';
import type { SipStack } from '../../../sip/index.js';
import {
  CallerLeg,
  diversionHeaders,
  isHoldOffer,
  type Leg,
  localAnswer,
  type TransferHandOff,
} from '../../sip-common/index.js';
import type { TrunkAdapter } from '../trunk-adapter.js';
import type { ResolvedTrunkConfig } from '../trunk-config.js';
import { carrierFacingHost } from './carrier-dial.js';

/** How numbers appear to a trunk's carrier in redirections and transfers (the dial plan's translations). */
export interface CarrierNumbering {
  /** The number a call forwarded or transferred to `number` goes to (`translate redirect-target`). */
  redirectTarget(trunk: string, number: string): string;
  /** A forwarding or transferring line's number (`translate redirect-called`). */
  redirectCalled(trunk: string, number: string): string;
  /**
   * Whether a transfer to `target` may be handed to the carrier: a number it can route (an
   * extension without a DID cannot). Default yes.
   */
  carrierRoutes?(trunk: string, target: string): boolean;
}

/** Numbers as they are: for a plan without translations. */
export const UNTRANSLATED: CarrierNumbering = {
  redirectTarget: (_trunk, number) => number,
  redirectCalled: (_trunk, number) => number,
};

/** A URI user the carrier gets from us: digits, `+`, `*`, `#` (RFC 3261 §25.1 after escaping `#`). */
const NUMBER = /^\+?[0-9*#]{1,32}$/;

type Trunks = Pick<TrunkAdapter, 'trunkConfig'>;

export class CarrierServices {
  /** Carrier legs a phone holds, answered here; their retrieve is answered here too. */
  private readonly heldHere = new WeakSet<Leg>();

  constructor(
    private readonly stack: SipStack,
    private readonly trunks: Trunks,
    private readonly numbering: CarrierNumbering,
  ) {}

  /** The trunk a carrier's connection is on; undefined for other `sip-trunk` devices (pilots). */
  private trunkOf(deviceId: string): ResolvedTrunkConfig | undefined {
    return this.trunks.trunkConfig(deviceId);
  }

  /** 302 to the carrier for a forwarded call from it (`DeviceDriver.redirect`). */
  redirect(connection: Connection, call: CallView, target: string): boolean {
    const leg = connection.context;
    if (connection.direction !== 'originating' || !(leg instanceof CallerLeg)) return false;
    const trunk = this.trunkOf(connection.device.id);
    if (trunk === undefined || trunk.config.supplementary?.movedTemporarily === false) return false;
    const number = this.numbering.redirectTarget(trunk.name, target);
    if (!NUMBER.test(number)) return false;
    const host = carrierFacingHost(trunk, this.stack.contact(leg.protocol).uri.host);
    const diversion = diversionHeaders(call.diversions, host, (from) =>
      this.numbering.redirectCalled(trunk.name, from),
    );
    return leg.redirect(`<sip:${number.replaceAll('#', '%23')}@${host}>`, diversion);
  }

  /** Diversion of a call forwarded out over `trunk`, with the forwarding lines as the carrier knows them. */
  diversionsFor(trunk: string, call: CallView) {
    return call.diversions.length === 0
      ? undefined
      : { list: call.diversions, present: (number: string) => this.numbering.redirectCalled(trunk, number) };
  }

  /** A hold (or the retrieve after it) toward a carrier's leg, answered here; undefined relays it. */
  holdHere(connection: Connection, update: SessionUpdate): SessionUpdateResult | undefined {
    if (update.kind !== 'offer' || this.trunkOf(connection.device.id) === undefined) return undefined;
    const leg = connection.context as Leg | undefined;
    if (leg === undefined || typeof leg !== 'object') return undefined;
    const hold = isHoldOffer(update.media);
    if (!hold && !this.heldHere.has(leg)) return undefined;
    const answer = localAnswer(update.media, leg.receivedMedia);
    if (answer === undefined) return undefined;
    if (hold) this.heldHere.add(leg);
    else this.heldHere.delete(leg);
    return { ok: true, media: answer };
  }

  /** REFER to the carrier for a transfer of its call to `target` (`TransferHandOff`). */
  readonly referToCarrier: TransferHandOff = async (
    partyLeg: Leg,
    party: ConnectionView,
    target: string,
    transferringNumber: string,
  ) => {
    const trunk = this.trunkOf(party.deviceId);
    if (trunk === undefined || trunk.config.supplementary?.refer === false) return false;
    if (this.numbering.carrierRoutes?.(trunk.name, target) === false) return false;
    const referTo = this.numbering.redirectTarget(trunk.name, target);
    const referredBy = this.numbering.redirectCalled(trunk.name, transferringNumber);
    if (!NUMBER.test(referTo)) return false;
    // R-TRUNK-18: Refer-To in the carrier's own domain, which it routes; Referred-By (RFC 3892) as our AOR.
    const carrierDomain = trunk.registrar?.uri.host ?? trunk.proxy.host;
    const ours = carrierFacingHost(trunk, this.stack.contact(partyLeg.protocol).uri.host);
    const headers: [string, string][] = [
      ['Refer-To', `<sip:${referTo.replaceAll('#', '%23')}@${carrierDomain}>`],
    ];
    if (NUMBER.test(referredBy))
      headers.push(['Referred-By', `<sip:${referredBy.replaceAll('#', '%23')}@${ours}>`]);
    const response = await partyLeg.request('REFER', { headers });
    // RFC 3515 §2.4.2: 202 (or any 2xx) accepts; anything else leaves the transfer to us.
    return response !== undefined && response.status >= 200 && response.status < 300;
  };
}
