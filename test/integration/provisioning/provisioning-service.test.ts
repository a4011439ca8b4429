/**
 * The provisioning service on 127.0.0.1 with ephemeral ports: phones' files over TFTP and HTTP,
 * the file-not-found rules, static files, the fetch log, and files that follow the configuration.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigSnapshot } from '../../../src/admin/index.js';
import {
  createProvisioningService,
  type ProvisioningService,
  type ProvisioningSettingsInput,
} from '../../../src/provisioning/index.js';
import type { RemoteEndpoint } from '../../../src/tftp/index.js';
import {
  provisioningSnapshot,
  SCCP_PHONE,
  SIP_PASSWORD,
  SIP_PHONE,
  TEST_SETTINGS,
  UNKNOWN_PHONE,
} from '../../fixtures/provisioning/config.js';
import { tftpGet } from '../tftp/tftp-client.js';

interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function httpGet(server: RemoteEndpoint, target: string, method = 'GET'): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: server.address, port: server.port, path: target, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

let folder: string;
const firmware = Buffer.alloc(300_000, 7);

beforeAll(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'strowger-provisioning-'));
  writeFileSync(path.join(folder, 'P00308010200.loads'), firmware);
  writeFileSync(path.join(folder, 'RINGLIST.DAT'), 'Piano1.raw\tPiano 1\n');
  mkdirSync(path.join(folder, 'Desktops', '320x212x12'), { recursive: true });
  writeFileSync(path.join(folder, 'Desktops', '320x212x12', 'List.xml'), '<CiscoIPPhoneImageList/>');
  // A stale file for an unknown phone must never be served: the database decides (R-REG-04).
  writeFileSync(path.join(folder, `${UNKNOWN_PHONE}.cnf.xml`), '<device/>');
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function startService(settings: ProvisioningSettingsInput, snapshot: () => ConfigSnapshot) {
  const service = createProvisioningService({
    snapshot,
    tftp: { address: '127.0.0.1', port: 0 },
    http: { address: '127.0.0.1', port: 0 },
    staticFolders: [folder],
    settings,
  });
  await service.start();
  const { tftp, http } = service.addresses();
  if (!tftp || !http) throw new Error('listeners not bound');
  return { service, tftp, http };
}

describe('with auto-registration off', () => {
  let service: ProvisioningService;
  let tftp: RemoteEndpoint;
  let http: RemoteEndpoint;
  let snapshot = provisioningSnapshot(42);

  beforeAll(async () => {
    ({ service, tftp, http } = await startService(TEST_SETTINGS, () => snapshot));
  });
  afterAll(() => service.stop());

  it('serves SEP<MAC>.cnf.xml over TFTP, in any case', async () => {
    const result = await tftpGet({ server: tftp, file: `${SIP_PHONE.toLowerCase()}.cnf.xml` });
    expect(result.error).toBeUndefined();
    const xml = result.data?.toString() ?? '';
    expect(xml).toContain('<deviceProtocol>SIP</deviceProtocol>');
    expect(xml).toContain(`<authPassword>${SIP_PASSWORD}</authPassword>`);
    expect(xml).toContain('<versionStamp>42</versionStamp>');
  });

  it('answers File Not Found (error 1) for an unknown MAC and for SEPDefault', async () => {
    for (const file of [
      `${UNKNOWN_PHONE}.cnf.xml`,
      `${UNKNOWN_PHONE}.cnf`,
      'SEPDefault.cnf.xml',
      'SEPdefault.cnf',
    ]) {
      const result = await tftpGet({ server: tftp, file });
      expect(result.error?.code, file).toBe(1);
    }
  });

  it('serves static files from the folders, and XMLDefault', async () => {
    const loads = await tftpGet({ server: tftp, file: 'p00308010200.LOADS', options: [['blksize', '1428']] });
    expect(loads.data?.equals(firmware)).toBe(true);
    const xmlDefault = await tftpGet({ server: tftp, file: 'XMLDefault.cnf.xml' });
    expect(xmlDefault.data?.toString()).toContain('<loadInformation7 model="Cisco 7960">P00308010200<');
  });

  it('serves the same files over HTTP', async () => {
    const viaHttp = await httpGet(http, `/${SCCP_PHONE}.cnf.xml`);
    const viaTftp = await tftpGet({ server: tftp, file: `${SCCP_PHONE}.cnf.xml` });
    expect(viaHttp.status).toBe(200);
    expect(viaHttp.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(viaHttp.headers['cache-control']).toBe('no-store');
    expect(viaHttp.body).toBe(viaTftp.data?.toString());

    const loads = await httpGet(http, '/P00308010200.loads');
    expect(loads.status).toBe(200);
    expect(loads.headers['content-length']).toBe(String(firmware.length));
    expect((await httpGet(http, '/RINGLIST.DAT?x=1')).body).toBe('Piano1.raw\tPiano 1\n');
    expect((await httpGet(http, '/Desktops/320x212x12/List.xml')).body).toBe('<CiscoIPPhoneImageList/>');
    const head = await httpGet(http, `/${SIP_PHONE}.cnf.xml`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers 404, 405, 403 and 400 as HTTP says', async () => {
    expect((await httpGet(http, `/${UNKNOWN_PHONE}.cnf.xml`)).status).toBe(404);
    expect((await httpGet(http, '/SEPDefault.cnf.xml')).status).toBe(404);
    expect((await httpGet(http, '/')).status).toBe(404);
    const post = await httpGet(http, `/${SIP_PHONE}.cnf.xml`, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await httpGet(http, `/${SIP_PHONE}.cnf.xml`, 'PUT')).status).toBe(405);
    for (const target of ['/../../etc/passwd', '/%2E%2E/%2E%2E/etc/passwd', '//etc/passwd', '/a%5C..%5Cb'])
      expect((await httpGet(http, target)).status, target).toBe(403);
    expect((await httpGet(http, '/%E0%A4%A')).status).toBe(400);
  });

  it('builds each file from the snapshot of the moment (R-REG-09, R-REG-10)', async () => {
    snapshot = provisioningSnapshot(43);
    expect((await httpGet(http, `/${SIP_PHONE}.cnf.xml`)).body).toContain('<versionStamp>43</versionStamp>');
    const withoutSip = provisioningSnapshot(44);
    snapshot = {
      ...withoutSip,
      phones: new Map([...withoutSip.phones].filter(([name]) => name !== SIP_PHONE)),
    };
    expect((await tftpGet({ server: tftp, file: `${SIP_PHONE}.cnf.xml` })).error?.code).toBe(1);
    snapshot = provisioningSnapshot(42);
  });

  it('logs each phone’s fetches from both servers', async () => {
    const fetches = service.fetches(SCCP_PHONE).map(({ file, found, via }) => ({ file, found, via }));
    expect(fetches).toContainEqual({ file: `${SCCP_PHONE}.cnf.xml`, found: true, via: 'http' });
    expect(fetches).toContainEqual({ file: `${SCCP_PHONE}.cnf.xml`, found: true, via: 'tftp' });
    expect(service.fetches(UNKNOWN_PHONE)).toContainEqual(
      expect.objectContaining({ file: `${UNKNOWN_PHONE}.cnf.xml`, found: false, via: 'tftp' }),
    );
    const stats = service.stats();
    expect(stats.tftp?.errorsSent[1]).toBeGreaterThanOrEqual(5);
    expect(stats.http?.notFound).toBeGreaterThanOrEqual(3);
  });
});

describe('with auto-registration on', () => {
  let service: ProvisioningService;
  let tftp: RemoteEndpoint;
  let http: RemoteEndpoint;

  beforeAll(async () => {
    ({ service, tftp, http } = await startService(
      { ...TEST_SETTINGS, autoRegistration: { enabled: true, devicePool: 'hq' } },
      () => provisioningSnapshot(42),
    ));
  });
  afterAll(() => service.stop());

  it('serves SEPDefault over TFTP and HTTP, still not an unknown MAC', async () => {
    const viaTftp = await tftpGet({ server: tftp, file: 'SEPDefault.cnf.xml' });
    expect(viaTftp.data?.toString()).toContain('<processNodeName>10.0.0.2</processNodeName>');
    const legacy = await tftpGet({ server: tftp, file: 'SEPdefault.cnf' });
    expect(legacy.data?.toString()).toContain('callManager1: 2000, , , ,10.0.0.2\n');
    expect((await httpGet(http, '/sepdefault.cnf.xml')).status).toBe(200);
    expect((await tftpGet({ server: tftp, file: `${UNKNOWN_PHONE}.cnf.xml` })).error?.code).toBe(1);
  });
});

describe('service lifecycle', () => {
  it('releases what it opened when a listener cannot bind', async () => {
    const { service: first, http } = await startService({}, () => provisioningSnapshot());
    const second = createProvisioningService({
      snapshot: () => provisioningSnapshot(),
      tftp: { address: '127.0.0.1', port: 0 },
      http: { address: '127.0.0.1', port: http.port },
    });
    await expect(second.start()).rejects.toThrow(/EADDRINUSE/);
    expect(second.addresses()).toEqual({ tftp: null, http: null });
    await first.stop();
  });

  it('offers this node to phones when no node list is configured', async () => {
    const service = createProvisioningService({
      snapshot: () => provisioningSnapshot(),
      tftp: false,
      http: { address: '127.0.0.1', port: 0 },
    });
    await service.start();
    const http = service.addresses().http;
    if (!http) throw new Error('not bound');
    expect((await httpGet(http, '/XMLDefault.cnf.xml')).body).toContain('<processNodeName>127.0.0.1<');
    await service.stop();
  });
});
