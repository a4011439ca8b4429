/**
 * The calling phone's leg: the server side of its INVITE. The core's progress becomes 180/183,
 * its answer a 2xx with the called phone's session description, its release a final error
 * response or a BYE.
 */
import type { Cause, MediaDescription } from '../../../core/index.js';
import type { Endpoint, IncomingRequest } from '../../../sip/index.js';
import { statusForCause } from './causes.js';
import { Leg, type LegContext } from './leg.js';
import { bodyOf } from './media.js';
import { SessionTimer, type SessionTimerTerms, sessionTimerHeaders } from './session-timer.js';

type CallerState = 'offering' | 'early' | 'confirmed' | 'ended';

export class CallerLeg extends Leg {
  private state: CallerState = 'offering';
  private readonly timer: SessionTimer;

  constructor(
    context: LegContext,
    readonly incoming: IncomingRequest,
    private terms: SessionTimerTerms | undefined,
  ) {
    super(context);
    this.timer = new SessionTimer(context.clock, {
      refresh: () => this.refreshSession(),
      expire: () => this.sessionExpired(),
    });
  }

  get endpoint(): Endpoint {
    return this.incoming.info.source;
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /** The called side is ringing: 180, or 183 with its early session description (RFC 3960). */
  progress(media: MediaDescription | undefined): void {
    if (this.state !== 'offering' && this.state !== 'early') return;
    this.state = 'early';
    if (media) this.sentMedia = media;
    // RFC 3261 §12.1.1: a provisional response that creates an early dialog carries a Contact.
    this.incoming.reply(media ? 183 : 180, undefined, { ...bodyOf(media), contact: this.contact() });
  }

  /** The called side answered: 2xx with its session description. */
  accept(media: MediaDescription | undefined): void {
    if (this.state !== 'offering' && this.state !== 'early') return;
    this.state = 'confirmed';
    if (media) this.sentMedia = media;
    const headers = this.terms ? sessionTimerHeaders(this.terms) : [];
    this.confirm(this.incoming.accept({ ...bodyOf(media), headers, contact: this.contact() }));
    if (this.terms) this.timer.start(this.terms);
  }

  release(cause: Cause): void {
    const previous = this.state;
    this.end();
    if (previous === 'confirmed' && this.dialog) this.bye(this.dialog);
    else if (previous !== 'ended' && !this.incoming.answered) this.incoming.reply(statusForCause(cause));
  }

  /** The phone cancelled its INVITE; the stack answers it 487 (RFC 3261 §9.2). */
  cancelled(): void {
    this.end();
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
    return this.context.stack.contact(this.incoming.info.local.protocol);
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
