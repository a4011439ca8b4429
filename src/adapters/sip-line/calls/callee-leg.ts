/**
 * A called phone's leg: our INVITE to one registered contact of the line (one fork of a
 * parallel offer). Its responses become the core's reports; the core's release becomes a
 * CANCEL or a BYE.
 */
import type { CallView, Cause, MediaDescription } from '../../../core/index.js';
import {
  createRequest,
  type Dialog,
  dialogKey,
  type Endpoint,
  generateCallId,
  generateTag,
  type NameAddr,
  quoteString,
  type SipRequest,
} from '../../../sip/index.js';
import { causeForStatus } from './causes.js';
import { Leg, type LegContext } from './leg.js';
import type { SipReach } from './line-router.js';
import { bodyOf, mediaOf } from './media.js';

type CalleeState = 'inviting' | 'early' | 'confirmed' | 'ended';

/** RFC 3326 §2 with the cause RFC 3261 §16.7 step 10 uses for forks that lost the race. */
const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

export class CalleeLeg extends Leg {
  private state: CalleeState = 'inviting';
  private provisionalSeen = false;
  /** A CANCEL waiting for the first provisional response (RFC 3261 §9.1). */
  private pendingCancel: { reason: string | undefined } | undefined;
  private invite: SipRequest | undefined;

  constructor(
    context: LegContext,
    private readonly reach: SipReach,
  ) {
    super(context);
  }

  get endpoint(): Endpoint {
    return this.reach.source;
  }

  /** Sends the INVITE and follows its responses until the final one. */
  start(call: CallView, called: string, media: MediaDescription | undefined): void {
    const { stack } = this.context;
    const contact = stack.contact(this.reach.source.protocol);
    const host = contact.uri.host;
    const display = call.callingName === undefined ? '' : `${quoteString(call.callingName)} `;
    const invite = createRequest({
      method: 'INVITE',
      uri: this.reach.contact,
      from: `${display}<sip:${call.calling}@${host}>;tag=${generateTag()}`,
      to: `<sip:${called}@${host}>`,
      callId: generateCallId(),
      cseq: 1,
      contact,
      // RFC 3327 §5.3: a registration's Path becomes the Route set of requests to that contact.
      headers: this.reach.path.map((route): [string, string] => ['Route', route]),
      ...bodyOf(media),
    });
    this.invite = invite;
    this.follow(invite).catch((error: unknown) => {
      this.context.logger.error({ err: error, callId: invite.callId }, 'called leg failed');
      this.fail('destOutOfOrder');
    });
  }

  release(cause: Cause): void {
    const previous = this.state;
    this.state = 'ended';
    if (previous === 'confirmed') {
      this.forget();
      if (this.dialog) this.bye(this.dialog);
    } else if (previous !== 'ended') {
      this.cancel(cause === 'multipleAlerting' ? COMPLETED_ELSEWHERE : undefined);
    }
  }

  override hungUp(): void {
    this.state = 'ended';
    super.hungUp();
  }

  private async follow(invite: SipRequest): Promise<void> {
    const { core, stack } = this.context;
    for await (const { response, dialog } of stack.invite(invite, { target: this.reach.source })) {
      const status = response.status;
      if (status < 200) {
        if (status === 100) continue;
        this.provisionalSeen = true;
        if (this.pendingCancel) this.sendCancel(this.pendingCancel.reason);
        if (this.state !== 'inviting' && this.state !== 'early') continue;
        this.state = 'early';
        core.reportAlerting(this.connectionId, mediaOf(response));
      } else if (status < 300) {
        if (dialog) this.answered(dialog, mediaOf(response));
      } else if (this.state === 'inviting' || this.state === 'early') {
        this.fail(causeForStatus(status));
      }
    }
  }

  /**
   * A 2xx: the first one answers the call if the core still wants it. Any other (the call was
   * answered elsewhere, cancelled meanwhile, or a fork further on answered too) is ACKed by
   * the stack and hung up at once (RFC 3261 §13.2.2.4).
   */
  private answered(dialog: Dialog, media: MediaDescription | undefined): void {
    if (this.dialog && dialogKey(this.dialog.id) === dialogKey(dialog.id)) return;
    if (this.state === 'inviting' || this.state === 'early') {
      this.state = 'confirmed';
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
    const invite = this.invite;
    const topVia = invite?.headers.get('Via');
    this.pendingCancel = undefined;
    if (!invite || topVia === undefined) return;
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
    this.context.stack.transactions.sendRequest(cancel, this.reach.source, { onResponse: () => {} });
  }
}
