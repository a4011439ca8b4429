/**
 * `strowger start --provisioning-files DIR`: a node serves firmware and ring lists from a folder
 * beside the files it generates, over HTTP (6970-style) and TFTP, and nothing outside the folder.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { interopAvailable } from '../../helpers/interop.js';
import { type NodeProcess, startNode } from '../../helpers/node-process.js';
import { freePort } from '../../helpers/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'strowger-files-'));
const files = join(dir, 'phone-files');
const firmware = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
let node: NodeProcess;
let httpPort: number;
let tftpPort: number;
const canRun = interopAvailable('curl');

beforeAll(async () => {
  mkdirSync(files);
  writeFileSync(join(files, 'P0030801SR02.loads'), firmware);
  writeFileSync(join(dir, 'secret.txt'), 'outside the folder');
  httpPort = await freePort('TCP');
  tftpPort = await freePort('UDP');
  node = await startNode({
    dataDir: join(dir, 'data'),
    config: 'examples/demo.yaml',
    extraArgs: [
      '--provisioning-files',
      files,
      '--provisioning-http-port',
      String(httpPort),
      '--tftp-port',
      String(tftpPort),
    ],
  });
});

afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it.runIf(canRun)(
  'serves a static file over HTTP and TFTP, byte for byte, and the generated XMLDefault',
  async () => {
    const http = await fetch(`http://127.0.0.1:${httpPort}/P0030801SR02.loads`);
    expect(http.status).toBe(200);
    expect(Buffer.from(await http.arrayBuffer()).equals(firmware)).toBe(true);
    const tftp = spawnSync('curl', [
      '-s',
      '--max-time',
      '10',
      `tftp://127.0.0.1:${tftpPort}/P0030801SR02.loads`,
    ]);
    expect(tftp.status).toBe(0);
    expect(Buffer.from(tftp.stdout).equals(firmware)).toBe(true);
    const generated = await fetch(`http://127.0.0.1:${httpPort}/XMLDefault.cnf.xml`);
    expect(generated.status).toBe(200);
    expect(await generated.text()).toContain('<callManagerGroup>');
  },
);

it.runIf(canRun)('never serves anything outside the folder', async () => {
  const outside = await fetch(`http://127.0.0.1:${httpPort}/..%2Fsecret.txt`);
  expect([403, 404]).toContain(outside.status);
  const tftp = spawnSync('curl', ['-s', '--max-time', '10', `tftp://127.0.0.1:${tftpPort}/../secret.txt`]);
  expect(tftp.status).not.toBe(0);
});
