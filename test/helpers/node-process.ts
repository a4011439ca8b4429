/**
 * Runs `strowger start` as a user does: a separate process on ephemeral ports with its own data
 * directory, ready once its management API answers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface NodeProcess {
  readonly sipPort: number;
  readonly api: string;
  /** Everything the node printed (JSON log lines). */
  output(): string;
  /** `strowger <args>` against this node, e.g. `show registrations --json`. */
  cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** SIGTERM, resolving with the exit code. */
  stop(): Promise<number | null>;
}

export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function startNode(options: {
  dataDir: string;
  config?: string;
  sipPort?: number;
  extraArgs?: string[];
}): Promise<NodeProcess> {
  const sipPort = options.sipPort ?? (await freePort('UDP'));
  const httpPort = await freePort('TCP');
  const api = `http://127.0.0.1:${httpPort}`;
  const args = [
    'start',
    ...(options.config ? ['--config', options.config] : []),
    '--data-dir',
    options.dataDir,
    '--sip-port',
    String(sipPort),
    '--http-port',
    String(httpPort),
    '--tftp-port',
    'off',
    '--provisioning-http-port',
    'off',
    ...(options.extraArgs ?? []),
  ];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`strowger start exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${api}/api/v1/status`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`strowger start did not come up within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    sipPort,
    api,
    output: () => output,
    cli: (...cliArgs) => runCli([...cliArgs, '--api', api]),
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
