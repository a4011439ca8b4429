/** Non-INVITE client transaction: RFC 3261 §17.1.2 (Figure 6), timers E, F and K. */
import type { SipResponse } from '../message/types.js';
import type { ReceiveInfo } from '../transport/types.js';
import { ClientTransactionBase } from './client-transaction.js';
import { TimerSlot } from './timers.js';
import type { NonInviteClientState } from './types.js';

export class NonInviteClientTransaction extends ClientTransactionBase<NonInviteClientState> {
  private retransmitInterval = 0;

  /** Timers E and F, created on start and dropped with the request once the final response is in. */
  private timerE: TimerSlot | undefined;
  private timerF: TimerSlot | undefined;

  start(): void {
    const { T1 } = this.context.timers;
    const request = this.sent;
    if (request === undefined) return;
    this.transmit(request);
    if (!this.reliable) {
      this.retransmitInterval = T1;
      this.timerE = new TimerSlot(this.context.clock, () => this.onTimerE());
      this.timerE.start(T1);
    }
    this.timerF = new TimerSlot(this.context.clock, () => this.onTimerF());
    this.timerF.start(64 * T1);
  }

  receiveResponse(response: SipResponse, info: ReceiveInfo): void {
    if (this.current !== 'trying' && this.current !== 'proceeding') return; // Completed absorbs retransmissions
    if (response.status < 200) {
      this.current = 'proceeding';
      this.deliver(response, info);
      return;
    }
    this.current = 'completed';
    this.stopRetransmissionTimers();
    // Completed only absorbs retransmitted responses (timer K).
    this.finalReceived();
    this.deliver(response, info);
    if (this.state !== 'completed') return; // the TU's handler may have closed the layer
    // Timer K: T4 on unreliable transports to absorb response retransmissions, zero on reliable ones.
    if (this.reliable) this.terminate();
    else this.expireAfter(this.context.timers.T4);
  }

  protected stopTimers(): void {
    this.stopRetransmissionTimers();
    this.cancelExpiry();
  }

  private stopRetransmissionTimers(): void {
    this.timerE?.stop();
    this.timerF?.stop();
    this.timerE = undefined;
    this.timerF = undefined;
  }

  private onTimerE(): void {
    const { T2 } = this.context.timers;
    if (this.current === 'trying') {
      this.retransmitInterval = Math.min(2 * this.retransmitInterval, T2);
    } else if (this.current === 'proceeding') {
      // RFC 3261 §17.1.2.2: in Proceeding the request is retransmitted every T2.
      this.retransmitInterval = T2;
    } else {
      return;
    }
    const request = this.sent;
    if (request === undefined) return;
    this.transmit(request);
    this.timerE?.start(this.retransmitInterval);
  }

  private onTimerF(): void {
    if (this.current === 'trying' || this.current === 'proceeding') this.timedOut();
  }
}
