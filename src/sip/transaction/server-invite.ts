/**
 * INVITE server transaction: RFC 3261 §17.2.1 (Figure 7) with the Accepted state of RFC 6026
 * §7.1 (Figure 7 replaced): after a 2xx the transaction stays for 64*T1 (timer L) to absorb
 * INVITE retransmissions and pass the TU's own 2xx retransmissions on, instead of ending at once.
 */
import type { SipRequest, SipResponse } from '../message/types.js';
import type { ReceiveInfo } from '../transport/types.js';
import { invokeUser } from './context.js';
import type { Expirable, ExpiryQueue } from './expiry-queue.js';
import { newToTag, synthesizeResponse } from './requests.js';
import { ServerTransactionBase } from './server-transaction.js';
import { TimerSlot } from './timers.js';
import type { InviteServerState } from './types.js';

export class InviteServerTransaction extends ServerTransactionBase<InviteServerState> {
  private retransmitInterval = 0;
  /** The To tag of the last response sent (RFC 2543 ACK matching, the CANCEL's 200). */
  private sentToTag: string | undefined;
  /** The To tag chosen before any response carried one, so that 200 (CANCEL) and 487 agree (RFC 3261 §9.2). */
  private reservedToTag: string | undefined;
  private cancelHandler: ((cancel: SipRequest, info: ReceiveInfo) => void) | undefined;
  private timeoutHandler: (() => void) | undefined;

  /** Timers G and H: created when armed, dropped once they cannot fire. */
  private timerG: TimerSlot | undefined;
  private timerH: TimerSlot | undefined;
  /** The 100 Trying check's ticket in its FIFO, for a transaction that ends before the check. */
  private tryingTicket = -1;

  /**
   * Schedules the 100 Trying check (RFC 3261 §17.2.1) on the layer's shared FIFO for its delay,
   * not on a clock timer of its own: most INVITEs are answered well within the 200 ms, and the
   * check then finds a response sent and does nothing. A response does not cancel it, which
   * would set and clear the FIFO's clock timer per INVITE; only the end of the transaction does.
   */
  start(): void {
    this.tryingTicket = this.tryingChecks().add(new TryingCheck(this));
  }

  /**
   * @internal The trying delay passed: a 100 Trying unless a response went out meanwhile.
   * RFC 3261 §8.2.6.1: 100 Trying copies the request's headers and needs no To tag.
   */
  tryingDue(): void {
    const request = this.request;
    if (this.current !== 'proceeding' || this.lastSent !== undefined || request === undefined) return;
    this.transmit(synthesizeResponse(request, 100, 'Trying'));
  }

  override onCancel(handler: (cancel: SipRequest, info: ReceiveInfo) => void): void {
    this.cancelHandler = handler;
  }

  override onTimeout(handler: () => void): void {
    this.timeoutHandler = handler;
  }

  /** The To tag this transaction answers with, once a response carried one. */
  get toTag(): string | undefined {
    return this.sentToTag;
  }

  /** The To tag of the dialog this INVITE may create, reserved now when no response carried one yet. */
  localTag(): string {
    const sent = this.toTag;
    if (sent !== undefined) return sent;
    this.reservedToTag ??= newToTag();
    return this.reservedToTag;
  }

  respond(response: SipResponse): boolean {
    const status = response.status;
    if (this.current === 'accepted') {
      // RFC 6026 §7.1: the TU retransmits its 2xx itself; pass those on.
      if (status < 200 || status >= 300) return false;
      this.transmit(response);
      return true;
    }
    if (this.current !== 'proceeding') return false;
    this.transmit(response);
    if (status < 200) return true;
    // RFC 6026 §7.1: Accepted still sends the TU's 2xx retransmissions, and needs the ReceiveInfo for them.
    this.finalSent(status < 300);
    // A CANCEL now finds nothing to stop (RFC 3261 §9.2): its handler, and what it holds of the TU, can go.
    this.cancelHandler = undefined;
    const { T1, T2 } = this.context.timers;
    if (status < 300) {
      this.current = 'accepted';
      // RFC 6026 §7.1: Accepted absorbs INVITE retransmissions without answering them, so the
      // 2xx bytes are not kept for 64*T1 (the TU's own retransmissions carry their response).
      this.lastSent = undefined;
      // Timer H guards only a non-2xx final response.
      this.timeoutHandler = undefined;
      // Timer L (RFC 6026 §7.1), a cleanup timer.
      this.expireAfter(64 * T1);
      return true;
    }
    this.current = 'completed';
    if (!this.reliable) {
      this.retransmitInterval = Math.min(T1, T2);
      this.timerG = new TimerSlot(this.context.clock, () => this.onTimerG());
      this.timerG.start(this.retransmitInterval);
    }
    this.timerH = new TimerSlot(this.context.clock, () => this.onTimerH());
    this.timerH.start(64 * T1);
    return true;
  }

