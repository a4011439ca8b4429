/**
 * The phones' side of a node as sipp phones meet it: the registrar and the B2BUA's SIP call
 * handler on one UDP stack on 127.0.0.1, both offering MD5 first, because sipp 3.6 (Debian)
 * answers only the first challenge and knows only MD5, like many deployed phones.
 */
import { createSipCallHandler, type LineLocations } from '../../src/adapters/sip-line/calls/index.js';
import { createSipLineAdapter, type SipLineAdapter } from '../../src/adapters/sip-line/index.js';
import type { ConfigSnapshot } from '../../src/admin/index.js';
import { type CallCore, type CallRecord, createCallCore, type Router } from '../../src/core/index.js';
import { createDigestServer, createSipStack, type SipStack, systemClock } from '../../src/sip/index.js';
import type { Store } from '../../src/store/index.js';

const REALM = 'strowger';
const ALGORITHMS = ['MD5', 'SHA-256'] as const;

export interface SippLineNodeOptions {
  readonly store: Store;
  readonly snapshot: () => ConfigSnapshot;
  /** How calls are routed, e.g. createLineRouter or createDialPlanRouter. */
  readonly router: (options: { snapshot: () => ConfigSnapshot; locations: LineLocations }) => Router;
}

export interface SippLineNode {
  readonly stack: SipStack;
  /** `host:port` where the phones register and call. */
  readonly server: string;
  readonly registrar: SipLineAdapter;
  readonly core: CallCore;
  /** Every call record, in order. */
  readonly records: CallRecord[];
  /** Stops the registrar and closes the stack; the store stays open. */
  close(): Promise<void>;
}

export async function startSippLineNode(options: SippLineNodeOptions): Promise<SippLineNode> {
  const { store, snapshot } = options;
  const stack = await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
  const registrar = createSipLineAdapter({ stack, store, snapshot, realm: REALM, algorithms: ALGORITHMS });
  await registrar.start();
  const records: CallRecord[] = [];
  const core = createCallCore({
    clock: systemClock,
    router: options.router({ snapshot, locations: registrar }),
    onCallRecord: (record) => records.push(record),
  });
  createSipCallHandler({
    stack,
    core,
    snapshot,
    digest: createDigestServer({ realm: REALM, algorithms: ALGORITHMS }),
  });
  return {
    stack,
    server: `127.0.0.1:${stack.listening()[0]?.port}`,
    registrar,
    core,
    records,
    close: async () => {
      await registrar.stop();
      await stack.close();
    },
  };
}
