/**
 * The back-to-back user agent for SIP phones: an INVITE from a phone becomes a core call, the
 * core's offers become INVITEs to the called line's contacts (one leg each), and everything in
 * a dialog is relayed between the legs through the core. Each leg is its own dialog with its
 * own Call-ID; nothing of one leg's signalling leaks into the other but the session descriptions.
 */
import type { ConfigSnapshot } from '../../../admin/index.js';
import type { CallCore, Connection, DeviceDriver, SessionUpdateFailure } from '../../../core/index.js';
import {
  type Clock,
  checkRequestSemantics,
  type DigestServer,
  dialogKey,
  type IncomingRequest,
  type SipLogger,
  type SipRequest,
  type SipStack,
  silentLogger,
  systemClock,
} from '../../../sip/index.js';
import { CalleeLeg } from './callee-leg.js';
import { CallerLeg } from './caller-leg.js';
import { CallerAuthenticator } from './calling-phone.js';
import type { Leg, LegContext } from './leg.js';
import { SIP_LINE, type SipReach } from './line-router.js';
import { isHoldOffer, mediaOf } from './media.js';
import { MIN_SESSION_EXPIRES, readSessionTimer } from './session-timer.js';

export interface SipCallHandlerOptions {
  /** The handler answers INVITE, BYE, UPDATE and INFO on it; REGISTER stays the registrar's. */
  readonly stack: SipStack;
  /** Built with a router that reaches SIP lines (`createLineRouter`). */
  readonly core: CallCore;
  readonly snapshot: () => ConfigSnapshot;
  /** Authenticates INVITEs as a proxy (407); shares the registrar's realm. */
  readonly digest: DigestServer;
  /** Session timer and refresh timers. Default the system clock. */
  readonly clock?: Clock;
  readonly logger?: SipLogger;
}

/** Option tags we implement (RFC 3261 §8.2.2.3): an INVITE requiring others gets 420. */
const SUPPORTED = ['timer'];

/** Registers the SIP line driver with the core and the call methods with the stack. */
export function createSipCallHandler(options: SipCallHandlerOptions): void {
  const { stack, core, snapshot } = options;
  const context: LegContext = {
    stack,
    core,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    legs: new Map(),
  };
  const authenticator = new CallerAuthenticator(options.digest);

  core.registerDriver(SIP_LINE, createSipLineDriver(context));

  stack.onRequest('INVITE', (incoming) => {
    if (incoming.dialog) return relayOffer(context, incoming);
    newCall(context, authenticator, snapshot(), incoming);
  });
  stack.onRequest('UPDATE', (incoming) => relayOffer(context, incoming));
  stack.onRequest('INFO', (incoming) => relayInfo(context, incoming));
  stack.onRequest('BYE', (incoming) => {
    incoming.reply(200);
    const leg = legOf(context, incoming);
    if (!leg) return;
    leg.hungUp();
    core.reportCleared(leg.connectionId, 'normalClearing');
  });
}

function newCall(
  context: LegContext,
  authenticator: CallerAuthenticator,
  config: ConfigSnapshot,
  incoming: IncomingRequest,
): void {
  const { request } = incoming;
  const rejection = checkRequestSemantics(request, { supported: SUPPORTED });
  if (rejection !== undefined) {
    incoming.reply(rejection.status, rejection.reason, { headers: rejection.headers });
    return;
  }
  const caller = authenticator.identify(incoming, config);
  if (!caller.ok) return;
  const sessionTimer = readSessionTimer(request);
  if (sessionTimer.kind === 'tooSmall') {
    incoming.reply(422, undefined, { headers: [['Min-SE', String(MIN_SESSION_EXPIRES)]] });
    return;
  }
  const leg = new CallerLeg(
    context,
    incoming,
    sessionTimer.kind === 'accept' ? sessionTimer.terms : undefined,
  );
  incoming.onCancel(() => {
    if (leg.ended) return;
    leg.cancelled();
    context.core.reportCleared(leg.connectionId, 'callCancelled');
  });
  const { phone, line } = caller;
  const result = context.core.makeCall({
    device: {
      kind: SIP_LINE,
      id: phone.name,
      number: line.dn,
      ...(line.displayName === '' ? {} : { displayName: line.displayName }),
    },
    dialed: dialedNumber(request),
    media: mediaOf(request),
    context: leg,
  });
  if (!result.ok) {
    // RFC 3261 §21.5.4: at the call limit, ask the phone to come back shortly.
    incoming.reply(503, undefined, { headers: [['Retry-After', '5']] });
    return;
  }
  leg.connectionId = result.connection.id;
}

