/**
 * The registrar over real sockets and the embedded store: a UAC built on the SIP stack
 * registers the demo phones with digest authentication, and the bindings survive a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSipLineAdapter, type SipLineAdapter } from '../../../../src/adapters/sip-line/index.js';
import { type ConfigSnapshot, loadSnapshot } from '../../../../src/admin/index.js';
import {
  authorizeRequest,
  createRequest,
  createSipStack,
  type DigestAccount,
  type Endpoint,
  formatNameAddr,
  generateCallId,
  generateTag,
  type SipResponse,
  type SipStack,
  type TransportProtocol,
} from '../../../../src/sip/index.js';
import { openStore, type Store } from '../../../../src/store/index.js';
import { applyDemoConfig } from '../../../helpers/demo-store.js';

const REALM = 'strowger.test';
/** Demo credentials from examples/demo.yaml. */
const PHONE_201: DigestAccount = { username: '201', password: 'demo-201' };
const PHONE_202: DigestAccount = { username: '202', password: 'demo-202' };

interface Server {
  stack: SipStack;
  store: Store;
  adapter: SipLineAdapter;
}

let dataDir: string;
let server: Server;
let phone: SipStack;

async function startServer(): Promise<Server> {
  const store = await openStore({ dataDir });
  const snapshot: ConfigSnapshot = await loadSnapshot(store);
  const stack = await createSipStack({
    transports: [
      { protocol: 'UDP', address: '127.0.0.1', port: 0 },
      { protocol: 'TCP', address: '127.0.0.1', port: 0 },
    ],
  });
  const adapter = createSipLineAdapter({ stack, store, snapshot: () => snapshot, realm: REALM });
  await adapter.start();
  return { stack, store, adapter };
}

async function stopServer({ stack, store, adapter }: Server): Promise<void> {
  await adapter.stop();
  await stack.close();
  await store.close();
}

function registrarEndpoint(protocol: TransportProtocol): Endpoint {
  const endpoint = server.stack.listening().find((listener) => listener.protocol === protocol);
  if (!endpoint) throw new Error(`registrar has no ${protocol} listener`);
  return endpoint;
}

async function finalResponse(responses: AsyncIterable<SipResponse>): Promise<SipResponse> {
  let final: SipResponse | undefined;
  for await (const response of responses) if (response.status >= 200) final = response;
  if (!final) throw new Error('no final response');
  return final;
}

interface RegisterOptions {
  dn: string;
  account: DigestAccount;
  expires?: number;
  protocol?: TransportProtocol;
  callId?: string;
  cseq?: number;
}

/** REGISTER as a phone does: unauthenticated first, then answering the 401 once. */
async function register(options: RegisterOptions): Promise<{ response: SipResponse; nextCseq: number }> {
  const protocol = options.protocol ?? 'UDP';
  const target = registrarEndpoint(protocol);
  const callId = options.callId ?? generateCallId();
  const fromTag = generateTag();
  const transport = protocol === 'UDP' ? '' : `;transport=${protocol.toLowerCase()}`;
  const build = (cseq: number, authorization: [string, string][]) =>
    createRequest({
      method: 'REGISTER',
      uri: `sip:${target.address}:${target.port}${transport}`,
      from: `<sip:${options.dn}@${REALM}>;tag=${fromTag}`,
      to: `<sip:${options.dn}@${REALM}>`,
      callId,
      cseq,
      contact: formatNameAddr(phone.contact(protocol, options.dn)),
      headers: [
        ['Expires', String(options.expires ?? 600)],
        ['User-Agent', 'Strowger test phone'],
        ...authorization,
      ],
    });
  let cseq = options.cseq ?? 1;
  const first = build(cseq, []);
  let response = await finalResponse(phone.request(first, { target }));
  if (response.status === 401) {
    const authorization = authorizeRequest({ response, request: first, account: options.account });
    if (!authorization.ok) throw new Error(authorization.error.message);
    cseq++;
    const values = authorization.value.values.map((value): [string, string] => [
      authorization.value.name,
      value,
    ]);
    response = await finalResponse(phone.request(build(cseq, values), { target }));
  }
  return { response, nextCseq: cseq + 1 };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strowger-registrar-'));
  const store = await openStore({ dataDir });
  await applyDemoConfig(store);
  await store.close();
  server = await startServer();
  phone = await createSipStack({
    transports: [
      { protocol: 'UDP', address: '127.0.0.1', port: 0 },
      { protocol: 'TCP', address: '127.0.0.1', port: 0 },
    ],
  });
});

