/**
 * INVITE client transaction: RFC 3261 §17.1.1 (Figure 5) with the Accepted state of RFC 6026
 * §8.4 (Figure 5 replaced): a 2xx no longer ends the transaction, so that 2xx responses from
 * forked branches and 2xx retransmissions keep reaching the TU for 64*T1 (timer M).
 */
import type { SipRequest, SipResponse } from '../message/types.js';
import type { ReceiveInfo } from '../transport/types.js';
import { ClientTransactionBase } from './client-transaction.js';
import { buildAckForFinal, buildCancel } from './requests.js';
import { TimerSlot } from './timers.js';
import type { ClientTransactionHandlers, InviteClientState } from './types.js';

const ignoreCancelOutcome: ClientTransactionHandlers = { onResponse: () => {} };

export class InviteClientTransaction extends ClientTransactionBase<InviteClientState> {
  private retransmitInterval = 0;
  private ack: SipRequest | undefined;
  /** RFC 3261 §9.1: a CANCEL asked for before any provisional response waits for one. */
  private cancelHandlers: ClientTransactionHandlers | undefined;
  private cancelSent = false;

  /** Timers A and B and the CANCEL guard, created when armed and dropped once they cannot fire. */
  private timerA: TimerSlot | undefined;
  private timerB: TimerSlot | undefined;
  private cancelTimer: TimerSlot | undefined;

  start(): void {
    const { T1 } = this.context.timers;
    const request = this.sent;
    if (request === undefined) return;
    this.transmit(request);
    if (!this.reliable) {
      this.retransmitInterval = T1;
      this.timerA = new TimerSlot(this.context.clock, () => this.onTimerA());
      this.timerA.start(T1);
    }
    this.timerB = new TimerSlot(this.context.clock, () => this.onTimerB());
    this.timerB.start(64 * T1);
  }

  override cancel(handlers: ClientTransactionHandlers = ignoreCancelOutcome): boolean {
    if (this.current !== 'calling' && this.current !== 'proceeding') return false;
    if (this.cancelHandlers !== undefined) return false;
    this.cancelHandlers = handlers;
    if (this.current === 'proceeding') this.sendCancel();
    return true;
  }

  receiveResponse(response: SipResponse, info: ReceiveInfo): void {
    const status = response.status;
    switch (this.current) {
      case 'calling':
      case 'proceeding':
        if (status < 200) {
          this.current = 'proceeding';
          // RFC 3261 §17.1.1.2: no retransmissions in Proceeding, and timer B only guards Calling.
          this.stopCallingTimers();
          this.deliver(response, info);
          if (this.cancelHandlers !== undefined && !this.cancelSent) this.sendCancel();
        } else if (status < 300) {
          this.enterAccepted(response, info);
        } else {
          this.enterCompleted(response, info);
        }
        return;
      case 'completed':
        // RFC 3261 §17.1.1.2: a retransmitted final response is answered with the same ACK, not passed up.
        if (status >= 300 && this.ack !== undefined) this.transmit(this.ack);
        return;
      case 'accepted':
        // RFC 6026 §8.4: every 2xx in Accepted goes to the TU (forks and retransmissions).
        if (status >= 200 && status < 300) this.deliver(response, info);
        return;
      case 'terminated':
        return;
    }
  }

  protected stopTimers(): void {
    this.stopFinalTimers();
    this.cancelExpiry();
  }

  private stopCallingTimers(): void {
    this.timerA?.stop();
    this.timerB?.stop();
    this.timerA = undefined;
    this.timerB = undefined;
  }

  /** Stops every timer that waits for the final response, and the CANCEL that waited for one. */
  private stopFinalTimers(): void {
    this.stopCallingTimers();
    this.cancelTimer?.stop();
    this.cancelTimer = undefined;
    this.cancelHandlers = undefined;
  }

  private enterAccepted(response: SipResponse, info: ReceiveInfo): void {
    this.current = 'accepted';
    this.stopFinalTimers();
    // Accepted only passes 2xx on (RFC 6026 §8.4): the INVITE is no longer needed.
    this.finalReceived();
    // Timer M (RFC 6026 §8.4), a cleanup timer.
    this.expireAfter(64 * this.context.timers.T1);
    this.deliver(response, info);
  }

  private enterCompleted(response: SipResponse, info: ReceiveInfo): void {
    this.current = 'completed';
    this.stopFinalTimers();
    const request = this.sent;
    // Completed answers retransmitted finals with this ACK only (timer D).
    this.finalReceived();
    // RFC 3261 §17.1.1.3: the transaction itself ACKs a non-2xx final, with the INVITE's branch.
    if (request !== undefined) {
      this.ack = buildAckForFinal(request, response);
      this.transmit(this.ack);
    }
    this.deliver(response, info);
    if (this.state !== 'completed') return; // the TU's handler may have closed the layer
    // Timer D: at least 32 s on unreliable transports, zero on reliable ones.
    if (this.reliable) this.terminate();
    else this.expireAfter(Math.max(32_000, 64 * this.context.timers.T1));
  }

  private onTimerA(): void {
    const request = this.sent;
    if (this.current !== 'calling' || request === undefined) return;
    this.transmit(request);
    this.retransmitInterval *= 2; // RFC 3261 §17.1.1.2: timer A doubles without a cap
    this.timerA?.start(this.retransmitInterval);
  }

  private onTimerB(): void {
    if (this.current === 'calling') this.timedOut();
  }

  /** RFC 3261 §9.1: no final response 64*T1 after the CANCEL: consider the INVITE cancelled. */
  private onCancelTimer(): void {
    if (this.current === 'proceeding') this.timedOut();
  }

  private sendCancel(): void {
    const request = this.sent;
    if (request === undefined) return;
    this.cancelSent = true;
    const handlers = this.cancelHandlers ?? ignoreCancelOutcome;
    this.hooks.startCancel(buildCancel(request), this.branch, this.target, handlers, this.options);
    this.cancelTimer = new TimerSlot(this.context.clock, () => this.onCancelTimer());
    this.cancelTimer.start(64 * this.context.timers.T1);
  }
}
