/**
 * A Strowger node started in this process on ephemeral loopback ports (SIP over UDP and TCP,
 * TFTP, management API) with a configuration text, and the CLI run against it in-process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import pino from 'pino';
import { vi } from 'vitest';
import { resolveNodeSettings, validateConfigText } from '../../../src/admin/index.js';
import { type PhoneAdmission, type RunningServer, startServer } from '../../../src/server/server.js';
import type { Endpoint, TransportProtocol } from '../../../src/sip/index.js';
import type { RemoteEndpoint } from '../../../src/tftp/index.js';

export interface TestNode {
  readonly server: RunningServer;
  readonly api: string;
  readonly tftp: RemoteEndpoint;
  readonly dataDir: string;
  sip(protocol?: TransportProtocol): Endpoint;
  /** Stops the node; `keepData` leaves its store for a restart. */
  stop(keepData?: boolean): Promise<void>;
}

export interface NodeOptions {
  readonly configText: string;
  readonly phones?: PhoneAdmission;
  readonly bind?: string;
  /** Same port for UDP and TCP; default ephemeral (then they differ). */
  readonly sipPort?: number;
  /** Reuse a stopped node's store. */
  readonly dataDir?: string;
}

export async function startTestNode(options: NodeOptions): Promise<TestNode> {
  const validated = validateConfigText(options.configText, 'test.yaml');
  if (!validated.ok) throw new Error(validated.errors.map((error) => error.message).join('; '));
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'strowger-device-status-')));
  const port = options.sipPort ?? 0;
  const resolved = resolveNodeSettings({
    flags: {
      bind: options.bind ?? '127.0.0.1',
      sipUdpPort: port,
      sipTcpPort: port,
      httpPort: 0,
      tftpPort: 0,
      provisioningHttpPort: 'off',
      dataDir,
      logLevel: 'silent',
    },
  });
  if (!resolved.ok) throw new Error(resolved.errors.join('; '));
  const server = await startServer({
    settings: resolved.settings,
    config: validated.file,
    logger: pino({ level: 'silent' }),
    phones: options.phones,
  });
  const tftp = server.provisioning.addresses().tftp;
  if (server.api === null || tftp === null) throw new Error('the node serves no API or TFTP');
  return {
    server,
    api: `http://${server.api.address}:${server.api.port}`,
    tftp,
    dataDir,
    sip: (protocol = 'UDP') => {
      const endpoint = server.sip.listening().find((listener) => listener.protocol === protocol);
      if (!endpoint) throw new Error(`the node has no ${protocol} listener`);
      return endpoint;
    },
    stop: async (keepData = false) => {
      await server.stop();
      if (!keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return (await response.json()) as T;
}

/** Runs a `strowger` command registered by `register` in this process; returns what it printed. */
export async function runCommand(
  register: (program: Command) => void,
  args: string[],
): Promise<{ stdout: string; stderr: string; exitCode: unknown }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const program = new Command('strowger').exitOverride();
    register(program);
    await program.parseAsync(args, { from: 'user' });
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  return { stdout, stderr, exitCode };
}