afterAll(async () => {
  await phone?.close();
  if (server) await stopServer(server);
  await rm(dataDir, { recursive: true, force: true });
});

describe('SIP line registrar on 127.0.0.1', () => {
  it('registers 201 with digest authentication over UDP and stores the binding', async () => {
    const { response } = await register({ dn: '201', account: PHONE_201 });
    expect(response.status).toBe(200);
    const contact = formatNameAddr(phone.contact('UDP', '201'));
    expect(response.headers.getAll('Contact')).toEqual([`${contact};expires=600`]);
    expect(response.headers.get('Date')).toMatch(/ GMT$/);
    const [registration] = server.adapter.registrations();
    expect(registration).toMatchObject({
      dn: '201',
      phone: 'phone-201',
      userAgent: 'Strowger test phone',
      source: { protocol: 'UDP', address: '127.0.0.1', port: phone.contact('UDP').uri.port },
    });
    const rows = await server.store.registrations.list();
    expect(rows.map((row) => [row.aor, row.device, row.line])).toEqual([
      ['sip:201@strowger.test', 'phone-201', '201'],
    ]);
  });

  it('challenges a wrong password again and binds nothing', async () => {
    const { response } = await register({ dn: '203', account: { username: '203', password: 'wrong' } });
    expect(response.status).toBe(401);
    expect(server.adapter.lookup('203')).toEqual([]);
  });

  it("refuses 202 registered with 201's credentials", async () => {
    const { response } = await register({ dn: '202', account: PHONE_201 });
    expect(response.status).toBe(403);
    expect(server.adapter.lookup('202')).toEqual([]);
  });

  it('registers 202 over TCP', async () => {
    const { response } = await register({ dn: '202', account: PHONE_202, protocol: 'TCP' });
    expect(response.status).toBe(200);
    expect(server.adapter.lookup('202').map((contact) => contact.source.protocol)).toEqual(['TCP']);
  });

  it('unregisters with Expires: 0', async () => {
    const callId = generateCallId();
    const first = await register({ dn: '204', account: { username: '204', password: 'demo-204' }, callId });
    expect(first.response.status).toBe(200);
    const removed = await register({
      dn: '204',
      account: { username: '204', password: 'demo-204' },
      callId,
      cseq: first.nextCseq,
      expires: 0,
    });
    expect(removed.response.status).toBe(200);
    expect(removed.response.headers.getAll('Contact')).toEqual([]);
    expect(server.adapter.lookup('204')).toEqual([]);
    expect((await server.store.registrations.list()).map((row) => row.line)).toEqual(['201', '202']);
  });

  it('vacuums the registrations table of the embedded store, keeping its rows', async () => {
    await server.store.registrations.vacuum();
    expect((await server.store.registrations.list()).map((row) => row.line)).toEqual(['201', '202']);
  });

  it('answers OPTIONS with 200 and REGISTER among the allowed methods', async () => {
    const target = registrarEndpoint('UDP');
    const options = createRequest({
      method: 'OPTIONS',
      uri: `sip:${target.address}:${target.port}`,
      from: `<sip:201@${REALM}>;tag=${generateTag()}`,
      to: `<sip:${target.address}:${target.port}>`,
      callId: generateCallId(),
      cseq: 1,
    });
    const response = await finalResponse(phone.request(options, { target }));
    expect(response.status).toBe(200);
    expect(response.headers.get('Allow')).toContain('REGISTER');
  });

  it('restores the registrations after a restart', async () => {
    const before = server.adapter.registrations().map((r) => [r.dn, r.phone, r.contact]);
    expect(before.map(([dn]) => dn)).toEqual(['201', '202']);
    await stopServer(server);
    server = await startServer();
    const after = server.adapter.registrations();
    expect(after.map((r) => [r.dn, r.phone, r.contact])).toEqual(before);
    for (const registration of after) {
      expect(registration.expiresIn).toBeGreaterThan(0);
      expect(registration.expiresIn).toBeLessThanOrEqual(600);
    }
  });
});
