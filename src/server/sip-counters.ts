/**
 * SIP messages in and out by method (and status for responses) since the node started, for
 * `/metrics`. Methods outside the known set count as `other`, so a peer cannot grow the table.
 * Every message passes here: the counts are nested maps, so counting one builds no key.
 */
import type { SipMessageStats } from '../api/index.js';
import { KNOWN_METHODS, type SipMessage } from '../sip/index.js';

type Direction = 'in' | 'out';

const METHODS: ReadonlySet<string> = new Set(KNOWN_METHODS);

export class SipMessageCounters {
  /** Direction → method → count. */
  private readonly requests = new Map<Direction, Map<string, number>>();
  /** Direction → method answered → status → count. */
  private readonly responses = new Map<Direction, Map<string, Map<number, number>>>();

  count(direction: Direction, message: SipMessage): void {
    if (message.kind === 'request') {
      const byMethod = entry(this.requests, direction, newMap<string, number>);
      const method = counted(message.method);
      byMethod.set(method, (byMethod.get(method) ?? 0) + 1);
    } else {
      const byMethod = entry(this.responses, direction, newMap<string, Map<number, number>>);
      const byStatus = entry(byMethod, counted(message.cseq.method), newMap<number, number>);
      byStatus.set(message.status, (byStatus.get(message.status) ?? 0) + 1);
    }
  }

  stats(): SipMessageStats {
    const requests = [];
    for (const [direction, byMethod] of this.requests)
      for (const [method, count] of byMethod) requests.push({ direction, method, count });
    const responses = [];
    for (const [direction, byMethod] of this.responses)
      for (const [method, byStatus] of byMethod)
        for (const [status, count] of byStatus) responses.push({ direction, method, status, count });
    return { requests, responses };
  }
}

function counted(method: string): string {
  return METHODS.has(method) ? method : 'other';
}

/** The inner map under `key`, created on first use. */
function entry<K, M>(outer: Map<K, M>, key: K, create: () => M): M {
  let inner = outer.get(key);
  if (inner === undefined) {
    inner = create();
    outer.set(key, inner);
  }
  return inner;
}

function newMap<K, V>(): Map<K, V> {
  return new Map();
}
