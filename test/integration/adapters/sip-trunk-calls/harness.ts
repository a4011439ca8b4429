/**
 * A Strowger node for trunk calls on real sockets: one SIP stack with the trunk adapter, the
 * phones' B2BUA and the trunk call handler over one call core routed by the dial plan of the
 * CME SIP-trunk example (examples/cme-sip-trunk.yaml, with SIP phones 201/202 and the trunk and
 * pilots pointed at local servers). Carriers are SIP stacks on 127.0.0.2 (so that phones on
 * 127.0.0.1 are not mistaken for them) with digest authentication of the trunk's account.
 */
import { readFileSync } from 'node:fs';
import { createSipCallHandler, type LineLocation } from '../../../../src/adapters/sip-line/calls/index.js';
import { createSipTrunkCallHandler } from '../../../../src/adapters/sip-trunk/calls/index.js';
import { createTrunkAdapter, type TrunkAdapter } from '../../../../src/adapters/sip-trunk/index.js';
import {
  type ConfigSnapshot,
  type Configuration,
  snapshotOfConfiguration,
  type TrunkConfig,
  validateConfigText,
} from '../../../../src/admin/index.js';
import { type CallCore, type CallRecord, createCallCore } from '../../../../src/core/index.js';
import { createDialPlanRouter } from '../../../../src/features/routing/index.js';
import {
  createDigestServer,
  createRequest,
  createSipStack,
  type Endpoint,
  generateCallId,
  generateTag,
  type IncomingRequest,
  type SipStack,
  systemClock,
} from '../../../../src/sip/index.js';
import { type B2bua, CallAttempt } from '../sip-line-calls/harness.js';

export const CARRIER_HOST = '127.0.0.2';
/** The trunk's account at the carrier, as in the example. Demo credentials. */
export const ACCOUNT = { username: '5123781000', password: 'demo-trunk-secret' };
export const CARRIER_REALM = 'carrier.test';

const CME_TEXT = readFileSync(new URL('../../../../examples/cme-sip-trunk.yaml', import.meta.url), 'utf8');

export interface CmeOptions {
  /** The carrier's proxy, e.g. `ipv4:127.0.0.2:5070`. */
  readonly proxy: string;
  /** Where the pilots (CUE voicemail 600, auto attendant 601) answer, `127.0.0.1:5080`. */
  readonly pilots?: string;
  readonly trunk?: Partial<TrunkConfig>;
}

/**
 * The CME example with SIP phones (201 and 202, demo passwords `demo-201`, `demo-202`), the
 * trunk to `proxy` without registration (number registration has tests of its own), and the CUE
 * dial-peers and pilots at `pilots`.
 */
export function cmeConfiguration(options: CmeOptions): Configuration {
  const parsed = validateConfigText(CME_TEXT, 'cme-sip-trunk.yaml');
  if (!parsed.ok) throw new Error('examples/cme-sip-trunk.yaml does not validate');
  const configuration = parsed.file.configuration;
  const pilots = options.pilots ?? '127.0.0.1:9';
  return {
    ...configuration,
    phones: (configuration.phones ?? []).map((phone) => {
      const dn = phone.lines[0]?.dn ?? '';
      return { ...phone, protocol: 'sip', sipUsername: dn, sipPassword: `demo-${dn}` };
    }),
    trunks: (configuration.trunks ?? []).map((trunk) => {
      const { registrar: _registrar, ...rest } = trunk;
      return { ...rest, proxy: options.proxy, ...options.trunk };
    }),
    pilots: (configuration.pilots ?? []).map((pilot) => ({
      ...pilot,
      destination: `sip:${pilot.number}@${pilots}`,
    })),
    dialPeers: (configuration.dialPeers ?? []).map((peer) =>
      peer.sessionTarget?.startsWith('ipv4:') ? { ...peer, sessionTarget: `ipv4:${pilots}` } : peer,
    ),
  };
}

export interface TrunkNode extends B2bua {
  readonly trunks: TrunkAdapter;
  readonly snapshot: ConfigSnapshot;
}

