/**
 * SIP messages in and out by method (and status for responses) since the node started, for
 * `/metrics`. Methods outside the known set count as `other`, so a peer cannot grow the table.
 */
import type { SipMessageStats } from '../api/index.js';
import { KNOWN_METHODS, type SipMessage } from '../sip/index.js';

const METHODS: ReadonlySet<string> = new Set(KNOWN_METHODS);

export class SipMessageCounters {
  private readonly requests = new Map<string, number>();
  private readonly responses = new Map<string, number>();

  count(direction: 'in' | 'out', message: SipMessage): void {
    if (message.kind === 'request') {
      const key = `${direction} ${METHODS.has(message.method) ? message.method : 'other'}`;
      this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    } else {
      const method = message.cseq.method;
      const key = `${direction} ${METHODS.has(method) ? method : 'other'} ${message.status}`;
      this.responses.set(key, (this.responses.get(key) ?? 0) + 1);
    }
  }

  stats(): SipMessageStats {
    return {
      requests: [...this.requests].map(([key, count]) => {
        const [direction, method] = key.split(' ') as ['in' | 'out', string];
        return { direction, method, count };
      }),
      responses: [...this.responses].map(([key, count]) => {
        const [direction, method, status] = key.split(' ') as ['in' | 'out', string, string];
        return { direction, method, status: Number(status), count };
      }),
    };
  }
}
