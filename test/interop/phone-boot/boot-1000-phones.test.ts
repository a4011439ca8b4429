/**
 * A simulated boot of 1,000 phones on loopback against one node: each fetches its
 * `SEP<MAC>.cnf.xml` over TFTP, takes its line and credentials from it and REGISTERs with
 * digest authentication, as CP-7960G SIP firmware does. Every phone must end registered in the
 * node's status view, with its file fetch recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../../../src/features/device-status/index.js';
import { createSipStack, type SipStack } from '../../../src/sip/index.js';
import { getJson, startTestNode, type TestNode } from '../../integration/device-status/node.js';
import { fetchPhoneFile, registerPhone } from '../../integration/device-status/test-phone.js';

const PHONES = 1000;
/** Phones booting at once: a building's worth after a power cut, at the pace of one client stack. */
const CONCURRENCY = 50;

const macOf = (index: number) => `00AA${index.toString(16).toUpperCase().padStart(8, '0')}`;
const dnOf = (index: number) => String(5000 + index);

/** The generated configuration: 1,000 SIP phones, one line each (demo credentials only). */
function configText(): string {
  const lines: string[] = [
    'partitions:',
    '  - name: internal',
    'devicePools:',
    '  - name: floor',
    '    callManagerGroup: [127.0.0.1]',
    'lines:',
  ];
  for (let index = 0; index < PHONES; index++)
    lines.push(`  - { dn: "${dnOf(index)}", partition: internal }`);
  lines.push('phones:');
  for (let index = 0; index < PHONES; index++) {
    lines.push(
      `  - name: SEP${macOf(index)}`,
      '    model: Cisco 7960',
      '    devicePool: floor',
      `    sip: { username: "${dnOf(index)}", password: demo-boot-${index} }`,
      `    lines: [{ dn: "${dnOf(index)}", partition: internal }]`,
    );
  }
  return `${lines.join('\n')}\n`;
}

let node: TestNode;
let phones: SipStack;

beforeAll(async () => {
  node = await startTestNode({ configText: configText() });
  phones = await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
}, 120_000);

afterAll(async () => {
  await phones?.close();
  await node?.stop();
});

/** One phone's boot: its file over TFTP, then REGISTER with what the file says. */
async function boot(index: number): Promise<number> {
  const mac = macOf(index);
  const file = await fetchPhoneFile(node.tftp, mac);
  const line = file?.lines[0];
  if (file?.file !== `SEP${mac}.cnf.xml` || line === undefined) return 0;
  const { response } = await registerPhone({
    stack: phones,
    target: node.sip(),
    mac,
    dn: line.dn,
    account: { username: line.authName, password: line.authPassword },
  });
  return response.status;
}

describe('1,000 phones boot on loopback', () => {
  it('every phone fetches its file and ends registered', async () => {
    const statuses = new Array<number>(PHONES);
    let next = 0;
    const worker = async () => {
      while (next < PHONES) {
        const index = next++;
        statuses[index] = await boot(index);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(statuses.filter((status) => status !== 200)).toEqual([]);

    const view = await getJson<DeviceStatus[]>(`${node.api}/api/v1/phones/status`);
    expect(view).toHaveLength(PHONES);
    const notRegistered = view
      .filter((status) => status.status !== 'registered')
      .map((status) => status.name);
    expect(notRegistered).toEqual([]);
    const withoutFile = view.filter((status) => !status.lastFetch?.found).map((status) => status.name);
    expect(withoutFile).toEqual([]);
    expect(node.server.lines.stats().bindings).toBe(PHONES);
  }, 120_000);
});
