/**
 * Every call's media anchored in Strowger (docs/media.md): each session description is
 * rewritten by the media anchor as it leaves the B2BUA toward a leg, so the core carries the
 * parties' own descriptions and every leg is sent ours. An offer goes out through `offer` (a new
 * call) or `update` (re-INVITE, UPDATE, a transfer's new offer), an answer through `answer`.
 * A hold offer is answered here and the held party hears music on hold; DTMF is interworked
 * between the legs' relay methods. A transfer moves a party's endpoint, port and stream
 * unchanged, into its new call, so that a party is sent a new description only when its own
 * changes. Calls whose first INVITE had no offer are passed through.
 */
import type {
  CallCore,
  CallEvent,
  Cause,
  ConnectionView,
  MediaDescription,
  SessionUpdate,
  SessionUpdateResult,
  TransferredConnection,
} from '../../core/index.js';
import type { SipLogger } from '../../sip/index.js';
import {
  type AnchorResult,
  type Announcement,
  type AnnounceOutcome,
  type DtmfMessage,
  type LegPolicy,
  type MediaAnchor,
  type MediaTimeout,
  readInfo,
  readNotify,
} from '../media/index.js';
import type { Leg } from './leg.js';
import { isHoldOffer, localAnswer } from './media.js';

/** A core device, as the policies know it. */
export interface CallDevice {
  readonly kind: string;
  readonly id: string;
}

export interface CallMediaOptions {
  readonly anchor: MediaAnchor;
  /** A device's leg policy: its codec preference list and how it relays DTMF. */
  readonly policyOf: (device: CallDevice) => LegPolicy;
  /** The MOH class a held device hears (its device pool's); the anchor's default when undefined. */
  readonly mohClassOf?: (device: CallDevice) => string | undefined;
  /** In-band failure treatment (docs/media.md, "Call failure tones"); none when undefined. */
  readonly failureTones?: FailureTones;
}

/**
 * What a caller whose call fails before any answer hears before its final response: a busy or
 * reorder tone, or the "number not in service" intercept, as early media (RFC 3960 §3). Phones
 * play their own tones from the response code; a carrier bridging to the PSTN often plays none.
 */
export interface FailureTones {
  /** Whose calls get it (the node's `callFailure.inband`: every caller, or only carriers). */
  readonly appliesTo: (caller: CallDevice) => boolean;
  /** The longest a caller hears it before the final response, in ms. */
  readonly maxMs: number;
  /** Announcement file (WAV or AU) for a number not in service; the generated SIT when undefined. */
  readonly notInService?: string;
}

/** What goes to a leg: the anchored description, or why the call cannot take it. */
export type LegMedia =
  | { readonly ok: true; readonly media: MediaDescription | undefined }
  | { readonly ok: false; readonly cause: Cause; readonly warning?: string };

/** What the anchor needs of the legs: set by the call signalling that uses it. */
export interface CallMediaLegs {
  readonly core: CallCore;
  readonly logger: SipLogger;
  readonly legsByConnection: ReadonlyMap<string, Leg>;
}

/** The cause a call cleared by a media timeout ends with (its BYEs carry it as a Q.850 Reason). */
export const MEDIA_TIMEOUT_CAUSE: Cause = 'mediaTimeout';

/** NOTIFY durations kept for live connections; past this many the oldest is forgotten (2000 ms again). */
const MAX_NOTIFY_DURATIONS = 65_536;

export class CallMedia {
  private legs: CallMediaLegs | undefined;
  /** Legs whose party is on hold here (the holder's offer was answered locally). */
  private readonly heldHere = new WeakSet<Leg>();
  /** NOTIFY max-durations agreed with `sip-notify` legs' far ends, by connection, until it clears. */
  private readonly notifyDurations = new Map<string, number>();

  constructor(private readonly options: CallMediaOptions) {}

  /** The anchor the calls' media go through (the conference bridge takes moved parties from it). */
  get anchor(): MediaAnchor {
    return this.options.anchor;
  }

  /** Binds the anchor's callbacks to the legs of one call signalling. */
  attach(legs: CallMediaLegs): void {
    if (this.legs !== undefined && this.legs !== legs)
      throw new Error('call media serves one call signalling');
    if (this.legs !== undefined) return;
    this.legs = legs;
    legs.core.events.on((event) => this.onCallEvent(event));
  }

