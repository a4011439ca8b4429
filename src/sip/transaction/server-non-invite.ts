/** Non-INVITE server transaction: RFC 3261 §17.2.2 (Figure 8), timer J. */
import type { SipRequest, SipResponse } from '../message/types.js';
import type { ReceiveInfo } from '../transport/types.js';
import { ServerTransactionBase } from './server-transaction.js';
import type { NonInviteServerState } from './types.js';

export class NonInviteServerTransaction extends ServerTransactionBase<NonInviteServerState> {
  respond(response: SipResponse): boolean {
    if (this.current !== 'trying' && this.current !== 'proceeding') return false;
    this.transmit(response);
    if (response.status < 200) {
      this.current = 'proceeding';
      return true;
    }
    this.current = 'completed';
    // Completed only replays the final response: nothing else from the request is needed.
    this.finalSent(false);
    // Timer J: 64*T1 on unreliable transports to answer request retransmissions, zero on reliable ones.
    if (this.reliable) this.terminate();
    else this.expireAfter(64 * this.context.timers.T1);
    return true;
  }

  /**
   * RFC 3261 §8.2.7: a final response sent as a stateless UAS sends it, without the Completed
   * state of 64*T1: the transaction ends at once. Its bytes go to the layer's short memory of
   * such answers, so that a retransmission that comes soon gets the same bytes (a client may
   * take a different answer to its retransmission for a new one); a later one is handled anew.
   * Provisional responses go through `respond`.
   */
  respondStatelessly(response: SipResponse): boolean {
    if (response.status < 200) return this.respond(response);
    if (this.current !== 'trying' && this.current !== 'proceeding') return false;
    this.transmit(response);
    const answer = this.lastSent;
    if (!this.reliable && this.key !== undefined && answer !== undefined)
      this.hooks.answeredStatelessly(this.key, answer);
    this.terminate();
    return true;
  }

  receiveRequest(_request: SipRequest, _info: ReceiveInfo): void {
    // RFC 3261 §17.2.2: absorbed in Trying, answered with the last response in Proceeding and Completed.
    if (this.current === 'proceeding' || this.current === 'completed') this.retransmit();
  }

  protected stopTimers(): void {
    this.cancelExpiry();
  }
}