  receiveRequest(request: SipRequest, info: ReceiveInfo): void {
    if (request.method === 'ACK') {
      this.receiveAck(request, info);
      return;
    }
    // RFC 3261 §17.2.1: an INVITE retransmission is answered with the last provisional or the
    // non-2xx final; in Accepted (RFC 6026 §7.1) and Confirmed it is absorbed.
    if (this.current === 'proceeding' || this.current === 'completed') this.retransmit();
  }

  /**
   * A CANCEL matched this INVITE and the layer answered it with 200 (RFC 3261 §9.2). Without a
   * final response yet, the TU hears of it, and unless it answers the INVITE in its handler the
   * transaction answers 487 Request Terminated.
   */
  cancelled(cancel: SipRequest, info: ReceiveInfo): void {
    if (this.current !== 'proceeding') return;
    invokeUser(this.context.logger, 'server-cancel', this.cancelHandler, cancel, info);
    const request = this.request;
    if (this.state !== 'proceeding' || request === undefined) return;
    this.respond(synthesizeResponse(request, 487, 'Request Terminated', this.localTag()));
  }

  protected stopTimers(): void {
    if (this.tryingTicket >= 0) this.tryingChecks().cancel(this.tryingTicket);
    this.tryingTicket = -1;
    this.stopCompletedTimers();
    this.cancelExpiry();
  }

  protected override transmit(response: SipResponse): void {
    this.sentToTag = response.to.params.tag ?? undefined;
    if (this.current === 'accepted') this.transmitOnce(response);
    else super.transmit(response);
  }

  private tryingChecks(): ExpiryQueue {
    return this.context.cleanup.queue(this.context.timers.trying);
  }

  private stopCompletedTimers(): void {
    this.timerG?.stop();
    this.timerH?.stop();
    this.timerG = undefined;
    this.timerH = undefined;
  }

  private receiveAck(ack: SipRequest, info: ReceiveInfo): void {
    switch (this.current) {
      case 'completed':
        this.current = 'confirmed';
        this.stopCompletedTimers();
        // Timer I: T4 on unreliable transports to absorb ACK retransmissions, zero on reliable ones.
        if (this.reliable) this.terminate();
        else this.expireAfter(this.context.timers.T4);
        return;
      case 'accepted':
        // RFC 6026 §7.1: an ACK matching in Accepted is the ACK for the 2xx: the TU's business.
        this.hooks.ackToUser(ack, info);
        return;
      default:
        return; // Confirmed absorbs retransmitted ACKs; an ACK before any final is meaningless
    }
  }

  private onTimerG(): void {
    if (this.current !== 'completed') return;
    this.retransmit();
    this.retransmitInterval = Math.min(2 * this.retransmitInterval, this.context.timers.T2);
    this.timerG?.start(this.retransmitInterval);
  }

  private onTimerH(): void {
    if (this.current !== 'completed') return;
    // RFC 3261 §17.2.1: the ACK never came; the TU is told of the failure.
    this.terminate();
    invokeUser(this.context.logger, 'server-timeout', this.timeoutHandler);
  }
}

/** The entry of one INVITE in the shared 100 Trying FIFO. */
class TryingCheck implements Expirable {
  constructor(private readonly transaction: InviteServerTransaction) {}

  expire(): void {
    this.transaction.tryingDue();
  }
}
