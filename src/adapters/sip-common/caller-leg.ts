/**
 * The calling side's leg (a phone, or a carrier on a trunk): the server side of its INVITE. The
 * core's progress becomes 180/183, its answer a 2xx with the called side's session description,
 * its release a final error response or a BYE.
 */
import type { Cause, MediaDescription } from '../../core/index.js';
import type { Endpoint, IncomingRequest, NameAddr, TransportProtocol } from '../../sip/index.js';
import { CONFERENCE_BRIDGE } from '../media/index.js';
import { retryAfterForCause, statusForCause } from './causes.js';
import { Leg, type LegContext } from './leg.js';
import { bodyOf, mediaOf } from './media.js';
import { SessionTimer, type SessionTimerTerms, sessionTimerHeaders } from './session-timer.js';

type CallerState = 'offering' | 'early' | 'confirmed' | 'ended';

export class CallerLeg extends Leg {
  private state: CallerState = 'offering';
  private readonly timer: SessionTimer;
  /**
   * The INVITE, until its final response: the call may last hours and needs no more of it
   * than where it came from and on which transport.
   */
  private incoming: IncomingRequest | undefined;
  /** The INVITE's flow: where in-dialog requests go when they follow it. */
  private readonly flow: Endpoint | undefined;
  readonly protocol: TransportProtocol;

  constructor(
    context: LegContext,
    incoming: IncomingRequest,
    private terms: SessionTimerTerms | undefined,
    /** In-dialog requests go back over the INVITE's flow (a phone) rather than by the route set (a carrier). */
    followFlow: boolean,
    /** Header fields the adapter adds to the 18x and 2xx (a trunk's Call-Info). */
    private readonly answerHeaders: readonly [string, string][] = [],
  ) {
    super(context);
    this.incoming = incoming;
    this.flow = followFlow ? incoming.info.source : undefined;
    this.protocol = incoming.info.local.protocol;
    this.receivedMedia = mediaOf(incoming.request);
    this.timer = new SessionTimer(context.clock, {
      refresh: () => this.refreshSession(),
      expire: () => this.sessionExpired(),
    });
  }

