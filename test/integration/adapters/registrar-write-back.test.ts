/**
 * Write-back over real sockets and the embedded store: a REGISTER is answered before its row is
 * written, a clean stop writes it, and the binding is back after the store is reopened.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSipLineAdapter, type SipLineAdapter } from '../../../src/adapters/sip-line/index.js';
import { loadSnapshot } from '../../../src/admin/index.js';
import {
  authorizeRequest,
  createRequest,
  createSipStack,
  formatNameAddr,
  generateCallId,
  generateTag,
  type SipRequest,
  type SipResponse,
  type SipStack,
} from '../../../src/sip/index.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { applyDemoConfig } from '../../helpers/demo-store.js';

const REALM = 'strowger.test';
/** Far beyond the test: only the stop writes the row. */
const INTERVAL_MS = 10 * 60_000;

interface Node {
  stack: SipStack;
  store: Store;
  adapter: SipLineAdapter;
}

let dataDir: string;
let phone: SipStack;

async function startNode(): Promise<Node> {
  const store = await openStore({ dataDir });
  const snapshot = await loadSnapshot(store);
  const stack = await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
  const adapter = createSipLineAdapter({
    stack,
    store,
    snapshot: () => snapshot,
    realm: REALM,
    persistence: 'write-back',
    writeBackIntervalMs: INTERVAL_MS,
  });
  await adapter.start();
  return { stack, store, adapter };
}

async function stopNode({ stack, store, adapter }: Node): Promise<void> {
  await adapter.stop();
  await stack.close();
  await store.close();
}

async function finalResponse(responses: AsyncIterable<SipResponse>): Promise<SipResponse> {
  let final: SipResponse | undefined;
  for await (const response of responses) if (response.status >= 200) final = response;
  if (!final) throw new Error('no final response');
  return final;
}

/** REGISTER of line 201 with its demo credentials, answering the 401 once. */
async function register201(node: Node): Promise<SipResponse> {
  const [target] = node.stack.listening();
  if (!target) throw new Error('the node listens nowhere');
  const callId = generateCallId();
  const tag = generateTag();
  const build = (cseq: number, headers: [string, string][]): SipRequest =>
    createRequest({
      method: 'REGISTER',
      uri: `sip:${target.address}:${target.port}`,
      from: `<sip:201@${REALM}>;tag=${tag}`,
      to: `<sip:201@${REALM}>`,
      callId,
      cseq,
      contact: formatNameAddr(phone.contact('UDP', '201')),
      headers: [['Expires', '600'], ...headers],
    });
  const first = build(1, []);
  const challenge = await finalResponse(phone.request(first, { target }));
  const authorization = authorizeRequest({
    response: challenge,
    request: first,
    account: { username: '201', password: 'demo-201' },
  });
  if (!authorization.ok) throw new Error(authorization.error.message);
  const values = authorization.value.values.map((value): [string, string] => [
    authorization.value.name,
    value,
  ]);
  return finalResponse(phone.request(build(2, values), { target }));
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strowger-write-back-'));
  const store = await openStore({ dataDir });
  await applyDemoConfig(store);
  await store.close();
  phone = await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
});

afterAll(async () => {
  await phone?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('registrar in write-back mode on the embedded store', () => {
  it('answers before writing, writes at a clean stop, and restores the binding after it', async () => {
    const first = await startNode();
    try {
      expect((await register201(first)).status).toBe(200);
      expect(first.adapter.registrations().map((view) => view.dn)).toEqual(['201']);
      expect(await first.store.registrations.list()).toEqual([]);
    } finally {
      await stopNode(first);
    }

    const second = await startNode();
    try {
      const restored = second.adapter.registrations();
      expect(restored.map((view) => [view.dn, view.phone])).toEqual([['201', 'phone-201']]);
      expect((await second.store.registrations.list()).map((row) => row.line)).toEqual(['201']);
    } finally {
      await stopNode(second);
    }
  });
});
