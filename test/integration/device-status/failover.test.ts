/**
 * CallManager group failover (R-REG-22, R-REG-23, R-REG-37): two nodes with the same
 * configuration (each its own embedded store) on 127.0.0.1 and 127.0.0.2, listed primary then
 * secondary in the phone's file. A test phone that honours the list moves to the secondary when
 * the primary dies and returns to the primary when it is back (seed §3.7); each node's status
 * view shows where the phone is, and diagnose phone reads both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDiagnoseCommand } from '../../../src/cli/diagnose.js';
import type { DeviceStatus } from '../../../src/features/device-status/index.js';
import {
  createSipStack,
  type DigestAccount,
  type Endpoint,
  generateCallId,
  type SipStack,
} from '../../../src/sip/index.js';
import { freePort } from '../../helpers/ports.js';
import { getJson, runCommand, startTestNode, type TestNode } from './node.js';
import { fetchPhoneFile, type PhoneFile, registerPhone } from './test-phone.js';

const MAC = '003094C2D5CA';
const NAME = `SEP${MAC}`;
const PRIMARY = '127.0.0.1';
const SECONDARY = '127.0.0.2';

/** Demo credentials only. */
const CONFIG = `
partitions:
  - name: internal
devicePools:
  - name: hq
    callManagerGroup: [${PRIMARY}, ${SECONDARY}]
lines:
  - { dn: "301", partition: internal }
phones:
  - name: ${NAME}
    model: Cisco 7960
    devicePool: hq
    sip: { username: "301", password: demo-pass-301 } # demo credential
    lines: [{ dn: "301", partition: internal }]
`;

/**
 * A phone keeping its registration with the first reachable member of its CallManager group:
 * every keepalive tries the members in order, so while on a backup it keeps trying the ones
 * before it, and on getting one back it moves there and leaves the backup (seed §3.7: "after some time they automatically return to the
 * primary"). Each keepalive is one call of `keepalive()`, so the test owns time.
 */
class FailoverPhone {
  /** Index in the group of the node registered with; -1 when none. */
  current = -1;
  private readonly callIds = new Map<number, { callId: string; cseq: number }>();

  constructor(
    private readonly stack: SipStack,
    private readonly file: PhoneFile,
    private readonly port: number,
  ) {}

  get node(): string | undefined {
    return this.file.nodes[this.current];
  }

  async keepalive(): Promise<void> {
    for (let index = 0; index < this.file.nodes.length; index++) {
      if (await this.register(index, 600)) {
        if (this.current >= 0 && this.current !== index) await this.register(this.current, 0);
        this.current = index;
        return;
      }
    }
    this.current = -1;
  }

  /** One REGISTER (RFC 3261 §10.2.4: same Call-ID per registrar, CSeq going up); true on 200. */
  private async register(index: number, expires: number): Promise<boolean> {
    const node = this.file.nodes[index];
    const line = this.file.lines[0];
    if (node === undefined || line === undefined) return false;
    const dialog = this.callIds.get(index) ?? { callId: generateCallId(), cseq: 1 };
    const account: DigestAccount = { username: line.authName, password: line.authPassword };
    const target: Endpoint = { protocol: 'TCP', address: node, port: this.port };
    try {
      const { response, cseq } = await registerPhone({
        stack: this.stack,
        target,
        mac: MAC,
        dn: line.dn,
        account,
        expires,
        ...dialog,
      });
      this.callIds.set(index, { callId: dialog.callId, cseq });
      return response.status === 200;
    } catch {
      // The node is gone (connection refused): the next member is tried.
      return false;
    }
  }
}

let port: number;
let primary: TestNode;
let secondary: TestNode;
let phone: SipStack;

async function statusOn(node: TestNode): Promise<DeviceStatus | undefined> {
  const statuses = await getJson<DeviceStatus[]>(`${node.api}/api/v1/phones/status`);
  return statuses.find((status) => status.name === NAME);
}

beforeAll(async () => {
  port = await freePort('TCP');
  primary = await startTestNode({ configText: CONFIG, bind: PRIMARY, sipPort: port });
  secondary = await startTestNode({ configText: CONFIG, bind: SECONDARY, sipPort: port });
  // A short T1 makes a node that does not answer time out in 64*T1 = 3.2 s (RFC 3261 §17.1.2.2).
  phone = await createSipStack({
    transports: [{ protocol: 'TCP', address: '127.0.0.1', port: 0 }],
    timers: { T1: 50 },
  });
}, 60_000);

afterAll(async () => {
  await phone?.close();
  await primary?.stop();
  await secondary?.stop();
});

describe('CallManager group failover between two nodes', () => {
  it('registers with the primary, fails over to the secondary and returns to the primary', async () => {
    const file = await fetchPhoneFile(primary.tftp, MAC);
    expect(file?.nodes).toEqual([PRIMARY, SECONDARY]);
    if (file === undefined) throw new Error('no file');
    const failover = new FailoverPhone(phone, file, port);

    await failover.keepalive();
    expect(failover.node).toBe(PRIMARY);
    expect(await statusOn(primary)).toMatchObject({ status: 'registered', node: `${PRIMARY}:${port}` });
    expect(await statusOn(secondary)).toMatchObject({ status: 'unknown' });

    // The primary dies: the next keepalive finds it gone and the phone moves on.
    await primary.stop(true);
    await failover.keepalive();
    expect(failover.node).toBe(SECONDARY);
    expect(await statusOn(secondary)).toMatchObject({ status: 'registered', node: `${SECONDARY}:${port}` });

    // It comes back (same store): the phone returns and leaves the secondary.
    primary = await startTestNode({
      configText: CONFIG,
      bind: PRIMARY,
      sipPort: port,
      dataDir: primary.dataDir,
    });
    await failover.keepalive();
    expect(failover.node).toBe(PRIMARY);
    expect(await statusOn(primary)).toMatchObject({ status: 'registered', address: { protocol: 'TCP' } });
    const backup = await statusOn(secondary);
    expect(backup).toMatchObject({ status: 'unregistered', reason: 'unregistered by the phone' });
    expect(backup?.history.map((transition) => [transition.status, transition.node])).toEqual([
      ['registered', `${SECONDARY}:${port}`],
      ['unregistered', `${SECONDARY}:${port}`],
    ]);

    const { stdout } = await runCommand(registerDiagnoseCommand, [
      'diagnose',
      'phone',
      NAME,
      '--api',
      primary.api,
      '--api',
      secondary.api,
    ]);
    expect(stdout).toContain(`Phone ${NAME} on ${PRIMARY}:${port}, ${SECONDARY}:${port}`);
    expect(stdout).toContain(
      `[ok      ] status: ${PRIMARY}:${port}: registered; ${SECONDARY}:${port}: unregistered`,
    );
  }, 60_000);
});
