/**
 * The call signalling of one SIP stack, shared by every adapter that places or takes calls on
 * it (phones' lines, trunks): the stack has one handler per method, so INVITE, BYE, UPDATE and
 * INFO are answered here once. A new INVITE is screened, then offered to the adapters in order
 * until one takes it; everything inside a dialog goes to the leg that owns the dialog, whoever
 * created it.
 */
import type {
  CallCore,
  Cause,
  Connection,
  DeviceDriver,
  DeviceRef,
  MediaDescription,
} from '../../core/index.js';
import {
  type Clock,
  checkRequestSemantics,
  type IncomingRequest,
  type SipLogger,
  type SipRequest,
  type SipStack,
  silentLogger,
  systemClock,
} from '../../sip/index.js';
import type { CallMedia, LegMedia } from './call-media.js';
import { CalleeLeg } from './callee-leg.js';
import { CallerLeg } from './caller-leg.js';
import { answerInDialog } from './in-dialog.js';
import type { LegContext } from './leg.js';
import { mediaOf } from './media.js';
import { ReferHandling, type TransferHandOff } from './refer.js';
import { MIN_SESSION_EXPIRES, readSessionTimer } from './session-timer.js';

export interface CallSignallingOptions {
  readonly stack: SipStack;
  readonly core: CallCore;
  /** Session timer and refresh timers. Default the system clock. */
  readonly clock?: Clock;
  readonly logger?: SipLogger;
  /** Anchors every call's media (`createCallMedia`); without it session descriptions pass through. */
  readonly media?: CallMedia;
}

/**
 * Looks at a new INVITE and takes it (answering it, or starting its call) or passes (false).
 * `last` is true for the last adapter asked: nobody else will answer the INVITE.
 */
export type NewCallAnswerer = (incoming: IncomingRequest, last: boolean) => boolean;

export interface IncomingCall {
  /** The calling device, without `reach`: the signalling sets it (the hop budget, `SipCallerReach`). */
  readonly device: Omit<DeviceRef, 'reach'>;
  readonly dialed: string;
  /** In-dialog requests go back over the INVITE's flow (a phone) rather than by the route set (a carrier). */
  readonly followFlow: boolean;
  /** The offer as it goes to the core; default the INVITE's body. */
  readonly media?: MediaDescription | undefined;
  /** Header fields added to the 18x and 2xx the caller is sent. */
  readonly answerHeaders?: readonly [string, string][];
}

export interface CallSignalling {
  readonly context: LegContext;
  /** Offers new INVITEs to `answerer`; adapters with a lower `order` are asked first. */
  answerNewCalls(order: number, answerer: NewCallAnswerer): void;
  /** Starts the core call of an admitted INVITE: its caller leg, CANCEL, and the 503 at the call limit. */
  startCall(incoming: IncomingRequest, call: IncomingCall): void;
  /** A driver for the core whose requests go to the legs; `offer` (placing the call) is the adapter's. */
  driver(offer: DeviceDriver['offer']): DeviceDriver;
  /** Lets the networks of `kind` devices take blind transfers of their calls themselves (REFER). */
  handOffTransfers(kind: string, handOff: TransferHandOff): void;
  /**
   * A stopping node: every failure tone still playing ends now and its caller gets the final
   * response it was owed; callers refused from now on get theirs without a tone.
   */
  finishAnnouncements(): void;
}

/** The hop budget a SIP caller's device carries to the router (RFC 3261 §16.6 step 3 for a B2BUA). */
export interface SipCallerReach {
  readonly maxForwards: number;
}

/** RFC 3261 §8.1.1.6. */
const DEFAULT_MAX_FORWARDS = 70;

/** The Max-Forwards an outgoing leg of a call from `device` carries: the caller's budget, or 70. */
export function maxForwardsOf(device: DeviceRef): number {
  const reach = device.reach as Partial<SipCallerReach> | undefined;
  const value = reach?.maxForwards;
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 255
    ? value
    : DEFAULT_MAX_FORWARDS;
}

/** Option tags we implement (RFC 3261 §8.2.2.3): an INVITE requiring others gets 420. */
const SUPPORTED = ['timer'];

const MAX_FORWARDS_VALUE = /^\s*(\d{1,3})\s*$/;

const signallingByStack = new WeakMap<SipStack, Signalling>();

