/**
 * A node for supplementary services on real sockets: the trunk-calls node (CME SIP-trunk example
 * with SIP phones 201/202, the trunk to a carrier on 127.0.0.2, the CUE pilots on a local stack)
 * with call forwarding in its router and the carrier numbering of redirections and transfers.
 * Lines 201 and 202 ring for 1 s before their no-answer forward; line 203 forwards all calls to
 * the PSTN.
 */
import { createSipCallHandler, type LineLocation } from '../../../src/adapters/sip-line/calls/index.js';
import { createSipTrunkCallHandler } from '../../../src/adapters/sip-trunk/calls/index.js';
import { createTrunkAdapter } from '../../../src/adapters/sip-trunk/index.js';
import {
  type ConfigSnapshot,
  type Configuration,
  snapshotOfConfiguration,
  type TrunkConfig,
} from '../../../src/admin/index.js';
import { type CallRecord, createCallCore } from '../../../src/core/index.js';
import { createForwardingRouter } from '../../../src/features/forwarding/index.js';
import { createDialPlanRouter } from '../../../src/features/routing/index.js';
import { createCarrierNumbering } from '../../../src/features/transfer/index.js';
import {
  createDigestServer,
  createSipStack,
  type Dialog,
  type Endpoint,
  type IncomingRequest,
  type SipRequest,
  type SipStack,
  systemClock,
} from '../../../src/sip/index.js';
import { ANSWER } from '../adapters/sip-line-calls/harness.js';
import { cmeConfiguration, type TrunkNode } from '../adapters/sip-trunk-calls/harness.js';

export function servicesConfiguration(
  proxy: string,
  pilots: string,
  trunk: Partial<TrunkConfig>,
): Configuration {
  const configuration = cmeConfiguration({ proxy, pilots, trunk: { hostRegistrar: true, ...trunk } });
  const lines = configuration.lines ?? [];
  const line202 = lines.find((line) => line.dn === '202');
  if (line202 === undefined) throw new Error('the CME example has no line 202');
  return {
    ...configuration,
    lines: [
      ...lines.map((line) =>
        line.dn === '201' || line.dn === '202' ? { ...line, noAnswerTimeout: 1 } : line,
      ),
      {
        ...line202,
        dn: '203',
        secondaryNumber: null,
        displayName: 'Forwarded',
        forwardAll: '95125551234',
        forwardBusy: null,
        forwardNoAnswer: null,
      },
    ],
  };
}

/** A node on `configuration`, or on what `current` holds at each call (a configuration that changes). */
export async function startServicesNode(
  configuration: Configuration | (() => ConfigSnapshot),
): Promise<TrunkNode> {
  const stack = await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
  const fixed = typeof configuration === 'function' ? undefined : snapshotOfConfiguration(configuration);
  const snapshot = typeof configuration === 'function' ? configuration : () => fixed as ConfigSnapshot;
  const locations = new Map<string, LineLocation[]>();
  const records: CallRecord[] = [];
  const router = createDialPlanRouter({
    snapshot,
    locations: { lookup: (dn) => locations.get(dn) ?? [] },
  });
  const core = createCallCore({
    clock: systemClock,
    router: createForwardingRouter({ router, snapshot }),
    onCallRecord: (record) => records.push(record),
  });
  const trunks = createTrunkAdapter({
    stack,
    trunks: () => [...snapshot().trunks.values()],
    stopTimeoutMs: 500,
  });
  trunks.start();
  createSipCallHandler({
    stack,
    core,
    snapshot,
    digest: createDigestServer({ realm: 'strowger' }),
  });
  createSipTrunkCallHandler({
    stack,
    core,
    trunks,
    numbering: createCarrierNumbering(snapshot),
  });
  return {
    server: stack,
    core,
    records,
    locations,
    trunks,
    get snapshot() {
      return snapshot();
    },
    close: async () => {
      await trunks.stop();
      await stack.close();
    },
  };
}

/** A UA for a phone, the pilots or the carrier: records what it gets and answers as told. */
export class Party {
  readonly invites: IncomingRequest[] = [];
  readonly reinvites: SipRequest[] = [];
  readonly byes: SipRequest[] = [];
  readonly notifies: SipRequest[] = [];
  readonly refers: SipRequest[] = [];
  readonly dialogs: Dialog[] = [];
  /** What the UA does with a new INVITE: ring and answer by default. */
  onInvite: (incoming: IncomingRequest) => void = (incoming) => this.answer(incoming);
  /** The status a REFER gets. */
  referStatus = 202;

  constructor(readonly stack: SipStack) {
    stack.onRequest('INVITE', (incoming) => {
      if (incoming.dialog) {
        this.reinvites.push(incoming.request);
        incoming.reply(200, undefined, { body: ANSWER, contentType: 'application/sdp' });
        return;
      }
      this.invites.push(incoming);
      this.onInvite(incoming);
    });
    stack.onRequest('BYE', (incoming) => {
      this.byes.push(incoming.request);
      incoming.reply(200);
    });
    stack.onRequest('NOTIFY', (incoming) => {
      this.notifies.push(incoming.request);
      incoming.reply(200);
    });
    stack.onRequest('REFER', (incoming) => {
      this.refers.push(incoming.request);
      incoming.reply(this.referStatus);
    });
  }

  /** Forgets what came and answers new INVITEs again. */
  reset(): void {
    for (const list of [this.invites, this.reinvites, this.byes, this.notifies, this.refers, this.dialogs])
      list.length = 0;
    this.onInvite = (incoming) => this.answer(incoming);
    this.referStatus = 202;
  }

  get endpoint(): Endpoint {
    return this.stack.listening()[0] as Endpoint;
  }

  answer(incoming: IncomingRequest): void {
    incoming.reply(180);
    setTimeout(() => {
      if (!incoming.answered)
        this.dialogs.push(incoming.accept({ body: ANSWER, contentType: 'application/sdp' }));
    }, 20);
  }
}

export async function startParty(address = '127.0.0.1'): Promise<Party> {
  return new Party(await createSipStack({ transports: [{ protocol: 'UDP', address, port: 0 }] }));
}