/**
 * The number dialled is the Request-URI's user. A request addressed to the server itself
 * (no user part) names the party in To, as test tools and some gateways send it.
 */
function dialedNumber(request: SipRequest): string {
  return request.uri.user ?? request.to.uri.user ?? '';
}

function createSipLineDriver(context: LegContext): DeviceDriver {
  const callerLeg = (connection: Connection) =>
    connection.context instanceof CallerLeg ? connection.context : undefined;
  return {
    offer(connection, call, media) {
      const reach = connection.device.reach as SipReach | undefined;
      if (reach?.source === undefined) {
        queueMicrotask(() => context.core.reportFailed(connection.id, 'destOutOfOrder'));
        return;
      }
      const leg = new CalleeLeg(context, reach);
      leg.connectionId = connection.id;
      connection.context = leg;
      leg.start(call, connection.device.number, media);
    },
    progress: (connection, media) => callerLeg(connection)?.progress(media),
    accept: (connection, media) => callerLeg(connection)?.accept(media),
    release(connection, cause) {
      const leg = connection.context;
      if (leg instanceof CallerLeg || leg instanceof CalleeLeg) leg.release(cause);
    },
    async update(connection, update) {
      const leg = connection.context;
      if (leg instanceof CallerLeg || leg instanceof CalleeLeg) return leg.update(update);
      return { ok: false, failure: 'noPeer' };
    },
  };
}

function legOf(context: LegContext, incoming: IncomingRequest): Leg | undefined {
  return incoming.dialog ? context.legs.get(dialogKey(incoming.dialog.id)) : undefined;
}

/** The response to a relayed update the other party did not take. */
function failureStatus(failure: SessionUpdateFailure): [number, [string, string][]] {
  switch (failure) {
    case 'rejected':
      return [488, []];
    case 'pending':
      return [491, []];
    // RFC 3261 §14.2: an update that cannot be handled now gets 500 with Retry-After.
    case 'timeout':
    case 'noPeer':
      return [500, [['Retry-After', '1']]];
  }
}

/**
 * A re-INVITE or UPDATE (RFC 3261 §14, RFC 3311): with an offer it goes to the other party and
 * its answer comes back; without one it is a session refresh (RFC 4028 §7.4) answered here.
 */
async function relayOffer(context: LegContext, incoming: IncomingRequest): Promise<void> {
  const leg = legOf(context, incoming);
  if (!leg) {
    incoming.reply(481);
    return;
  }
  const { request } = incoming;
  const sessionTimer = readSessionTimer(request);
  if (sessionTimer.kind === 'tooSmall') {
    incoming.reply(422, undefined, { headers: [['Min-SE', String(MIN_SESSION_EXPIRES)]] });
    return;
  }
  const refresh = () =>
    leg instanceof CallerLeg
      ? leg.refreshed(sessionTimer.kind === 'accept' ? sessionTimer.terms : undefined)
      : [];
  const media = mediaOf(request);
  if (!media) {
    // A refresh re-INVITE without an offer gets ours again (RFC 3261 §14.2); an UPDATE needs none.
    const answer = request.method === 'INVITE' ? leg.sentMedia : undefined;
    incoming.reply(200, undefined, leg.replyOptions(answer, refresh()));
    return;
  }
  const result = await context.core.updateSession(leg.connectionId, { kind: 'offer', media });
  if (incoming.answered) return;
  if (!result.ok) {
    const [status, headers] = failureStatus(result.failure);
    incoming.reply(status, undefined, { headers });
    return;
  }
  if (isHoldOffer(media)) context.core.hold(leg.connectionId);
  else context.core.retrieve(leg.connectionId);
  leg.sentMedia = result.media;
  incoming.reply(200, undefined, leg.replyOptions(result.media, refresh()));
}

/** INFO (RFC 6086) goes to the other party as it is; its verdict comes back. */
async function relayInfo(context: LegContext, incoming: IncomingRequest): Promise<void> {
  const leg = legOf(context, incoming);
  if (!leg) {
    incoming.reply(481);
    return;
  }
  const result = await context.core.updateSession(leg.connectionId, {
    kind: 'info',
    content: mediaOf(incoming.request),
  });
  if (incoming.answered) return;
  if (result.ok) {
    incoming.reply(200);
    return;
  }
  const [status, headers] = failureStatus(result.failure);
  incoming.reply(status, undefined, { headers });
}