/** The call signalling of `options.stack`, created on first use; every adapter on the stack shares it. */
export function callSignalling(options: CallSignallingOptions): CallSignalling {
  const existing = signallingByStack.get(options.stack);
  if (existing) {
    if (existing.context.core !== options.core)
      throw new Error('the calls of one SIP stack go to one call core');
    if (options.media !== undefined && existing.context.media !== options.media)
      throw new Error('the calls of one SIP stack anchor their media in one place');
    return existing;
  }
  const signalling = new Signalling({
    stack: options.stack,
    core: options.core,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    legs: new Map(),
    legsByConnection: new Map(),
    outgoingCallIds: new Set(),
    media: options.media,
  });
  options.media?.attach(signalling.context);
  signallingByStack.set(options.stack, signalling);
  return signalling;
}

class Signalling implements CallSignalling {
  private readonly answerers: { order: number; answerer: NewCallAnswerer }[] = [];
  /** Callers hearing a failure tone, each with what ends it (their CANCEL does too). */
  private readonly announcing = new Map<CallerLeg, () => void>();
  private stopping = false;
  private readonly refers: ReferHandling;

  constructor(readonly context: LegContext) {
    const { stack } = context;
    this.refers = new ReferHandling(context);
    stack.onRequest('REFER', (incoming) => this.refers.answer(incoming));
    // NOTIFYs of a REFER we sent (RFC 3515 §2.4.4) or carrying a digit (Cisco `sip-notify`):
    // taken in a call's dialog, 481 elsewhere.
    stack.onRequest('NOTIFY', (incoming) => answerInDialog(context, incoming));
    stack.onRequest('INVITE', (incoming) => {
      if (incoming.dialog) return answerInDialog(context, incoming);
      this.newCall(incoming);
    });
    stack.onRequest('UPDATE', (incoming) => answerInDialog(context, incoming));
    stack.onRequest('INFO', (incoming) => answerInDialog(context, incoming));
    stack.onRequest('BYE', (incoming) => answerInDialog(context, incoming));
  }

  handOffTransfers(kind: string, handOff: TransferHandOff): void {
    this.refers.handOff(kind, handOff);
  }

  finishAnnouncements(): void {
    this.stopping = true;
    for (const finish of [...this.announcing.values()]) finish();
  }

  answerNewCalls(order: number, answerer: NewCallAnswerer): void {
    this.answerers.push({ order, answerer });
    this.answerers.sort((a, b) => a.order - b.order);
  }

  private newCall(incoming: IncomingRequest): void {
    if (!this.screen(incoming)) return;
    const last = this.answerers.length - 1;
    for (const [index, { answerer }] of this.answerers.entries())
      if (answerer(incoming, index === last)) return;
    // RFC 3261 §21.4.4: nobody here serves the request, and asking again will not help.
    if (!incoming.answered) incoming.reply(403);
  }

  /** The checks every new INVITE passes before an adapter sees it; false when it has been answered. */
  private screen(incoming: IncomingRequest): boolean {
    const { request } = incoming;
    const rejection = checkRequestSemantics(request, { supported: SUPPORTED });
    if (rejection !== undefined) {
      incoming.reply(rejection.status, rejection.reason, { headers: rejection.headers });
      return false;
    }
    // RFC 3261 §16.3 step 3, which a B2BUA passing the budget on owes the network as a proxy does.
    if (maxForwardsIn(request) === 0) {
      incoming.reply(483);
      return false;
    }
    // One of our own INVITEs came back (a carrier or a phone sent it to us again): a loop.
    if (this.context.outgoingCallIds.has(request.callId)) {
      incoming.reply(482);
      return false;
    }
    return true;
  }

  startCall(incoming: IncomingRequest, call: IncomingCall): void {
    const { core } = this.context;
    const sessionTimer = readSessionTimer(incoming.request);
    if (sessionTimer.kind === 'tooSmall') {
      incoming.reply(422, undefined, { headers: [['Min-SE', String(MIN_SESSION_EXPIRES)]] });
      return;
    }
    const leg = new CallerLeg(
      this.context,
      incoming,
      sessionTimer.kind === 'accept' ? sessionTimer.terms : undefined,
      call.followFlow,
      call.answerHeaders,
    );
    incoming.onCancel(() => {
      if (leg.ended) return;
      leg.cancelled();
      this.announcing.get(leg)?.();
      core.reportCleared(leg.connectionId, 'callCancelled');
    });
    const reach: SipCallerReach = { maxForwards: maxForwardsIn(incoming.request) - 1 };
    const media = 'media' in call ? call.media : mediaOf(incoming.request);
    const result = core.makeCall({
      device: { ...call.device, reach },
      dialed: call.dialed,
      ...(media === undefined ? {} : { media }),
      context: leg,
    });
    if (!result.ok) {
      // RFC 3261 §21.5.4: at the call limit, ask the caller to come back shortly.
      incoming.reply(503, undefined, { headers: [['Retry-After', '5']] });
      return;
    }
    leg.connectionId = result.connection.id;
  }

