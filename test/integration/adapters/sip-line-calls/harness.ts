/**
 * A B2BUA under test on real sockets: the server stack with the call handler, phones as SIP
 * stacks on 127.0.0.1, a `locations` object standing in for the registrar, and the demo
 * configuration (phones 201–203 with their demo credentials, one CSS over partition internal).
 */
import {
  createLineRouter,
  createSipCallHandler,
  type LineLocation,
} from '../../../../src/adapters/sip-line/calls/index.js';
import type { SourceLockout } from '../../../../src/adapters/sip-line/index.js';
import { buildSnapshot, type ConfigSnapshot } from '../../../../src/admin/index.js';
import { type CallCore, type CallRecord, createCallCore } from '../../../../src/core/index.js';
import {
  authorizeRequest,
  createDigestServer,
  createRequest,
  createSipStack,
  type Endpoint,
  generateCallId,
  generateTag,
  type InviteResponse,
  type OutgoingInvite,
  type SipStack,
  systemClock,
} from '../../../../src/sip/index.js';
import type { ConfigRows } from '../../../../src/store/index.js';
import { emptyRows, lineRow, sipPhoneRow } from '../../../helpers/config-rows.js';

export const OFFER = sdp(6000, 'sendrecv');
export const ANSWER = sdp(7000, 'sendrecv');

export function sdp(port: number, direction: string): string {
  return [
    'v=0',
    `o=- ${port} 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    `a=${direction}`,
    '',
  ].join('\r\n');
}

const line = (dn: string) => lineRow(dn, { displayName: `Extension ${dn}` });

// Demo credentials, as in examples/demo.yaml.
const phone = (dn: string) =>
  sipPhoneRow(`phone-${dn}`, {
    callingSearchSpace: 'internal-css',
    sipUsername: dn,
    sipPassword: `demo-${dn}`,
  });

/** Lines `dns` (default 201–203), one phone each with its demo credential. */
export function demoSnapshot(dns: readonly string[] = ['201', '202', '203']): ConfigSnapshot {
  const rows: ConfigRows = {
    ...emptyRows(),
    registrar: { expiresDefault: 3600, expiresMin: 60, expiresMax: 3600 },
    partitions: [{ name: 'internal', description: '' }],
    callingSearchSpaces: [{ name: 'internal-css', description: '' }],
    callingSearchSpaceMembers: [{ callingSearchSpace: 'internal-css', partition: 'internal', position: 0 }],
    lines: dns.map(line),
    devices: dns.map(phone),
    lineAppearances: dns.map((dn) => ({
      device: `phone-${dn}`,
      button: 1,
      dn,
      partition: 'internal',
      label: null,
    })),
  };
  return buildSnapshot(rows);
}

export interface B2bua {
  readonly server: SipStack;
  readonly core: CallCore;
  readonly records: CallRecord[];
  /** DN → registered contacts; tests change it at will. */
  readonly locations: Map<string, LineLocation[]>;
  close(): Promise<void>;
}

export async function startB2bua(
  options: { noAnswerTimeoutMs?: number; lockout?: SourceLockout } = {},
): Promise<B2bua> {
  const server = await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
  const snapshot = demoSnapshot();
  const locations = new Map<string, LineLocation[]>();
  const records: CallRecord[] = [];
  const core = createCallCore({
    clock: systemClock,
    router: createLineRouter({
      snapshot: () => snapshot,
      locations: { lookup: (dn) => locations.get(dn) ?? [] },
    }),
    onCallRecord: (record) => records.push(record),
    ...(options.noAnswerTimeoutMs === undefined ? {} : { noAnswerTimeoutMs: options.noAnswerTimeoutMs }),
  });
  createSipCallHandler({
    stack: server,
    core,
    snapshot: () => snapshot,
    digest: createDigestServer({ realm: 'strowger' }),
    ...(options.lockout ? { lockout: options.lockout } : {}),
  });
  return { server, core, records, locations, close: () => server.close() };
}

export async function startPhone(): Promise<SipStack> {
  return createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
}

/** The location of a phone stack as the registrar would hold it. */
export function locationOf(name: string, stack: SipStack, user: string): LineLocation {
  const source = stack.listening()[0] as Endpoint;
  return { phone: name, contact: `sip:${user}@127.0.0.1:${source.port}`, path: [], source };
}

/** Responses of an INVITE as they come, with ways to wait for one. */
export class CallAttempt {
  readonly responses: InviteResponse[] = [];
  private waiters: { match: (r: InviteResponse) => boolean; resolve: (r: InviteResponse) => void }[] = [];

  constructor(readonly outgoing: OutgoingInvite) {
    void this.run();
  }

  private async run(): Promise<void> {
    for await (const response of this.outgoing) {
      this.responses.push(response);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.match(response)) return true;
        waiter.resolve(response);
        return false;
      });
    }
  }

  /** The first response (past or future) with this status, or the final one with `'final'`. */
  waitFor(status: number | 'final'): Promise<InviteResponse> {
    const match = (r: InviteResponse) =>
      status === 'final' ? r.response.status >= 200 : r.response.status === status;
    const seen = this.responses.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }
}

export interface CallOptions {
  /** Answer the 407 with phone 201's demo credentials. Default true. */
  authenticate?: boolean;
  /** The password given for 201; default its demo password. */
  password?: string;
  headers?: [string, string][];
}

/** Phone 201 calls `dialed` through the B2BUA, answering its digest challenge. */
export async function call(
  caller: SipStack,
  b2bua: B2bua,
  dialed: string,
  options: CallOptions = {},
): Promise<CallAttempt> {
  const target = b2bua.server.listening()[0] as Endpoint;
  const init = {
    method: 'INVITE',
    uri: `sip:${dialed}@127.0.0.1:${target.port}`,
    from: `"Extension 201" <sip:201@127.0.0.1>;tag=${generateTag()}`,
    to: `<sip:${dialed}@127.0.0.1>`,
    callId: generateCallId(),
    contact: caller.contact('UDP', '201'),
    body: OFFER,
    contentType: 'application/sdp',
  };
  const first = createRequest({ ...init, cseq: 1, headers: options.headers ?? [] });
  const attempt = new CallAttempt(caller.invite(first, { target }));
  const { response } = await attempt.waitFor('final');
  if (response.status !== 407 || options.authenticate === false) return attempt;
  const credentials = authorizeRequest({
    response,
    request: first,
    account: { username: '201', password: options.password ?? 'demo-201' },
  });
  if (!credentials.ok) throw new Error(credentials.error.message);
  const headers: [string, string][] = [
    ...(options.headers ?? []),
    ...credentials.value.values.map((value): [string, string] => [credentials.value.name, value]),
  ];
  return new CallAttempt(caller.invite(createRequest({ ...init, cseq: 2, headers }), { target }));
}

/** A promise with its resolver, for "this happened" signals from handlers. */
export function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
