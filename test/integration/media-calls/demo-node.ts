/**
 * A running node (`startServer`) on the demo configuration with anchored media on ephemeral
 * listeners: what the tests of the node's views (recording, the media plane) start once per file.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { type NodeSettingsFlags, resolveNodeSettings, validateConfigText } from '../../../src/admin/index.js';
import { type RunningServer, startServer } from '../../../src/server/server.js';

export interface DemoNode {
  readonly node: RunningServer;
  /** Base URL of its management API. */
  readonly api: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** Starts the demo node with one RTP worker, no media timeout and `flags` on top. */
export async function startDemoNode(name: string, flags: NodeSettingsFlags = {}): Promise<DemoNode> {
  const text = readFileSync(new URL('../../../examples/demo.yaml', import.meta.url), 'utf8');
  const validated = validateConfigText(text, 'demo.yaml');
  if (!validated.ok) throw new Error('examples/demo.yaml does not validate');
  const dataDir = await mkdtemp(path.join(tmpdir(), `strowger-${name}-`));
  const base = 40_000 + Math.floor(Math.random() * 200) * 100;
  const resolved = resolveNodeSettings({
    flags: {
      bind: '127.0.0.1',
      sipUdpPort: 0,
      sipTcpPort: 0,
      httpPort: 0,
      tftpPort: 'off',
      provisioningHttpPort: 'off',
      dataDir,
      logLevel: 'silent',
      mediaPortRange: `${base}-${base + 99}`,
      mediaWorkers: 1,
      mediaTimeoutSeconds: 0,
      ...flags,
    },
  });
  if (!resolved.ok) throw new Error(resolved.errors.join('; '));
  const node = await startServer({
    settings: resolved.settings,
    config: validated.file,
    logger: pino({ level: 'silent' }),
  });
  if (node.api === null) throw new Error('the node serves no API');
  return {
    node,
    api: `http://${node.api.address}:${node.api.port}`,
    dataDir,
    stop: async () => {
      await node.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
