/** Non-INVITE server transaction: RFC 3261 §17.2.2 (Figure 8), timer J. */
import type { SipRequest, SipResponse } from '../message/types.js';
import type { ReceiveInfo } from '../transport/types.js';
import { ServerTransactionBase } from './server-transaction.js';
import { TimerSlot } from './timers.js';
import type { NonInviteServerState } from './types.js';

export class NonInviteServerTransaction extends ServerTransactionBase<NonInviteServerState> {
  private readonly timerJ = new TimerSlot(this.context.clock, () => this.terminate());

  respond(response: SipResponse): boolean {
    if (this.current !== 'trying' && this.current !== 'proceeding') return false;
    this.transmit(response);
    if (response.status < 200) {
      this.current = 'proceeding';
      return true;
    }
    this.current = 'completed';
    // Timer J: 64*T1 on unreliable transports to answer request retransmissions, zero on reliable ones.
    if (this.reliable) this.terminate();
    else this.timerJ.start(64 * this.context.timers.T1);
    return true;
  }

  receiveRequest(_request: SipRequest, _info: ReceiveInfo): void {
    // RFC 3261 §17.2.2: absorbed in Trying, answered with the last response in Proceeding and Completed.
    if (this.current === 'proceeding' || this.current === 'completed') this.retransmit();
  }

  protected stopTimers(): void {
    this.timerJ.stop();
  }
}
