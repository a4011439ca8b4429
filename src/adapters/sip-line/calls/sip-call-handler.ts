/**
 * The back-to-back user agent for SIP phones: an INVITE from a phone becomes a core call, the
 * core's offers become INVITEs to the called line's contacts (one leg each), and everything in
 * a dialog is relayed between the legs through the core (`src/adapters/sip-common`). Each leg
 * is its own dialog with its own Call-ID; nothing of one leg's signalling leaks into the other
 * but the session descriptions.
 */
import type { ConfigSnapshot } from '../../../admin/index.js';
import type { CallCore, CallView, Connection, MediaDescription } from '../../../core/index.js';
import {
  type Clock,
  createRequest,
  type DigestServer,
  generateCallId,
  generateTag,
  parseUri,
  quoteString,
  type SipLogger,
  type SipRequest,
  type SipStack,
  silentLogger,
  systemClock,
} from '../../../sip/index.js';
import {
  bodyOf,
  CalleeLeg,
  type CallMedia,
  type CallSignalling,
  callSignalling,
  diversionHeaders,
} from '../../sip-common/index.js';
import type { SourceLockout } from '../source-lockout.js';
import { CallerAuthenticator } from './calling-phone.js';
import { SIP_LINE, type SipReach } from './line-router.js';

export interface SipCallHandlerOptions {
  /** The handler answers INVITE, BYE, UPDATE and INFO on it; REGISTER stays the registrar's. */
  readonly stack: SipStack;
  /** Built with a router that reaches SIP lines (`createLineRouter`). */
  readonly core: CallCore;
  readonly snapshot: () => ConfigSnapshot;
  /** Authenticates INVITEs as a proxy (407); shares the registrar's realm. */
  readonly digest: DigestServer;
  /** The registrar's lockout table: wrong INVITE credentials count toward the same lockout. */
  readonly lockout?: SourceLockout;
  /** Session timer and refresh timers. Default the system clock. */
  readonly clock?: Clock;
  readonly logger?: SipLogger;
  /** Anchors the calls' media in Strowger (shared with the trunks' calls); without it media pass through. */
  readonly media?: CallMedia;
}

/**
 * Phones are asked last about a new INVITE: a request from a carrier belongs to its trunk, and
 * anything else must authenticate as a phone.
 */
const PHONES_ORDER = 100;

/** Registers the SIP line driver with the core and the phones' calls with the stack's call signalling. */
export function createSipCallHandler(options: SipCallHandlerOptions): void {
  const { snapshot } = options;
  const signalling = callSignalling(options);
  const authenticator = new CallerAuthenticator(
    options.digest,
    options.lockout && {
      table: options.lockout,
      clock: options.clock ?? systemClock,
      logger: options.logger ?? silentLogger,
    },
  );

  options.core.registerDriver(
    SIP_LINE,
    signalling.driver((connection, call, media) => callLine(signalling, connection, call, media)),
  );
  signalling.answerNewCalls(PHONES_ORDER, (incoming) => {
    const caller = authenticator.identify(incoming, snapshot());
    if (!caller.ok) return true;
    const { phone, line } = caller;
    signalling.startCall(incoming, {
      device: {
        kind: SIP_LINE,
        id: phone.name,
        number: line.dn,
        ...(line.displayName === '' ? {} : { displayName: line.displayName }),
      },
      dialed: dialedNumber(incoming.request),
      followFlow: true,
    });
    return true;
  });
}

/**
 * The number dialled is the Request-URI's user. A request addressed to the server itself
 * (no user part) names the party in To, as test tools and some gateways send it.
 */
function dialedNumber(request: SipRequest): string {
  return request.uri.user ?? request.to.uri.user ?? '';
}

/** Rings one registered contact of the called line. */
function callLine(
  signalling: CallSignalling,
  connection: Connection,
  call: CallView,
  media: MediaDescription | undefined,
): void {
  const { core, stack } = signalling.context;
  const reach = connection.device.reach as SipReach | undefined;
  const invite = reach?.source === undefined ? undefined : lineInvite(stack, reach, connection, call, media);
  if (reach === undefined || invite === undefined) {
    // Drivers answer later than the request (src/core/driver.ts).
    queueMicrotask(() => core.reportFailed(connection.id, 'destOutOfOrder'));
    return;
  }
  const leg = new CalleeLeg(signalling.context, {
    first: { invite, target: reach.source },
    followFlow: true,
  });
  leg.connectionId = connection.id;
  connection.context = leg;
  leg.start();
}

/**
 * The INVITE to a registered contact; undefined when it cannot be built (a contact that is no
 * URI, a calling number from a trunk that no URI can carry).
 */
function lineInvite(
  stack: SipStack,
  reach: SipReach,
  connection: Connection,
  call: CallView,
  media: MediaDescription | undefined,
): SipRequest | undefined {
  const contact = stack.contact(reach.source.protocol);
  const host = contact.uri.host;
  const display = call.callingName === undefined ? '' : `${quoteString(call.callingName)} `;
  const parsed = parseUri(reach.contact);
  if (!parsed.ok) return undefined;
  try {
    return createRequest({
      method: 'INVITE',
      uri: parsed.value,
      from: `${display}<sip:${call.calling}@${host}>;tag=${generateTag()}`,
      to: `<sip:${connection.device.number}@${host}>`,
      callId: generateCallId(),
      cseq: 1,
      contact,
      headers: [
        // RFC 3327 §5.3: a registration's Path becomes the Route set of requests to that contact.
        ...reach.path.map((route): [string, string] => ['Route', route]),
        // RFC 5806: a forwarded call says who forwarded it, so that the phone can show it.
        ...diversionHeaders(call.diversions, host),
      ],
      ...bodyOf(media),
    });
  } catch {
    return undefined;
  }
}