  /** A new call's offer from `calling` to the device `called` is about to go out. */
  async offer(
    callId: string,
    calling: ConnectionView | undefined,
    called: CallDevice,
    media: MediaDescription | undefined,
  ): Promise<LegMedia> {
    // RFC 3261 §13.2.1: an INVITE without an offer gets it in the 2xx; such calls pass through.
    if (media === undefined || calling === undefined) return { ok: true, media };
    // A party a blind transfer moved here offers its own latest description, which the core's
    // copy (rewritten by the anchor on its way) may not be.
    const own = this.transferredParty(calling.id)?.receivedMedia ?? media;
    const result = await this.options.anchor.anchorOffer(callId, calling.id, own, {
      offerer: this.policyOfView(calling),
      answerer: this.options.policyOf(called),
    });
    if (!result.ok && result.warning !== undefined) this.options.anchor.leaveWarning(callId, result.warning);
    return this.legMedia(result);
  }

  /**
   * The called party's answer (18x or 2xx) to the calling one's offer, about to go to the caller.
   * Undefined media and calls not anchored pass as they are.
   */
  async answer(
    callId: string,
    calling: ConnectionView,
    answering: ConnectionView | undefined,
    media: MediaDescription | undefined,
  ): Promise<LegMedia> {
    const { anchor } = this.options;
    if (media === undefined || answering === undefined || anchor.endpointOf(callId, calling.id) === null)
      return { ok: true, media };
    const result = await anchor.anchorAnswer(callId, answering.id, media, this.policyOfView(answering));
    if (!result.ok && result.warning !== undefined) anchor.leaveWarning(callId, result.warning);
    // A transferred party already in its dialog keeps its endpoint: no new offer unless it changed.
    const moved = this.transferredParty(calling.id);
    if (result.ok && moved !== undefined && sameSession(result.media, moved.sentMedia))
      return { ok: true, media: undefined };
    return this.legMedia(result);
  }

  /**
   * The far end of a `sip-notify` leg agreed to `maxDurationMs` in Call-Info (Cisco `notify
   * telephone-event`): the key-down NOTIFYs the anchor sends it carry that duration.
   */
  notifyMaxDuration(connectionId: string, maxDurationMs: number): void {
    if (this.notifyDurations.size >= MAX_NOTIFY_DURATIONS && !this.notifyDurations.has(connectionId)) {
      const oldest = this.notifyDurations.keys().next();
      if (!oldest.done) this.notifyDurations.delete(oldest.value);
    }
    this.notifyDurations.set(connectionId, maxDurationMs);
    const callId = this.legs?.core.callOf(connectionId)?.id;
    // The leg's policy reached the anchor with its call's offer, which may have been before now.
    if (callId !== undefined)
      void this.options.anchor.setNotifyMaxDuration(callId, connectionId, maxDurationMs);
  }

  /**
   * The Warning (RFC 3261 §20.43) for the refused caller of a call: a 488's when the anchor
   * refused its media, or the reason a media service (the conference bridge) left.
   */
  takeWarning(callId: string): string | undefined {
    return this.options.anchor.takeWarning(callId);
  }

  /**
   * The failure tone or announcement for a caller on `device` whose call failed with `cause`
   * (undefined: none). An unallocated number gets the intercept, a busy party the busy tone,
   * congestion, exhausted resources and a call the dial plan refuses reorder; a call that was
   * not answered, was cancelled or could not agree on media gets nothing in-band.
   */
  failureAnnouncement(device: CallDevice, cause: Cause): Announcement | undefined {
    const tones = this.options.failureTones;
    if (tones === undefined || !tones.appliesTo(device)) return undefined;
    switch (cause) {
      case 'destNotObtainable':
        return tones.notInService === undefined
          ? { kind: 'tone', tone: 'notInService' }
          : { kind: 'file', path: tones.notInService };
      case 'busy':
        return { kind: 'tone', tone: 'busy' };
      case 'reorderTone':
      case 'networkCongestion':
      case 'resourcesNotAvailable':
        return { kind: 'tone', tone: 'reorder' };
      default:
        return undefined;
    }
  }

  /** The longest a failure tone or announcement plays, in ms. */
  get failureAnnouncementMaxMs(): number {
    return this.options.failureTones?.maxMs ?? 0;
  }

  /** Answers a failed caller's offer with `announcement` under `key` (see `MediaAnchor.announce`). */
  announce(
    key: string,
    device: CallDevice,
    offer: MediaDescription,
    announcement: Announcement,
  ): Promise<AnnounceOutcome> {
    return this.options.anchor.announce(key, offer, this.options.policyOf(device), announcement);
  }