  driver(offer: DeviceDriver['offer']): DeviceDriver {
    const { context } = this;
    const anchoring = context.media;
    const callerLeg = (leg: unknown) => (leg instanceof CallerLeg ? leg : undefined);
    const dialogLeg = (leg: unknown) =>
      leg instanceof CallerLeg || leg instanceof CalleeLeg ? leg : undefined;
    const accept = (connection: Connection, media: MediaDescription | undefined) => {
      const leg = dialogLeg(connection.context);
      // A party transferred to a new call is already in a dialog: the answer comes as a new offer.
      if (leg?.confirmed) {
        if (media) void leg.update({ kind: 'offer', media });
        return;
      }
      callerLeg(leg)?.accept(media);
    };
    if (anchoring === undefined) {
      return {
        offer,
        progress: (connection, media) => callerLeg(connection.context)?.progress(media),
        accept,
        release(connection, cause) {
          dialogLeg(connection.context)?.release(cause);
        },
        async update(connection, update) {
          return dialogLeg(connection.context)?.update(update) ?? { ok: false, failure: 'noPeer' };
        },
      };
    }
    const refuse = (connection: Connection, leg: CallerLeg, cause: Cause, warning: string | undefined) =>
      this.refuseCaller(anchoring, connection, leg, cause, warning);
    return {
      offer: (connection, call, media) => {
        const calling = call.connections.find((party) => party.direction === 'originating');
        this.whenAnchored(
          connection,
          anchoring.offer(call.id, calling, connection.device, media),
          (anchored) => offer(connection, call, anchored),
          // Nothing was sent to the called party yet.
          (cause) => context.core.reportFailed(connection.id, cause),
        );
      },
      progress: (connection, media) => {
        const leg = dialogLeg(connection.context);
        // A party a transfer moved is already in its dialog, whichever side of it it was: the
        // early media (RFC 3960 §3) is anchored into its stream as it is for a caller.
        if (leg === undefined || !(leg instanceof CallerLeg || leg.confirmed)) return;
        this.whenAnchored(
          connection,
          this.answerFor(anchoring, connection, leg, media, true),
          (anchored) => callerLeg(leg)?.progress(anchored),
          // The caller still hears it ring, without early media.
          () => callerLeg(leg)?.progress(undefined),
        );
      },
      accept: (connection, media) => {
        const leg = dialogLeg(connection.context);
        if (leg === undefined) return;
        // The core holds the call answered: the caller gets its 2xx even if the call is cleared
        // meanwhile, and the release that follows waits for it (a BYE after the 2xx).
        leg.answering = this.anchored(
          connection,
          this.answerFor(anchoring, connection, leg, media, false),
        ).then((anchored) => {
          if (anchored.ok) accept(connection, anchored.media);
          // The caller is refused (488 with the anchor's Warning) and the called party hung up on.
          else if (context.core.callOf(connection.id) !== undefined)
            context.core.clear(connection.id, anchored.cause);
        });
      },
      release(connection, cause) {
        const leg = dialogLeg(connection.context);
        // Only the calling leg is refused with the anchor's Warning, taken before the call is gone.
        const warning = leg instanceof CallerLeg ? anchoring.takeWarning(connection.callId) : undefined;
        const release = () =>
          leg instanceof CallerLeg ? refuse(connection, leg, cause, warning) : leg?.release(cause);
        if (leg?.answering === undefined) release();
        else void leg.answering.then(release);
      },
      async update(connection, update) {
        const leg = dialogLeg(connection.context);
        if (leg === undefined) return { ok: false, failure: 'noPeer' };
        return anchoring.update(leg, update, (anchored) => leg.update(anchored));
      },
    };
  }

