/**
 * Registrar, status tracker and provisioning of one node on real sockets: phones boot over TFTP
 * and register; the status view (/api/v1/phones/status, show phones, diagnose phone) tells what
 * happened to each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDiagnoseCommand } from '../../../src/cli/diagnose.js';
import { registerShowCommands } from '../../../src/cli/show.js';
import type { DeviceStatus } from '../../../src/features/device-status/index.js';
import { createSipStack, type SipStack } from '../../../src/sip/index.js';
import { getJson, runCommand, startTestNode, type TestNode } from './node.js';
import { fetchPhoneFile, registerPhone } from './test-phone.js';

/** Demo credentials only. */
const CONFIG = `
partitions:
  - name: internal
devicePools:
  - name: hq
    callManagerGroup: [127.0.0.1]
lines:
  - { dn: "301", partition: internal }
  - { dn: "302", partition: internal }
phones:
  - name: SEP003094C2D5CA
    model: Cisco 7960
    devicePool: hq
    sip: { username: "301", password: demo-pass-301 } # demo credential
    lines: [{ dn: "301", partition: internal }]
  - name: SEP0008A37128E9
    model: Cisco 7940
    devicePool: hq
    sip: { username: "302", password: demo-pass-302 } # demo credential
    lines: [{ dn: "302", partition: internal }]
`;

const AUTO_ACCOUNT = { username: 'autoreg', password: 'demo-autoreg-pass' };

let phone: SipStack;
beforeAll(async () => {
  phone = await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
});
afterAll(async () => {
  await phone?.close();
});

async function statusOf(node: TestNode, name: string): Promise<DeviceStatus | undefined> {
  const statuses = await getJson<DeviceStatus[]>(`${node.api}/api/v1/phones/status`);
  return statuses.find((status) => status.name === name);
}

describe('auto-registration off', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({ configText: CONFIG });
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('a phone that fetched its file and registered is registered, with its file, model and load', async () => {
    const file = await fetchPhoneFile(node.tftp, '003094C2D5CA');
    expect(file).toMatchObject({ file: 'SEP003094C2D5CA.cnf.xml', nodes: ['127.0.0.1'] });
    const line = file?.lines[0];
    expect(line).toMatchObject({ dn: '301', authName: '301' });
    const { response } = await registerPhone({
      stack: phone,
      target: node.sip(),
      mac: '003094C2D5CA',
      dn: '301',
      account: { username: line?.authName ?? '', password: line?.authPassword ?? '' },
    });
    expect(response.status).toBe(200);
    expect(await statusOf(node, 'SEP003094C2D5CA')).toMatchObject({
      configured: true,
      status: 'registered',
      reason: null,
      node: `127.0.0.1:${node.sip().port}`,
      protocol: 'sip',
      model: { configured: 'Cisco 7960', seen: '7960G' },
      load: '8.0',
      address: { protocol: 'UDP', address: '127.0.0.1' },
      lastFetch: { file: 'SEP003094C2D5CA.cnf.xml', found: true, via: 'tftp' },
      lastRegistration: { result: 'accepted', status: 200 },
    });
    const diagnosis = await runCommand(registerDiagnoseCommand, [
      'diagnose',
      'phone',
      '0030.94C2.D5CA',
      '--api',
      node.api,
    ]);
    expect(diagnosis.stdout).toContain('SEP003094C2D5CA is registered on 127.0.0.1');
  });

  it('a wrong model is rejected with "version error", visible in /api/v1/phones/status and diagnosed', async () => {
    const file = await fetchPhoneFile(node.tftp, '0008A37128E9');
    const line = file?.lines[0];
    const { response } = await registerPhone({
      stack: phone,
      target: node.sip(),
      mac: '0008A37128E9',
      dn: '302',
      account: { username: line?.authName ?? '', password: line?.authPassword ?? '' },
      userAgent: 'Cisco-CP7960G/8.0',
    });
    expect([response.status, response.reason]).toEqual([403, 'Version Error']);
    expect(response.headers.get('Warning')).toContain('Cisco 7940');
    const status = await statusOf(node, 'SEP0008A37128E9');
    expect(status).toMatchObject({
      status: 'rejected',
      reasonCode: 'version-error',
      model: { seen: '7960G' },
    });
    expect(status?.reason).toBe(
      'version error: SEP0008A37128E9 is configured as Cisco 7940 but the device is a 7960G',
    );

    const { stdout } = await runCommand(registerDiagnoseCommand, [
      'diagnose',
      'phone',
      'SEP0008A37128E9',
      '--api',
      node.api,
    ]);
    expect(stdout).toContain(
      '[ok      ] configuration file (SEP<MAC>.cnf.xml): SEP0008A37128E9.cnf.xml served',
    );
    expect(stdout).toContain('[FAILED  ] registration: 403 rejected (version-error');
    expect(stdout).toContain('1. Cause: wrong phone type configured');
  });

  it('an unknown device finds no file, is rejected at once, and is diagnosed as not configured', async () => {
    expect(await fetchPhoneFile(node.tftp, '001B54BA2B3C')).toBeUndefined();
    const { response } = await registerPhone({
      stack: phone,
      target: node.sip(),
      mac: '001B54BA2B3C',
      dn: '399',
      account: { username: '399', password: 'whatever-it-has' },
    });
    expect([response.status, response.reason]).toEqual([403, 'Unknown Device']);
    expect(await statusOf(node, 'SEP001B54BA2B3C')).toMatchObject({
      configured: false,
      status: 'rejected',
      reasonCode: 'unknown-device',
      lastFetch: { file: 'SEPDefault.cnf.xml', found: false },
    });

    const { stdout } = await runCommand(registerDiagnoseCommand, [
      'diagnose',
      'phone',
      'SEP001B54BA2B3C',
      '--api',
      node.api,
    ]);
    expect(stdout).toContain(
      '[FAILED  ] configuration file (SEP<MAC>.cnf.xml): SEP001B54BA2B3C.cnf.xml not found',
    );
    expect(stdout).toContain(
      '[FAILED  ] default file (SEPDefault.cnf.xml): SEPDefault.cnf.xml not found (auto-registration off)',
    );
    expect(stdout).toContain('Cause: the phone is not in the database and auto-registration is off');
    expect(stdout).toContain('Fix:   add the phone SEP001B54BA2B3C');
  });

  it('show phones lists every phone with its status and reason', async () => {
    const { stdout } = await runCommand(registerShowCommands, ['show', 'phones', '--api', node.api]);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(
      /^Name\s+Model\s+Protocol\s+Status\s+Reason\s+Address\s+Node\s+Load\s+Last file\s+Last REGISTER$/,
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^SEP003094C2D5CA\s+Cisco 7960 \(seen 7960G\)\s+SIP\s+registered\s+-\s+UDP 127\.0\.0\.1:/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^SEP0008A37128E9\s+Cisco 7940 \(seen 7960G\)\s+SIP\s+rejected\s+version error/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^SEP001B54BA2B3C\s+7960G\s+-\s+rejected\s+SEP001B54BA2B3C is not configured/),
    );
    expect(lines).toContain('3 phones, 1 registered, 0 unregistered, 2 rejected, 0 unknown');
  });

  it('answers 404 for the diagnosis of a device nobody saw', async () => {
    const response = await fetch(`${node.api}/api/v1/phones/SEP00000000FFFF/diagnosis`);
    expect(response.status).toBe(404);
  });
});

