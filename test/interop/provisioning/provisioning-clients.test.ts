/**
 * Interop: Debian's tftp-hpa and curl fetch generated phone files from the provisioning service
 * (TFTP and HTTP), xmllint validates what they got against the schema for the generated files,
 * and Kea and dnsmasq accept the DHCP snippets.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createProvisioningService,
  type DhcpServerKind,
  dhcpSnippet,
  type ProvisioningService,
} from '../../../src/provisioning/index.js';
import type { RemoteEndpoint } from '../../../src/tftp/index.js';
import {
  CONFIG_XSD,
  provisioningSnapshot,
  SCCP_PHONE,
  SIP_PASSWORD,
  SIP_PHONE,
  TEST_SETTINGS,
  UNKNOWN_PHONE,
} from '../../fixtures/provisioning/config.js';
import { interopAvailable } from '../../helpers/interop.js';

const run = promisify(execFile);

let folder: string;
let service: ProvisioningService;
let tftp: RemoteEndpoint;
let http: RemoteEndpoint;

beforeAll(async () => {
  folder = mkdtempSync(path.join(tmpdir(), 'strowger-provisioning-interop-'));
  service = createProvisioningService({
    snapshot: () => provisioningSnapshot(42),
    tftp: { address: '127.0.0.1', port: 0 },
    http: { address: '127.0.0.1', port: 0 },
    settings: TEST_SETTINGS,
  });
  await service.start();
  const addresses = service.addresses();
  if (!addresses.tftp || !addresses.http) throw new Error('listeners not bound');
  tftp = addresses.tftp;
  http = addresses.http;
});
afterAll(async () => {
  await service?.stop();
  rmSync(folder, { recursive: true, force: true });
});

const output = (name: string) => path.join(folder, `${name}-${Math.random().toString(36).slice(2)}`);

async function validates(file: string): Promise<void> {
  const { stderr } = await run('xmllint', ['--noout', '--schema', CONFIG_XSD, file]);
  expect(stderr).toBe(`${file} validates\n`);
}

describe.runIf(interopAvailable('tftp', 'xmllint'))('tftp-hpa', () => {
  it('fetches a SIP phone file that validates', async () => {
    const target = output('sip');
    await run('tftp', [
      '-m',
      'octet',
      '127.0.0.1',
      String(tftp.port),
      '-c',
      'get',
      `${SIP_PHONE}.cnf.xml`,
      target,
    ]);
    expect(readFileSync(target, 'utf8')).toContain(`<authPassword>${SIP_PASSWORD}</authPassword>`);
    await validates(target);
  });

  it('gets error 1 for an unknown MAC and for SEPDefault with auto-registration off', async () => {
    for (const file of [`${UNKNOWN_PHONE}.cnf.xml`, 'SEPDefault.cnf.xml']) {
      const { stdout, stderr } = await run('tftp', [
        '127.0.0.1',
        String(tftp.port),
        '-c',
        'get',
        file,
        output('x'),
      ]);
      expect(`${stdout}${stderr}`, file).toMatch(/Error code 1/);
    }
  });
});

describe.runIf(interopAvailable('curl', 'xmllint'))('curl', () => {
  it('fetches an SCCP phone file over tftp:// that validates', async () => {
    const target = output('sccp');
    await run('curl', [
      '-sS',
      '-o',
      target,
      `tftp://127.0.0.1:${tftp.port}/${SCCP_PHONE.toLowerCase()}.cnf.xml`,
    ]);
    expect(readFileSync(target, 'utf8')).toContain('<ethernetPhonePort>2002</ethernetPhonePort>');
    await validates(target);
  });

  it('fetches SEP<MAC>.cnf.xml and XMLDefault.cnf.xml over http:// that validate', async () => {
    for (const file of [`${SIP_PHONE}.cnf.xml`, 'XMLDefault.cnf.xml']) {
      const target = output('http');
      await run('curl', ['-sS', '--fail', '-o', target, `http://127.0.0.1:${http.port}/${file}`]);
      await validates(target);
    }
  });

  it('gets 404 for an unknown MAC over http://', async () => {
    const { stdout } = await run('curl', [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `http://127.0.0.1:${http.port}/${UNKNOWN_PHONE}.cnf.xml`,
    ]);
    expect(stdout).toBe('404');
  });

  it('shows the fetches in the phone’s log', () => {
    expect(service.fetches(SCCP_PHONE)).toContainEqual(
      expect.objectContaining({ file: `${SCCP_PHONE.toLowerCase()}.cnf.xml`, found: true, via: 'tftp' }),
    );
  });
});

const dhcpOptions = {
  tftpServers: ['10.1.1.5', '10.1.1.6'],
  subnet: '10.1.1.0/24',
  router: '10.1.1.1',
  dnsServers: ['10.1.1.2'],
  domainName: 'example.com',
};

function writeSnippet(kind: DhcpServerKind): string {
  const result = dhcpSnippet(kind, dhcpOptions);
  if (!result.ok) throw new Error(result.error);
  const file = output(kind);
  writeFileSync(file, result.text);
  return file;
}

describe.runIf(interopAvailable('kea-dhcp4'))('Kea', () => {
  it('accepts the Kea snippet', async () => {
    const { stdout, stderr } = await run('kea-dhcp4', ['-t', writeSnippet('kea')]);
    expect(`${stdout}${stderr}`).toContain('a new subnet has been added to configuration: 10.1.1.0/24');
  });
});

describe.runIf(interopAvailable('dnsmasq'))('dnsmasq', () => {
  it('accepts the dnsmasq snippet', async () => {
    const { stderr } = await run('dnsmasq', ['--test', '-C', writeSnippet('dnsmasq')]);
    expect(stderr).toContain('syntax check OK');
  });
});