  /** Stops an announcement and returns its ports. */
  endAnnouncement(key: string): Promise<void> {
    return this.options.anchor.release(key);
  }

  /**
   * A session update from the other party toward `leg` (connection `connectionId`): a hold or
   * the retrieve after it is answered here (RFC 3264 §8.4) with music on hold for the held
   * party; any other offer is anchored, sent by `relay`, and its answer anchored on the way back.
   */
  async update(
    leg: Leg,
    update: SessionUpdate,
    relay: (update: SessionUpdate) => Promise<SessionUpdateResult>,
  ): Promise<SessionUpdateResult> {
    const parties = update.kind === 'offer' ? this.partiesOf(leg.connectionId) : undefined;
    if (update.kind !== 'offer' || parties === undefined) return relay(update);
    const { anchor } = this.options;
    const { callId, self, other } = parties;
    if (anchor.endpointOf(callId, other.id) === null)
      return relay(update.transfer === true ? this.ownDescription(other, update) : update);
    if (update.transfer === true) return this.rejoin(parties, update, relay);
    const policies = { offerer: this.policyOfView(other), answerer: this.policyOfView(self) };
    const offered = await anchor.anchorOffer(callId, other.id, update.media, policies);
    if (!offered.ok) return { ok: false, failure: 'rejected' };
    const hold = isHoldOffer(update.media);
    if (hold || this.heldHere.has(leg)) return this.answerHere(leg, parties, offered.media, hold);
    const result = await relay({ kind: 'offer', media: offered.media });
    if (!result.ok || result.media === undefined) return result;
    const answered = await anchor.anchorAnswer(callId, self.id, result.media, policies.answerer);
    return answered.ok ? { ok: true, media: answered.media } : { ok: false, failure: 'rejected' };
  }

  /**
   * A transfer's offer toward a party whose new call is not anchored (the conference bridge's
   * fall back) carries the core's copy of the other party's description, which is the anchor's
   * rewrite when that party's last exchange was answered here (a hold): the party is offered the
   * other's own latest description instead, so that the two send to each other (RFC 3725 §4.2,
   * descriptions passed end to end).
   */
  private ownDescription(
    other: ConnectionView,
    update: Extract<SessionUpdate, { kind: 'offer' }>,
  ): SessionUpdate {
    const own = this.legs?.legsByConnection.get(other.id)?.receivedMedia;
    return own === undefined ? update : { ...update, media: own };
  }

  /**
   * A transfer brought two anchored parties together, each still sending to its own endpoint:
   * they are joined there and nothing is sent to either. When they cannot take each other's
   * media as negotiated, the party the update goes to (`self`) is offered the other's session
   * at its same endpoint, and the other gets a new offer only if its description changed.
   */
  private async rejoin(
    { callId, self, other }: Parties,
    update: SessionUpdate,
    relay: (update: SessionUpdate) => Promise<SessionUpdateResult>,
  ): Promise<SessionUpdateResult> {
    const { anchor } = this.options;
    // Queued after the move of the transferred connection, whose endpoint it needs.
    const joined = await anchor.join(callId);
    if (!joined.ok) {
      // The consulted party's media was not anchored (its call passed descriptions through).
      this.legs?.logger.info({ callId, reason: joined.reason }, 'transferred parties not joined here');
      return relay(update);
    }
    if (joined.joined) return { ok: true };
    const otherLeg = this.legs?.legsByConnection.get(other.id);
    const own = otherLeg?.receivedMedia;
    if (otherLeg === undefined || own === undefined) return { ok: false, failure: 'noPeer' };
    const policies = { offerer: this.policyOfView(other), answerer: this.policyOfView(self) };
    const offered = await anchor.anchorOffer(callId, other.id, own, policies);
    if (!offered.ok) return { ok: false, failure: 'rejected' };
    const result = await relay({ kind: 'offer', media: offered.media });
    if (!result.ok || result.media === undefined)
      return result.ok ? { ok: false, failure: 'rejected' } : result;
    const answered = await anchor.anchorAnswer(callId, self.id, result.media, policies.answerer);
    if (!answered.ok) return { ok: false, failure: 'rejected' };
    if (!sameSession(answered.media, otherLeg.sentMedia)) {
      const reoffered = await otherLeg.update({ kind: 'offer', media: answered.media });
      if (!reoffered.ok) return reoffered;
    }
    return { ok: true };
  }

