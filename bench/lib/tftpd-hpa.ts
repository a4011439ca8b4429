/**
 * Debian's tftpd-hpa (`in.tftpd -L`) serving a folder on 127.0.0.1, the TFTP peer of the
 * benchmarks. It forks a process per request, so it may use every core.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import type { RemoteEndpoint } from '../../src/tftp/index.js';
import { freePort } from '../../test/helpers/ports.js';
import { tftpGet } from '../../test/integration/tftp/tftp-client.js';

export interface TftpdHpa {
  readonly endpoint: RemoteEndpoint;
  readonly child: ChildProcess;
}

/** The running server, or why there is none (not installed, did not answer). */
export async function startTftpdHpa(folder: string): Promise<TftpdHpa | string> {
  if (spawnSync('sh', ['-c', 'command -v in.tftpd']).status !== 0)
    return 'tftpd-hpa not installed (Debian package tftpd-hpa)';
  const port = await freePort('UDP');
  // -s chroots into the folder, which needs root; otherwise names resolve from the folder as cwd.
  const secure = process.getuid?.() === 0 ? ['-s', folder] : [folder];
  const child = spawn('in.tftpd', ['-L', '-a', `127.0.0.1:${port}`, ...secure], {
    cwd: folder,
    stdio: 'ignore',
  });
  const endpoint = { address: '127.0.0.1', port };
  // Wait until it answers (a missing file gives error 1).
  for (let attempt = 0; attempt < 50; attempt++) {
    if (child.exitCode !== null) return `in.tftpd exited with ${child.exitCode}`;
    const probe = await tftpGet({ server: endpoint, file: 'no-such-file', timeoutMs: 100, retries: 0 }).catch(
      () => undefined,
    );
    if (probe?.error) return { endpoint, child };
  }
  child.kill();
  return 'in.tftpd did not answer';
}
