/**
 * What an operator sees of a node process: `strowger show … --json` and `/metrics`, and a wait
 * until the calls a test placed have ended and their records are stored (records are written
 * after the call clears, so a test waits for them rather than for a time).
 */
import { expect } from 'vitest';
import type { CallView } from '../../../src/api/index.js';
import type { CdrJson } from '../../../src/cli/show.js';
import type { NodeProcess } from '../../helpers/node-process.js';

export async function showJson<T>(node: NodeProcess, ...args: string[]): Promise<T> {
  const shown = await node.cli('show', ...args, '--json');
  if (shown.code !== 0) throw new Error(`strowger show ${args.join(' ')} failed: ${shown.stderr}`);
  return JSON.parse(shown.stdout) as T;
}

async function getJson<T>(node: NodeProcess, path: string): Promise<T> {
  const response = await fetch(`${node.api}/api/v1${path}`);
  if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
  return (await response.json()) as T;
}

/**
 * Waits until no call is up and `total` records are stored, then returns the newest `count`
 * records as `strowger show cdr --json` prints them, with `show calls --json` (empty).
 */
export async function settle(
  node: NodeProcess,
  total: number,
  count = 1,
): Promise<{ records: CdrJson[]; calls: CallView[] }> {
  await expect
    .poll(async () => (await getJson<CallView[]>(node, '/calls')).length, { timeout: 20_000, interval: 100 })
    .toBe(0);
  await expect
    .poll(async () => (await getJson<CdrJson[]>(node, '/cdrs?limit=1000')).length, {
      timeout: 20_000,
      interval: 100,
    })
    .toBe(Math.min(total, 1000));
  const [records, calls] = await Promise.all([
    showJson<CdrJson[]>(node, 'cdr', '--limit', String(count)),
    showJson<CallView[]>(node, 'calls'),
  ]);
  return { records, calls };
}

/** `strowger_calls_ended_total` by cause, from the node's `/metrics`. */
export async function callsEnded(node: NodeProcess): Promise<Record<string, number>> {
  const response = await fetch(`${node.api}/metrics`);
  const text = await response.text();
  const ended: Record<string, number> = {};
  for (const match of text.matchAll(/^strowger_calls_ended_total\{cause="([^"]+)"\} (\d+)$/gm)) {
    if (match[1] !== undefined) ended[match[1]] = Number(match[2]);
  }
  return ended;
}