  /**
   * Answers a hold (or retrieve) for the held leg with its own latest description, so that no
   * message reaches it (CME: nothing is sent to the trunk), and starts (or stops) music on hold.
   */
  private async answerHere(
    leg: Leg,
    { callId, self, other }: Parties,
    offer: MediaDescription,
    hold: boolean,
  ): Promise<SessionUpdateResult> {
    const { anchor } = this.options;
    const own = localAnswer(offer, leg.receivedMedia);
    if (own === undefined) return { ok: false, failure: 'rejected' };
    const answered = await anchor.anchorAnswer(callId, self.id, own, this.policyOfView(self));
    if (!answered.ok) return { ok: false, failure: 'rejected' };
    const logger = this.legs?.logger;
    if (hold) {
      this.heldHere.add(leg);
      const mohClass = this.options.mohClassOf?.({ kind: self.deviceKind, id: self.deviceId });
      const held = await anchor.hold(callId, other.id, mohClass);
      if (!held.ok || !held.moh)
        logger?.info({ callId, reason: held.ok ? held.reason : held.reason }, 'no music on hold');
    } else {
      this.heldHere.delete(leg);
      const retrieved = await anchor.retrieve(callId, other.id);
      if (!retrieved.ok) logger?.warn({ callId, reason: retrieved.reason }, 'call not retrieved');
    }
    return { ok: true, media: answered.media };
  }

  /**
   * An INFO or NOTIFY received on `leg`: a DTMF digit goes to the anchor, which produces it on
   * the other leg its own way. Undefined when it is no digit or the call is not anchored (then
   * it is relayed as it is); otherwise whether the anchor took it.
   */
  async receiveDtmf(
    leg: Leg,
    request: { method: string; contentType: string; body: Buffer; event?: string | undefined },
  ): Promise<boolean | undefined> {
    const digit =
      request.method === 'INFO'
        ? readInfo(request.contentType, request.body)
        : readNotify(request.event, request.contentType, request.body);
    const parties = digit === null ? undefined : this.partiesOf(leg.connectionId);
    if (parties === undefined || this.options.anchor.endpointOf(parties.callId, leg.connectionId) === null)
      return undefined;
    const outcome = await this.options.anchor.receiveDtmf(parties.callId, leg.connectionId, {
      method: request.method,
      contentType: request.contentType,
      body: request.body,
      ...(request.event === undefined ? {} : { event: request.event }),
    });
    return outcome.ok;
  }

  /** The anchor's `onDtmfSignal`: a digit to send on a leg in signalling (INFO, NOTIFY). */
  readonly dtmfSignal = (_callId: string, legId: string, message: DtmfMessage): void => {
    const leg = this.legs?.legsByConnection.get(legId);
    if (leg === undefined) return;
    leg
      .request(message.method, {
        headers: message.headers.map(([name, value]): [string, string] => [name, value]),
        body: message.body,
        contentType: message.contentType,
      })
      .then((response) => {
        if (response !== undefined && response.status >= 300)
          this.legs?.logger.debug({ status: response.status, method: message.method }, 'DTMF refused');
      })
      .catch((error: unknown) => this.legs?.logger.warn({ err: error }, 'DTMF request not sent'));
  };

  /** The anchor's `onMediaTimeout`: the silent leg's call is cleared. */
  readonly mediaTimeout = (timeout: MediaTimeout): void => {
    const legs = this.legs;
    if (legs === undefined || legs.core.callOf(timeout.legId)?.id !== timeout.callId) return;
    legs.logger.warn(
      {
        callId: timeout.callId,
        connection: timeout.legId,
        cause: timeout.cause,
        silentForMs: timeout.silentForMs,
      },
      'media timeout: call cleared',
    );
    legs.core.clear(timeout.legId, MEDIA_TIMEOUT_CAUSE);
  };

  private onCallEvent(event: CallEvent): void {
    if (event.type === 'transferred')
      this.moved(event.callId, event.transferringDevice, event.transferredConnections);
    // A conference moves each party, the controller's active leg included, into its own call
    // with the bridge, which takes the endpoint over from there (`handOver`).
    if (event.type === 'conferenced')
      this.moved(event.callId, event.conferencingDevice, event.conferenceConnections);
    if (event.type === 'delivered') this.alerting(event.callId);
    if (event.type === 'connectionCleared') this.notifyDurations.delete(event.droppedConnection.connectionId);
    if (event.type !== 'callCleared') return;
    void this.options.anchor.release(event.callId);
  }

