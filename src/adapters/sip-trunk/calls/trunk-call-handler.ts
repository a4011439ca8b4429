/**
 * Calls over SIP trunks, both ways, on the stack's shared call signalling:
 * - inbound, an INVITE from a carrier is admitted by the trunk adapter (its source, or its
 *   credentials; strangers get 403), its offer is held to the trunk's codecs, and it becomes a
 *   core call from the trunk's device, dialling the Request-URI's number (the DID);
 * - outbound, the core's offer to a `sip-trunk` device becomes an INVITE to the trunk's carrier
 *   (its server in service, answering its challenges) or to a SIP address such as a voicemail
 *   pilot.
 * Everything after the INVITE (180/183/200/ACK, BYE, CANCEL, re-INVITE) is the legs' as for phones.
 * On `sip-notify` trunks the INVITE and the 18x/2xx to the carrier announce NOTIFY DTMF relay
 * (Call-Info).
 */
import type { CallCore, CallView, Connection, MediaDescription } from '../../../core/index.js';
import {
  type Clock,
  createRequest,
  createResolver,
  type Endpoint,
  generateCallId,
  generateTag,
  type IncomingRequest,
  parseUri,
  type SipLogger,
  type SipRequest,
  type SipResolver,
  type SipStack,
  silentLogger,
  type Uri,
} from '../../../sip/index.js';
import {
  bodyOf,
  CalleeLeg,
  type CallMedia,
  type CallSignalling,
  callSignalling,
  type Dial,
  diversionHeaders,
  mediaOf,
} from '../../sip-common/index.js';
import type { InboundAuthenticator } from '../inbound-access.js';
import type { TrunkAdapter } from '../trunk-adapter.js';
import { type CarrierDialInput, carrierDial } from './carrier-dial.js';
import { type CarrierNumbering, CarrierServices, UNTRANSLATED } from './carrier-services.js';
import { applyCodecPreference, encodingsOf } from './codec-preference.js';
import { notifyRelayAnswer, relaysByNotify, withNotifyRelayAnswer } from './notify-relay.js';
import { SIP_TRUNK, type TrunkReach } from './trunk-reach.js';

export interface SipTrunkCallHandlerOptions {
  readonly stack: SipStack;
  /** Built with a router that turns trunk destinations into `sip-trunk` devices (`createDialPlanRouter`). */
  readonly core: CallCore;
  readonly trunks: Pick<TrunkAdapter, 'status' | 'trunkConfig' | 'isTrustedSource' | 'admitInbound'>;
  /** Whether calls to a trunk's carrier carry P-Asserted-Identity (RFC 3325, IOS `asserted-id pai`). Default none. */
  readonly assertedIdentity?: (trunk: string) => boolean;
  /**
   * Admits INVITEs from unknown sources by their credentials (a peer PBX). Asked only when no
   * other adapter on the stack takes new calls: with phones, strangers must authenticate as phones.
   */
  readonly authenticate?: InboundAuthenticator;
  /**
   * How the carrier sees numbers in 302s, Diversion and REFER (the dial plan's redirect
   * translations, `createTrunkNumbering`). Default as they are.
   */
  readonly numbering?: CarrierNumbering;
  /** Resolves SIP addresses (pilots) per RFC 3263. Default node:dns. */
  readonly resolver?: SipResolver;
  readonly clock?: Clock;
  readonly logger?: SipLogger;
  /** Anchors the calls' media in Strowger (shared with the phones' calls); without it media pass through. */
  readonly media?: CallMedia;
}

/** Carriers are asked first about a new INVITE: a trusted source is never a phone. */
const TRUNKS_ORDER = 0;

/** RFC 3261 §20.43 warn-code 305: "Incompatible media format". */
const INCOMPATIBLE_MEDIA = '305';