  /**
   * Refuses a caller whose call failed: at once, or after the failure tone or announcement the
   * node plays it as early media (a 183 with our description, RFC 3960 §3) until the
   * announcement ends, the configured time runs out, or the caller cancels.
   */
  private refuseCaller(
    anchoring: CallMedia,
    connection: Connection,
    leg: CallerLeg,
    cause: Cause,
    warning: string | undefined,
  ): void {
    const offer = leg.awaitsAnswer ? leg.receivedMedia : undefined;
    const announcement = offer && !this.stopping && anchoring.failureAnnouncement(connection.device, cause);
    if (offer === undefined || !announcement) {
      leg.release(cause, warning);
      return;
    }
    const { clock, logger } = this.context;
    const key = `announcement:${connection.id}`;
    void anchoring.announce(key, connection.device, offer, announcement).then((outcome) => {
      if (!outcome.ok || leg.ended || this.stopping) {
        if (!outcome.ok)
          logger.info({ callId: connection.callId, reason: outcome.reason }, 'no failure tone');
        void anchoring.endAnnouncement(key);
        leg.release(cause, warning);
        return;
      }
      const finish = () => {
        if (this.announcing.get(leg) !== finish) return;
        this.announcing.delete(leg);
        clock.clearTimeout(timer);
        void anchoring.endAnnouncement(key);
        leg.release(cause, warning);
      };
      this.announcing.set(leg, finish);
      const timer = clock.setTimeout(finish, anchoring.failureAnnouncementMaxMs);
      void outcome.ended.then(finish);
      leg.progress(outcome.media);
    });
  }

  /**
   * The called party's answer as the calling leg is sent it. An early answer (183) is anchored
   * only when one party is alerting (forked early media stays with whoever answers first); a
   * 2xx repeating it (RFC 3261 §13.2.1) is answered with the same description.
   */
  private answerFor(
    anchoring: CallMedia,
    connection: Connection,
    leg: CallerLeg | CalleeLeg,
    media: MediaDescription | undefined,
    early: boolean,
  ): Promise<LegMedia> {
    const call = this.context.core.callOf(connection.id);
    const calling = call?.connections.find((party) => party.id === connection.id);
    const answering = call?.connections.filter(
      (party) => party.id !== connection.id && party.state === (early ? 'alerting' : 'connected'),
    );
    const cached = leg.earlyAnswer;
    if (cached && answering?.length === 1 && answering[0]?.id === cached.from) return cached.anchored;
    if (call === undefined || calling === undefined || answering?.length !== 1)
      return Promise.resolve({ ok: true, media: early ? undefined : media });
    const [party] = answering;
    const anchored = anchoring.answer(call.id, calling, party, media);
    if (early && media !== undefined && party !== undefined) leg.earlyAnswer = { from: party.id, anchored };
    return anchored;
  }

  /**
   * Goes on with `proceed` once the anchor has rewritten a description for the leg of
   * `connection`; a description it refuses clears that connection with the anchor's cause.
   */
  private whenAnchored(
    connection: Connection,
    anchoring: Promise<LegMedia>,
    proceed: (media: MediaDescription | undefined) => void,
    refused: (cause: Cause) => void,
  ): void {
    const { core } = this.context;
    void this.anchored(connection, anchoring).then((anchored) => {
      // The call may have gone on without this connection while its media was anchored.
      if (core.callOf(connection.id) === undefined) return;
      if (anchored.ok) proceed(anchored.media);
      else refused(anchored.cause);
    });
  }

  /** The anchor's verdict, a failure of its own counting as a refusal. */
  private anchored(connection: Connection, anchoring: Promise<LegMedia>): Promise<LegMedia> {
    return anchoring.catch((error: unknown): LegMedia => {
      this.context.logger.error({ err: error, callId: connection.callId }, 'media not anchored');
      return { ok: false, cause: 'resourcesNotAvailable' };
    });
  }
}

/** Max-Forwards of a request (RFC 3261 §20.22); 70 when absent. The parser has checked its range. */
function maxForwardsIn(request: SipRequest): number {
  const value = request.headers.get('Max-Forwards');
  if (value === undefined) return DEFAULT_MAX_FORWARDS;
  const match = MAX_FORWARDS_VALUE.exec(value);
  return match ? Math.min(Number(match[1]), 255) : DEFAULT_MAX_FORWARDS;
}