describe('auto-registration on', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({
      configText: CONFIG,
      phones: {
        autoRegistration: {
          enabled: true,
          account: AUTO_ACCOUNT,
          directoryNumbers: { first: '2000', last: '2009' },
          partition: 'internal',
          devicePool: 'hq',
          callingSearchSpace: null,
        },
      },
    });
  });
  afterAll(async () => {
    await node?.stop();
  });

  /** Boot as seed §2.6–2.8: own file, else the default file and the auto-registration account. */
  async function boot(mac: string): Promise<number> {
    let file = await fetchPhoneFile(node.tftp, mac);
    if (file?.file === 'SEPDefault.cnf.xml') {
      const { response } = await registerPhone({
        stack: phone,
        target: node.sip(),
        mac,
        dn: 'autoreg',
        account: AUTO_ACCOUNT,
      });
      expect([response.status, response.reason]).toEqual([403, 'Device Added']);
      // The phone restarts its configuration and now finds its own file (R-REG-06).
      file = await fetchPhoneFile(node.tftp, mac);
    }
    expect(file?.file).toBe(`SEP${mac}.cnf.xml`);
    const line = file?.lines[0];
    if (line === undefined) throw new Error('no line in the file');
    const { response } = await registerPhone({
      stack: phone,
      target: node.sip(),
      mac,
      dn: line.dn,
      account: { username: line.authName, password: line.authPassword },
    });
    expect(response.status).toBe(200);
    return Number(line.dn);
  }

  it('creates an unconfigured phone with the next free DN; it registers and shows in show phones --json', async () => {
    expect(await boot('001B54BA2B3C')).toBe(2000);
    expect(await boot('001B54BA2B3D')).toBe(2001);
    // The next boot of an added phone uses its own file at once.
    expect(await boot('001B54BA2B3C')).toBe(2000);

    const { stdout } = await runCommand(registerShowCommands, [
      'show',
      'phones',
      '--api',
      node.api,
      '--json',
    ]);
    const listed = JSON.parse(stdout) as DeviceStatus[];
    expect(listed.find((status) => status.name === 'SEP001B54BA2B3C')).toMatchObject({
      configured: true,
      status: 'registered',
      model: { configured: 'Cisco 7960G', seen: '7960G' },
      devicePool: 'hq',
    });
    expect(listed.map((status) => status.name)).toEqual([
      'SEP0008A37128E9',
      'SEP001B54BA2B3C',
      'SEP001B54BA2B3D',
      'SEP003094C2D5CA',
    ]);
    const phones = await getJson<{ name: string; lines: { dn: string }[] }[]>(`${node.api}/api/v1/phones`);
    expect(phones.find((entry) => entry.name === 'SEP001B54BA2B3D')?.lines).toEqual([
      expect.objectContaining({ dn: '2001' }),
    ]);
  });
});