export interface NodeOptions {
  readonly configuration: Configuration;
  /** Whether phones' calls are served too (default true); without, only carriers are. */
  readonly phones?: boolean;
  /** Short transaction timers make a silent carrier time out quickly. */
  readonly timers?: { T1: number; T2: number };
}

export async function startNode(options: NodeOptions): Promise<TrunkNode> {
  const stack = await createSipStack({
    transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
    ...(options.timers ? { timers: options.timers } : {}),
  });
  const snapshot = snapshotOfConfiguration(options.configuration);
  const locations = new Map<string, LineLocation[]>();
  const records: CallRecord[] = [];
  const core: CallCore = createCallCore({
    clock: systemClock,
    router: createDialPlanRouter({
      snapshot: () => snapshot,
      locations: { lookup: (dn) => locations.get(dn) ?? [] },
    }),
    onCallRecord: (record) => records.push(record),
  });
  const trunks = createTrunkAdapter({
    stack,
    trunks: () => [...snapshot.trunks.values()],
    stopTimeoutMs: 500,
  });
  trunks.start();
  if (options.phones !== false) {
    createSipCallHandler({
      stack,
      core,
      snapshot: () => snapshot,
      digest: createDigestServer({ realm: 'strowger' }),
    });
  }
  createSipTrunkCallHandler({ stack, core, trunks, assertedIdentity: () => true });
  return {
    server: stack,
    core,
    records,
    locations,
    trunks,
    snapshot,
    close: async () => {
      await trunks.stop();
      await stack.close();
    },
  };
}

/** A call from `from` (the carrier, a stranger) to `number` at the node, from 5125550100 with `offer`. */
export function callNode(from: SipStack, node: TrunkNode, number: string, offer: string): CallAttempt {
  const target = node.server.listening()[0] as Endpoint;
  const host = (from.listening()[0] as Endpoint).address;
  const invite = createRequest({
    method: 'INVITE',
    uri: `sip:${number}@127.0.0.1:${target.port}`,
    from: `"PSTN caller" <sip:5125550100@${host}>;tag=${generateTag()}`,
    to: `<sip:${number}@127.0.0.1>`,
    callId: generateCallId(),
    cseq: 1,
    contact: from.contact('UDP'),
    body: offer,
    contentType: 'application/sdp',
  });
  return new CallAttempt(from.invite(invite, { target }));
}

export interface Carrier {
  readonly stack: SipStack;
  readonly endpoint: Endpoint;
  /** Authenticated INVITEs (outside dialogs), in order. */
  readonly invites: IncomingRequest[];
  /** How many INVITEs were challenged. */
  challenged: number;
  /** What the carrier does with an authenticated INVITE; rings and answers by default. */
  onInvite: (incoming: IncomingRequest) => void;
  close(): Promise<void>;
}

/** A carrier's proxy on 127.0.0.2 that asks INVITEs for the trunk's credentials (407, RFC 3261 §22.3). */
export async function startCarrier(): Promise<Carrier> {
  const stack = await createSipStack({ transports: [{ protocol: 'UDP', address: CARRIER_HOST, port: 0 }] });
  const digest = createDigestServer({ realm: CARRIER_REALM, algorithms: ['SHA-256', 'MD5'] });
  const endpoint = stack.listening()[0];
  if (!endpoint) throw new Error('the carrier is not listening');
  const carrier: Carrier = {
    stack,
    endpoint,
    invites: [],
    challenged: 0,
    onInvite: () => {},
    close: () => stack.close(),
  };
  stack.onRequest('INVITE', (incoming) => {
    if (incoming.dialog) {
      incoming.reply(200, undefined, { body: incoming.request.body, contentType: 'application/sdp' });
      return;
    }
    const verdict = digest.verify(incoming.request, {
      proxy: true,
      lookup: (username) => (username === ACCOUNT.username ? { password: ACCOUNT.password } : undefined),
    });
    if (verdict.status !== 'ok') {
      carrier.challenged++;
      const challenge = digest.challenge({ proxy: true, stale: verdict.status === 'stale' });
      incoming.reply(challenge.status, undefined, {
        headers: challenge.values.map((value): [string, string] => [challenge.name, value]),
      });
      return;
    }
    carrier.invites.push(incoming);
    carrier.onInvite(incoming);
  });
  return carrier;
}
