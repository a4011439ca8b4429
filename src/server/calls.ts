/**
 * Calls on the node: the call core routing by the dial plan (the callers' calling search spaces,
 * translations, dial-peers) to registered lines, trunks and pilots, the B2BUAs for SIP phones and
 * SIP trunks, call records written to the store, and what `/metrics` and the events stream need.
 */
import type { Logger } from 'pino';
import { createSipCallHandler, type LineLocations } from '../adapters/sip-line/calls/index.js';
import type { SourceLockout } from '../adapters/sip-line/index.js';
import { createSipTrunkCallHandler } from '../adapters/sip-trunk/calls/index.js';
import type { TrunkAdapter } from '../adapters/sip-trunk/index.js';
import type { ConfigSnapshot } from '../admin/index.js';
import { type CallCore, type CallRecord, createCallCore } from '../core/index.js';
import { createForwardingRouter } from '../features/forwarding/index.js';
import { createDialPlanRouter } from '../features/routing/index.js';
import { createCarrierNumbering } from '../features/transfer/index.js';
import { createDigestServer, type DigestAlgorithm, type SipStack, systemClock } from '../sip/index.js';
import type { Store } from '../store/index.js';
import type { EventHub } from './event-hub.js';

export interface NodeCalls {
  readonly core: CallCore;
  /** Calls ended since start, by cause. */
  callsByCause(): Record<string, number>;
  /** Clears every call in progress (BYE or CANCEL on each leg) and waits for their records. */
  stop(): Promise<void>;
}

/** How long a stopping node waits for its calls to clear before it goes anyway. */
const CLEAR_TIMEOUT_MS = 5_000;

export function startCalls(options: {
  stack: SipStack;
  store: Store;
  snapshot: () => ConfigSnapshot;
  locations: LineLocations;
  trunks: TrunkAdapter;
  realm: string;
  digestAlgorithms: readonly DigestAlgorithm[];
  sourceLockout: SourceLockout;
  events: EventHub;
  logger: Logger;
}): NodeCalls {
  const { store, logger } = options;
  const causes: Record<string, number> = {};
  const writes = new Set<Promise<void>>();
  const record = (callRecord: CallRecord) => {
    causes[callRecord.cause] = (causes[callRecord.cause] ?? 0) + 1;
    const write = store.callRecords
      .insert(callRecord)
      .then(() => undefined)
      .catch((error: unknown) =>
        logger.error({ err: error, callId: callRecord.callId }, 'call record not stored'),
      )
      .finally(() => writes.delete(write));
    writes.add(write);
  };
  const core = createCallCore({
    clock: systemClock,
    // Call forward all/busy/no answer on top of the dial plan, with loop and hop limits.
    router: createForwardingRouter({
      router: createDialPlanRouter({
        snapshot: options.snapshot,
        locations: options.locations,
        logger: logger.child({ module: 'routing' }),
      }),
      snapshot: options.snapshot,
      logger: logger.child({ module: 'forwarding' }),
    }),
    logger: logger.child({ module: 'core' }),
    onCallRecord: record,
  });
  createSipCallHandler({
    stack: options.stack,
    core,
    snapshot: options.snapshot,
    // Same realm and challenges as the registrar: a phone answers both alike.
    digest: createDigestServer({ realm: options.realm, algorithms: options.digestAlgorithms }),
    lockout: options.sourceLockout,
    logger: logger.child({ module: 'sip-calls' }),
  });
  createSipTrunkCallHandler({
    stack: options.stack,
    core,
    trunks: options.trunks,
    // 302 Contacts and REFER targets toward the carrier as DIDs (redirect profiles).
    numbering: createCarrierNumbering(options.snapshot),
    logger: logger.child({ module: 'sip-trunk-calls' }),
  });
  core.events.on((event) => options.events.emit(event));

  return {
    core,
    callsByCause: () => ({ ...causes }),
    stop: async () => {
      for (const call of core.calls()) {
        for (const connection of call.connections) core.clear(connection.id, 'normalClearing');
      }
      const deadline = Date.now() + CLEAR_TIMEOUT_MS;
      while (core.activeCalls > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (core.activeCalls > 0) logger.warn({ calls: core.activeCalls }, 'calls still up at stop');
      await Promise.all(writes);
    },
  };
}