/** Calling numbers longer than any E.164 number with prefixes are not numbers. */
const CALLING_NUMBER = /^\+?[0-9*#]{1,32}$/;
const MAX_DISPLAY_NAME = 64;

/** Registers the `sip-trunk` driver with the core and the carriers' calls with the stack's call signalling. */
export function createSipTrunkCallHandler(options: SipTrunkCallHandlerOptions): void {
  const { stack, trunks } = options;
  const signalling = callSignalling(options);
  const logger = options.logger ?? silentLogger;
  const resolver = options.resolver ?? createResolver(options.clock ? { clock: options.clock } : {});
  const assertedIdentity = options.assertedIdentity ?? (() => false);
  const services = new CarrierServices(stack, trunks, options.numbering ?? UNTRANSLATED);
  signalling.handOffTransfers(SIP_TRUNK, services.referToCarrier);

  const legs = signalling.driver((connection, call, media) => {
    const reach = connection.device.reach as TrunkReach | undefined;
    if (reach?.kind === 'address') {
      callAddress(signalling, resolver, connection, reach, call, media).catch((error: unknown) => {
        logger.error({ err: error, uri: reach.uri }, 'call to a SIP address failed');
        signalling.context.core.reportFailed(connection.id, 'destOutOfOrder');
      });
      return;
    }
    const outcome =
      reach?.kind === 'trunk'
        ? callCarrier(signalling, trunks, connection, call, media, {
            assertedIdentity: assertedIdentity(reach.trunk),
            diversions: services.diversionsFor(reach.trunk, call),
          })
        : 'destOutOfOrder';
    if (outcome === 'started') return;
    logger.warn({ trunk: connection.device.id, outcome }, 'call over the trunk not placed');
    // Drivers answer later than the request (src/core/driver.ts).
    queueMicrotask(() => signalling.context.core.reportFailed(connection.id, outcome));
  });
  options.core.registerDriver(SIP_TRUNK, {
    ...legs,
    update: (connection, update) => {
      // Anchored calls are held here with music on hold by the call media, whoever the held party.
      const here = options.media === undefined ? services.holdHere(connection, update) : undefined;
      return here === undefined ? legs.update(connection, update) : Promise.resolve(here);
    },
    redirect: (connection, call, target) => services.redirect(connection, call, target),
  });

  signalling.answerNewCalls(TRUNKS_ORDER, (incoming, last) => {
    if (trunks.isTrustedSource(incoming.info.source) === undefined && !last) return false;
    const admission = trunks.admitInbound(incoming, options.authenticate);
    if (admission === undefined) return true;
    const preference = encodingsOf(trunks.trunkConfig(admission.trunk)?.config.codecs);
    const offer = applyCodecPreference(mediaOf(incoming.request), preference);
    if (!offer.ok) {
      refuseMedia(stack, incoming);
      return true;
    }
    const { request } = incoming;
    const displayName = request.from.displayName?.slice(0, MAX_DISPLAY_NAME);
    const notifyRelay = notifyRelayAnswer(stack, incoming, trunks.trunkConfig(admission.trunk), logger);
    const start = () =>
      signalling.startCall(incoming, {
        device: {
          kind: SIP_TRUNK,
          id: admission.trunk,
          number: callingNumberOf(request),
          ...(displayName ? { displayName } : {}),
        },
        dialed: dialedNumberOf(request),
        // A carrier's in-dialog requests follow its Record-Route and Contact (RFC 3261 §12.2.1.1).
        followFlow: false,
        media: offer.media,
        ...(notifyRelay === undefined ? {} : { answerHeaders: notifyRelay.headers }),
      });
    const media = signalling.context.media;
    if (notifyRelay === undefined || media === undefined) start();
    else {
      const connectionId = originatedBy(signalling.context.core, start);
      if (connectionId !== undefined) media.notifyMaxDuration(connectionId, notifyRelay.maxDurationMs);
    }
    return true;
  });
}

/**
 * The connection of the call `start` places (the core announces it as it is made, synchronously),
 * or undefined when none was placed (a request refused before the core saw it).
 */
function originatedBy(core: CallCore, start: () => void): string | undefined {
  let connectionId: string | undefined;
  const stop = core.events.on((event) => {
    if (event.type === 'originated') connectionId ??= event.originatingConnection.connectionId;
  });
  try {
    start();
  } finally {
    stop();
  }
  return connectionId;
}

type CarrierOutcome = 'started' | 'resourcesNotAvailable' | 'incompatibleDestination' | 'destOutOfOrder';

/** Places the call with the trunk's carrier, on its server in service; 503 for the caller when there is none. */
function callCarrier(
  signalling: CallSignalling,
  trunks: SipTrunkCallHandlerOptions['trunks'],
  connection: Connection,
  call: CallView,
  media: MediaDescription | undefined,
  extras: { assertedIdentity: boolean; diversions: CarrierDialInput['diversions'] },
): CarrierOutcome {
  const reach = connection.device.reach as Extract<TrunkReach, { kind: 'trunk' }>;
  const trunk = trunks.trunkConfig(reach.trunk);
  if (trunk === undefined) return 'resourcesNotAvailable';
  const target = () => {
    const status = trunks.status().find((view) => view.name === reach.trunk);
    return status?.state === 'in-service' ? status.target : undefined;
  };
  const offer = applyCodecPreference(media, encodingsOf(trunk.config.codecs));
  if (!offer.ok) return 'incompatibleDestination';
  const notifyRelay = relaysByNotify(trunk.config);
  let dial: Dial | undefined;
  try {
    dial = carrierDial({
      stack: signalling.context.stack,
      trunk,
      numbers: reach,
      callingName: call.callingName,
      media: offer.media,
      assertedIdentity: extras.assertedIdentity,
      target,
      ...(extras.diversions === undefined ? {} : { diversions: extras.diversions }),
      notifyRelay,
    });
  } catch {
    // A translated number no URI can carry.
    return 'destOutOfOrder';
  }
  if (dial === undefined) return 'resourcesNotAvailable';
  startLeg(
    signalling,
    connection,
    notifyRelay
      ? withNotifyRelayAnswer(dial, trunk.name, signalling.context.logger, (maxDurationMs) =>
          signalling.context.media?.notifyMaxDuration(connection.id, maxDurationMs),
        )
      : dial,
  );
  return 'started';
}

/** Places the call to a SIP address (a pilot), resolved per RFC 3263; its first server gets the INVITE. */
async function callAddress(
  signalling: CallSignalling,
  resolver: SipResolver,
  connection: Connection,
  reach: Extract<TrunkReach, { kind: 'address' }>,
  call: CallView,
  media: MediaDescription | undefined,
): Promise<void> {
  const { core, stack } = signalling.context;
  const parsed = parseUri(reach.uri);
  const supportedTransports = [...new Set(stack.listening().map((endpoint) => endpoint.protocol))];
  const targets = parsed.ok ? await resolver.resolve(parsed.value, { supportedTransports }) : [];
  const target = targets[0];
  if (!parsed.ok || target === undefined) {
    core.reportFailed(connection.id, 'destOutOfOrder');
    return;
  }
  const invite = addressInvite(stack, parsed.value, target, reach, call, media);
  if (invite === undefined) {
    core.reportFailed(connection.id, 'destOutOfOrder');
    return;
  }
  startLeg(signalling, connection, { first: { invite, target }, followFlow: false });
}

function addressInvite(
  stack: SipStack,
  uri: Uri,
  target: Endpoint,
  reach: Extract<TrunkReach, { kind: 'address' }>,
  call: CallView,
  media: MediaDescription | undefined,
): SipRequest | undefined {
  const contact = stack.contact(target.protocol);
  try {
    return createRequest({
      method: 'INVITE',
      uri,
      from: {
        ...(call.callingName === undefined ? {} : { displayName: call.callingName }),
        uri: { scheme: 'sip', user: reach.calling, host: contact.uri.host, params: {}, headers: {} },
        params: { tag: generateTag() },
      },
      to: { uri: { ...uri, params: {}, headers: {} }, params: {} },
      callId: generateCallId(),
      cseq: 1,
      maxForwards: reach.maxForwards,
      contact,
      // RFC 5806: a voicemail pilot picks the mailbox of the line that forwarded the call.
      headers: diversionHeaders(call.diversions, contact.uri.host),
      ...bodyOf(media),
    });
  } catch {
    return undefined;
  }
}

function startLeg(signalling: CallSignalling, connection: Connection, dial: Dial): void {
  const leg = new CalleeLeg(signalling.context, dial);
  leg.connectionId = connection.id;
  connection.context = leg;
  leg.start();
}

/** RFC 3261 §21.4.26: 488 with the Warning that says why (§20.43). */
function refuseMedia(stack: SipStack, incoming: IncomingRequest): void {
  const host = stack.contact(incoming.info.local.protocol).uri.host;
  incoming.reply(488, undefined, {
    headers: [['Warning', `${INCOMPATIBLE_MEDIA} ${host} "Incompatible media format"`]],
  });
}

/**
 * The number the call is for: the Request-URI's user (RFC 3261 §8.2.2.1 — To may still name the
 * number first dialled), without the RFC 3966 parameters a `user=phone` URI may carry; the
 * To user when the Request-URI names only the host.
 */
function dialedNumberOf(request: SipRequest): string {
  const user = request.uri.user ?? request.to.uri.user ?? '';
  const end = user.indexOf(';');
  return end < 0 ? user : user.slice(0, end);
}

/**
 * The caller's number: P-Asserted-Identity from a carrier we trust (RFC 3325 §9.1), else From.
 * Anything that is not a number (`anonymous`, junk) leaves it empty.
 */
function callingNumberOf(request: SipRequest): string {
  const asserted = /<sips?:([^@;>]+)@/i.exec(request.headers.get('P-Asserted-Identity') ?? '')?.[1];
  for (const candidate of [asserted, request.from.uri.user]) {
    const number = candidate?.split(';')[0];
    if (number !== undefined && CALLING_NUMBER.test(number)) return number;
  }
  return '';
}
