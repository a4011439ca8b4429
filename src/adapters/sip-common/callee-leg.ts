/**
 * A called side's leg: our INVITE to a phone's registered contact (one fork of a parallel offer)
 * or to a carrier. Its responses become the core's reports; the core's release becomes a CANCEL
 * or a BYE. What to send and where is the adapter's (`Dial`); following it is shared.
 */
import type { Cause, MediaDescription } from '../../core/index.js';
import {
  createRequest,
  type Dialog,
  dialogKey,
  type Endpoint,
  type InviteResponse,
  type NameAddr,
  type SipRequest,
  type SipResponse,
  type TransportProtocol,
} from '../../sip/index.js';
import { causeForStatus } from './causes.js';
import { Leg, type LegContext } from './leg.js';
import { mediaOf } from './media.js';

/** One INVITE and the next hop it goes to. */
export interface DialAttempt {
  readonly invite: SipRequest;
  /** A phone's registered flow, a carrier's server in service, a resolved address. */
  readonly target: Endpoint;
}

export interface Dial {
  readonly first: DialAttempt;
  /** In-dialog requests follow the INVITE's flow (a phone behind NAT) rather than the dialog's route set. */
  readonly followFlow: boolean;
  /**
   * The attempt after one that failed with `response` before anything answered: the INVITE with
   * credentials after a 401/407 (RFC 3261 §22.2), or again after a timeout. Undefined gives up.
   */
  next?(failed: DialAttempt, response: SipResponse): DialAttempt | undefined;
  /** Sees each 18x and the 2xx that answers, before the core hears of it (a trunk reads Call-Info). */
  onResponse?(response: SipResponse): void;
}

type CalleeState = 'inviting' | 'early' | 'confirmed' | 'ended';

/** RFC 3326 §2 with the cause RFC 3261 §16.7 step 10 uses for forks that lost the race. */
const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

/** follow(): a 2xx settled the leg; what is left of its INVITE is forks. */
const ANSWERED = Symbol('answered');

export class CalleeLeg extends Leg {
  private state: CalleeState = 'inviting';
  private provisionalSeen = false;
  /** A CANCEL waiting for the first provisional response (RFC 3261 §9.1). */
  private pendingCancel: { reason: string | undefined } | undefined;
  /**
   * The INVITE in progress and what may follow it, until a 2xx answers it: the call may last
   * hours and needs no more of them than the next hop.
   */
  private attempt: DialAttempt | undefined;
  private dial: Dial | undefined;
  /** The next hop of the INVITE that reached the called party. */
  private hop: Endpoint;
  private readonly followFlow: boolean;

  constructor(context: LegContext, dial: Dial) {
    super(context);
    this.dial = dial;
    this.attempt = dial.first;
    this.hop = dial.first.target;
    this.followFlow = dial.followFlow;
  }

  get target(): Endpoint | undefined {
    return this.followFlow ? this.hop : undefined;
  }

  get protocol(): TransportProtocol {
    return this.hop.protocol;
  }

  /** Sends the INVITE and follows its responses (and further attempts) until the final one. */
  start(): void {
    const attempt = this.attempt;
    if (attempt === undefined) return; // started already, and answered
    void this.run(attempt.invite.callId);
  }

  release(cause: Cause): void {
    const previous = this.state;
    this.state = 'ended';
    if (previous === 'confirmed') {
      this.forget();
      if (this.dialog) this.bye(this.dialog, cause);
    } else if (previous !== 'ended') {
      this.cancel(cause === 'multipleAlerting' ? COMPLETED_ELSEWHERE : undefined);
    }
  }

  override hungUp(): void {
    this.state = 'ended';
    super.hungUp();
  }

  private get pending(): boolean {
    return this.state === 'inviting' || this.state === 'early';
  }

  /**
   * Each attempt in turn until one is answered or no next one is given; the INVITE's Call-ID
   * counts as ours in progress until then. Failures are caught here rather than by handlers
   * chained onto the promise, which would be kept as long (64*T1 after a 2xx).
   */
  private async run(callId: string): Promise<void> {
    const outgoing = this.context.outgoingCallIds;
    outgoing.add(callId);
    let forgetCallId = true;
    try {
      for (;;) {
        const failure = await this.follow(callId);
        if (failure === ANSWERED) {
          forgetCallId = false;
          return;
        }
        const failed = this.attempt;
        if (failure === undefined || failed === undefined || !this.pending) return;
        const next = this.dial?.next?.(failed, failure);
        if (next === undefined) {
          this.fail(causeForStatus(failure.status));
          return;
        }
        this.attempt = next;
        this.hop = next.target;
        this.provisionalSeen = false;
      }
    } catch (error) {
      this.context.logger.error({ err: error, callId }, 'called leg failed');
      this.fail('destOutOfOrder');
    } finally {
      if (forgetCallId) outgoing.delete(callId);
    }
  }

  /**
   * One INVITE transaction; resolves with its final failure response, if it ended with one, or
   * ANSWERED once a 2xx settled this leg. The rest of the transaction, 64*T1 of waiting for
   * forks (RFC 6026 §8.4), is left to a ForkHangUp that needs nothing of the leg: the leg, its
   * dialog and session descriptions go with the call rather than half a minute later, and
   * `callId`, counted as ours in progress by run(), with the transaction.
   */
  private follow(callId: string): Promise<SipResponse | typeof ANSWERED | undefined> {
    const attempt = this.attempt;
    if (attempt === undefined) return Promise.resolve(undefined);
    const responses = this.context.stack
      .invite(attempt.invite, { target: attempt.target })
      [Symbol.asyncIterator]();
    return new Promise((resolve, reject) => {
      let failure: SipResponse | undefined;
      const next = (): void => {
        responses.next().then((step) => {
          if (step.done) return resolve(failure);
          const { response, dialog } = step.value;
          try {
            failure = this.receive(step.value) ?? failure;
          } catch (error) {
            void responses.return?.();
            return reject(error);
          }
          if (response.status >= 200 && response.status < 300 && !this.pending) {
            new ForkHangUp(this.context, this.target, callId, dialog).read(responses);
            return resolve(ANSWERED);
          }
          next();
        }, reject);
      };
      next();
    });
  }