  get target(): Endpoint | undefined {
    return this.flow;
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /**
   * Whether the caller can still be sent early media of the node's own (a failure tone): its
   * INVITE carried an offer, waits for its final response, and no answer to the offer has gone
   * out (RFC 3264 §4: one answer per offer).
   */
  get awaitsAnswer(): boolean {
    return (
      (this.state === 'offering' || this.state === 'early') &&
      this.incoming?.answered === false &&
      this.sentMedia === undefined &&
      this.receivedMedia !== undefined
    );
  }

  /** The called side is ringing: 180, or 183 with its early session description (RFC 3960). */
  progress(media: MediaDescription | undefined): void {
    if (this.state !== 'offering' && this.state !== 'early') return;
    this.state = 'early';
    if (media) this.sentMedia = media;
    // RFC 3261 §12.1.1: a provisional response that creates an early dialog carries a Contact.
    this.incoming?.reply(media ? 183 : 180, undefined, {
      ...bodyOf(media),
      headers: [...this.answerHeaders],
      contact: this.contact(),
    });
  }

  /** The called side answered: 2xx with its session description. */
  accept(media: MediaDescription | undefined): void {
    const incoming = this.incoming;
    if ((this.state !== 'offering' && this.state !== 'early') || incoming === undefined) return;
    this.state = 'confirmed';
    if (media) this.sentMedia = media;
    const headers = [...this.answerHeaders, ...(this.terms ? sessionTimerHeaders(this.terms) : [])];
    this.incoming = undefined;
    const contact = this.answeredByFocus() ? focusContact(this.contact()) : this.contact();
    this.confirm(incoming.accept({ ...bodyOf(media), headers, contact }));
    if (this.terms) this.timer.start(this.terms);
  }

  /**
   * Sends the caller elsewhere: 302 (RFC 3261 §21.3.3) with `contact` and `headers` (Diversion,
   * RFC 5806). False once the INVITE has a final response.
   */
  redirect(contact: string, headers: [string, string][]): boolean {
    const incoming = this.unanswered();
    if ((this.state !== 'offering' && this.state !== 'early') || incoming === undefined) return false;
    this.end();
    incoming.reply(302, undefined, { contact, headers });
    return true;
  }

  /** `warning`: the media anchor's reason for a 488 (RFC 3261 §20.43). */
  release(cause: Cause, warning?: string): void {
    const previous = this.state;
    this.end();
    if (previous === 'confirmed' && this.dialog) this.bye(this.dialog, cause);
    else if (previous !== 'ended') this.refuse(cause, warning);
  }

  /** The INVITE while it still waits for its final response. */
  private unanswered(): IncomingRequest | undefined {
    const incoming = this.incoming;
    if (incoming === undefined || !incoming.answered) return incoming;
    this.incoming = undefined;
    return undefined;
  }

  private refuse(cause: Cause, warning: string | undefined): void {
    const incoming = this.unanswered();
    if (incoming === undefined) return;
    this.incoming = undefined;
    const status = statusForCause(cause);
    const headers: [string, string][] = [];
    // RFC 3261 §21.4.26: a 488 may say why in a Warning; 305 is "Incompatible media format" (§20.43).
    if (status === 488) warning ??= `305 ${this.contact().uri.host} "Incompatible media format"`;
    if (warning !== undefined) headers.push(['Warning', warning]);
    const retryAfter = status === 503 ? retryAfterForCause(cause) : undefined;
    if (retryAfter !== undefined) headers.push(['Retry-After', String(retryAfter)]);
    incoming.reply(status, undefined, { headers });
  }

  /** The phone cancelled its INVITE; the stack answers it 487 (RFC 3261 §9.2). */
  cancelled(): void {
    this.end();
    this.incoming = undefined;
  }

  override hungUp(): void {
    this.end();
  }

  /**
   * A re-INVITE or UPDATE from the phone refreshed the session (RFC 4028 §10); the terms it
   * asks for now apply. Returns the header fields for the 2xx.
   */
  refreshed(terms: SessionTimerTerms | undefined): [string, string][] {
    if (this.state !== 'confirmed') return [];
    this.terms = terms;
    // RFC 4028 §7.4: a refresh without Session-Expires turns the session timer off.
    if (!terms) {
      this.timer.stop();
      return [];
    }
    this.timer.start(terms);
    return sessionTimerHeaders(terms);
  }

  private contact() {
    return this.context.stack.contact(this.protocol);
  }

  /** Whether the party that answered is the conference bridge, a focus (RFC 4579 §3.1). */
  private answeredByFocus(): boolean {
    const call = this.context.core.callOf(this.connectionId);
    return (
      call?.connections.some(
        (party) => party.id !== this.connectionId && party.deviceKind === CONFERENCE_BRIDGE,
      ) ?? false
    );
  }

  private end(): void {
    this.state = 'ended';
    this.timer.stop();
    this.forget();
  }

  /** We are the refresher: a re-INVITE with the session as it stands (RFC 4028 §7.4). */
  private refreshSession(): void {
    const terms = this.terms;
    if (this.state !== 'confirmed' || !terms || !this.sentMedia) return;
    const media = this.sentMedia;
    this.update({ kind: 'offer', media }).then(
      (result) => {
        if (this.state !== 'confirmed') return;
        if (result.ok) this.timer.start(terms);
        else if (result.failure === 'noPeer' || result.failure === 'timeout') this.sessionExpired();
        else this.timer.start(terms);
      },
      () => this.sessionExpired(),
    );
  }

  private sessionExpired(): void {
    if (this.state !== 'confirmed') return;
    const dialog = this.dialog;
    this.end();
    if (dialog) this.bye(dialog);
    this.context.core.reportCleared(this.connectionId, 'normalClearing');
  }
}

/** RFC 4579 §3.1, §5.1: a focus's Contact carries the `isfocus` feature parameter (RFC 3840). */
function focusContact(contact: NameAddr): NameAddr {
  return { ...contact, params: { ...contact.params, isfocus: null } };
}