  /**
   * A transfer or a conference moved `connections` into `callId`: their endpoints follow them
   * there, in place of the party's of `movingDevice` that stays behind, which it takes away when
   * it leaves. Whoever was on hold here is held no more (the moving device held them).
   */
  private moved(callId: string, movingDevice: string, connections: readonly TransferredConnection[]): void {
    const legs = this.legs;
    const call = legs?.core.call(callId);
    if (legs === undefined || call === undefined) return;
    const { anchor } = this.options;
    const moved = new Set(connections.map(({ connection }) => connection.connectionId));
    for (const connection of call.connections) {
      const leg = legs.legsByConnection.get(connection.id);
      if (leg !== undefined) this.heldHere.delete(leg);
      if (connection.deviceId === movingDevice && !moved.has(connection.id))
        void anchor.releaseLeg(callId, connection.id);
    }
    for (const { connection, oldCallId } of connections) {
      void anchor.moveLeg(connection.connectionId, oldCallId, callId).then((outcome) => {
        if (!outcome.ok)
          legs.logger.debug({ callId, reason: outcome.reason }, 'media not moved with the transfer');
      });
    }
  }

  /**
   * The target of a blind transfer rings: the party moved to it hears ringback, as CUCM and CME
   * play it, since its dialog is long past the 180 that would have its phone ring back. The tone
   * waits until the driver has anchored what the alerting brought: early media wins over it
   * (RFC 3960 §3), and the anchor stops it at the first answer.
   */
  private alerting(callId: string): void {
    const calling = this.legs?.core.call(callId)?.connections.find((c) => c.direction === 'originating');
    if (calling === undefined || this.transferredParty(calling.id) === undefined) return;
    queueMicrotask(() => {
      void this.options.anchor.ringback(callId, calling.id).then((outcome) => {
        if (!outcome.ok || !outcome.tone)
          this.legs?.logger.debug(
            { callId, reason: outcome.reason },
            'no ringback for the transferred party',
          );
      });
    });
  }

  /** The leg of a party already in its dialog when its call starts: a transfer moved it there. */
  private transferredParty(connectionId: string): Leg | undefined {
    const leg = this.legs?.legsByConnection.get(connectionId);
    return leg?.confirmed ? leg : undefined;
  }

  private partiesOf(connectionId: string): Parties | undefined {
    const call = this.legs?.core.callOf(connectionId);
    const self = call?.connections.find((connection) => connection.id === connectionId);
    const other = call?.connections.find(
      (connection) =>
        connection.id !== connectionId && (connection.state === 'connected' || connection.state === 'held'),
    );
    return call && self && other ? { callId: call.id, self, other } : undefined;
  }

  private policyOfView(connection: ConnectionView): LegPolicy {
    const policy = this.options.policyOf({ kind: connection.deviceKind, id: connection.deviceId });
    const notifyMaxDurationMs = this.notifyDurations.get(connection.id);
    return notifyMaxDurationMs === undefined ? policy : { ...policy, notifyMaxDurationMs };
  }

  private legMedia(result: AnchorResult): LegMedia {
    if (result.ok) return { ok: true, media: result.media };
    this.legs?.logger.info({ status: result.status, reason: result.reason }, 'media not anchored');
    return {
      ok: false,
      cause: result.status === 488 ? 'incompatibleDestination' : 'resourcesNotAvailable',
      ...(result.warning === undefined ? {} : { warning: result.warning }),
    };
  }
}

interface Parties {
  readonly callId: string;
  /** The connection of the leg the update goes to. */
  readonly self: ConnectionView;
  /** The party the update comes from. */
  readonly other: ConnectionView;
}

/** RFC 3264 §8: the same session description but for its origin line's version. */
function sameSession(media: MediaDescription, sent: MediaDescription | undefined): boolean {
  if (sent === undefined || media.contentType !== sent.contentType) return false;
  return withoutOrigin(media.body) === withoutOrigin(sent.body);
}

const ORIGIN_LINE = /^o=.*$/m;

function withoutOrigin(body: Buffer): string {
  return body.toString('latin1').replace(ORIGIN_LINE, '');
}

export function createCallMedia(options: CallMediaOptions): CallMedia {
  return new CallMedia(options);
}