  /** One response to the INVITE; returns it when it is a final failure. */
  private receive({ response, dialog }: InviteResponse): SipResponse | undefined {
    const status = response.status;
    if (status < 200) {
      if (status === 100) return undefined;
      this.provisionalSeen = true;
      if (this.pendingCancel) this.sendCancel(this.pendingCancel.reason);
      if (!this.pending) return undefined;
      this.dial?.onResponse?.(response);
      this.state = 'early';
      const early = mediaOf(response);
      if (early) this.receivedMedia = early;
      this.context.core.reportAlerting(this.connectionId, early);
      return undefined;
    }
    if (status >= 300) return response;
    if (this.pending) this.dial?.onResponse?.(response);
    // Answered: there is nothing left to cancel or to try again.
    this.attempt = undefined;
    this.dial = undefined;
    if (dialog) this.answered(dialog, mediaOf(response));
    return undefined;
  }

  /**
   * A 2xx: the first one answers the call if the core still wants it. Any other (the call was
   * answered elsewhere, cancelled meanwhile, or a fork further on answered too) is ACKed by
   * the stack and hung up at once (RFC 3261 §13.2.2.4).
   */
  private answered(dialog: Dialog, media: MediaDescription | undefined): void {
    if (this.dialog && dialogKey(this.dialog.id) === dialogKey(dialog.id)) return;
    if (this.pending) {
      this.state = 'confirmed';
      if (media) this.receivedMedia = media;
      this.confirm(dialog);
      if (this.context.core.reportAnswered(this.connectionId, media).ok) return;
      this.state = 'ended';
      this.forget();
    }
    this.bye(dialog);
  }

  private fail(cause: Cause): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.context.core.reportFailed(this.connectionId, cause);
  }

  private cancel(reason: string | undefined): void {
    if (this.provisionalSeen) this.sendCancel(reason);
    else this.pendingCancel = { reason };
  }

  /**
   * RFC 3261 §9.1: the CANCEL copies the INVITE's Request-URI, Call-ID, From, To, CSeq number,
   * top Via and Route set; with RFC 3326 Reason when a fork lost to another.
   */
  private sendCancel(reason: string | undefined): void {
    this.pendingCancel = undefined;
    if (this.attempt === undefined) return;
    const { invite, target } = this.attempt;
    const topVia = invite.headers.get('Via');
    if (topVia === undefined) return;
    const headers: [string, string][] = [['Via', topVia]];
    for (const route of invite.headers.getAll('Route')) headers.push(['Route', route]);
    if (reason !== undefined) headers.push(['Reason', reason]);
    const cancel = createRequest({
      method: 'CANCEL',
      uri: invite.uri,
      from: invite.from as NameAddr,
      to: invite.to,
      callId: invite.callId,
      cseq: invite.cseq.seq,
      headers,
    });
    this.context.stack.transactions.sendRequest(cancel, target, { onResponse: () => {} });
  }
}

/**
 * What is left of an INVITE after the 2xx that settled its leg: the transaction waits 64*T1 for
 * forks (RFC 6026 §8.4), and a 2xx of another fork is acknowledged by the stack and hung up
 * here at once (RFC 3261 §13.2.2.4). Until the last response the INVITE's Call-ID still counts
 * as ours in progress (loop detection). It keeps only what that takes, not the leg.
 */
class ForkHangUp {
  /**
   * The remote tag of the dialog of the 2xx that settled the leg, whose retransmissions are not
   * forks: every dialog of one INVITE has its Call-ID and local tag (RFC 3261 §12.1.2).
   */
  private readonly settledTag: string | undefined;

  constructor(
    private readonly context: LegContext,
    /** Where the leg's in-dialog requests go (its INVITE's flow), or undefined for the route set. */
    private readonly target: Endpoint | undefined,
    /** Counted as ours in progress (loop detection) until the transaction ends. */
    private readonly callId: string,
    settled: Dialog | undefined,
  ) {
    this.settledTag = settled?.id.remoteTag;
  }

  read(responses: AsyncIterator<InviteResponse>): void {
    responses.next().then(
      (step) => {
        if (step.done) {
          this.context.outgoingCallIds.delete(this.callId);
          return;
        }
        this.hangUpFork(step.value);
        this.read(responses);
      },
      (error: unknown) => {
        this.context.outgoingCallIds.delete(this.callId);
        this.context.logger.error({ err: error, callId: this.callId }, 'called leg failed');
      },
    );
  }

  private hangUpFork({ response, dialog }: InviteResponse): void {
    if (response.status < 200 || response.status >= 300 || dialog === undefined) return;
    if (dialog.id.remoteTag === this.settledTag) return;
    const options = this.target === undefined ? { headers: [] } : { target: this.target, headers: [] };
    this.context.stack.requestInDialog(dialog, 'BYE', options).catch((error: unknown) => {
      this.context.logger.warn({ err: error, callId: dialog.id.callId }, 'BYE could not be sent');
    });
  }
}
