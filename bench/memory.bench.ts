/**
 * Memory of the server: idle RSS of `strowger start` with the demo configuration (peer: Kamailio
 * idle with tm and sl, one worker, in the same run) and heap per call with 5,000 calls up.
 * Bytes per registration with 10,000 lines: bench/register.bench.ts.
 *
 * Method:
 * - Everything runs compiled by tsc, as the product runs (see runCompiled in calls.bench.ts).
 * - Idle: the node is started as a user starts it and read from /proc 10 s after its API
 *   answers; Kamailio's figure is PSS over its process tree (its workers share memory).
 * - Calls: calls.bench.ts with `--calls 0 --held 5000`, which holds the calls up through the
 *   B2BUA and reads the heap when they are up and once their transactions have ended.
 *
 * Run: node --expose-gc --import tsx bench/memory.bench.ts [--tsx]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasProgram } from '../test/helpers/interop.js';
import { freePort } from '../test/helpers/ports.js';
import { runCompiled } from './calls.bench.js';
import { kamailioCore } from './lib/kamailio.js';
import { printTable } from './lib/measure.js';
import { processTree, pssBytes } from './lib/proc-stats.js';

const ROOT = process.env.STROWGER_BENCH_ROOT ?? fileURLToPath(new URL('..', import.meta.url));
const ADDRESS = '127.0.0.1';
const MODULE_PATH = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';
const HELD_CALLS = 5000;
/** After start: long enough for start-up garbage to be collected and the heap to shrink. */
const IDLE_SETTLE_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Starts `command`, waits until `ready` says so, reads `measure`, and stops it again. */
async function measureIdle(
  command: string,
  args: string[],
  ready: (child: ChildProcess) => Promise<boolean>,
  measure: (pid: number) => number,
): Promise<number> {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('latin1')).slice(-4000);
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    const deadline = Date.now() + 60_000;
    while (!(await ready(child))) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`${command} did not start:\n${log}`);
      await sleep(200);
    }
    await sleep(IDLE_SETTLE_MS);
    return measure(child.pid ?? -1);
  } finally {
    child.kill('SIGTERM');
    await closed;
  }
}

async function idleStrowger(work: string): Promise<number> {
  const httpPort = await freePort('TCP');
  const sipPort = await freePort('UDP');
  const main = join(fileURLToPath(new URL('..', import.meta.url)), 'src', 'cli', 'main.js');
  const compiledMain = import.meta.url.endsWith('.ts') ? undefined : main;
  const args = [
    'start',
    ...['--config', join(ROOT, 'examples', 'demo.yaml'), '--data-dir', join(work, 'data')],
    ...['--sip-port', String(sipPort), '--http-port', String(httpPort)],
    ...['--tftp-port', 'off', '--provisioning-http-port', 'off'],
  ];
  const command = compiledMain ? [compiledMain] : ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];
  return measureIdle(
    process.execPath,
    [...command, ...args],
    async () => {
      try {
        return (await fetch(`http://${ADDRESS}:${httpPort}/api/v1/status`)).ok;
      } catch {
        return false;
      }
    },
    rssBytes,
  );
}

async function idleKamailio(work: string): Promise<number> {
  const port = await freePort('UDP');
  const configFile = join(work, 'kamailio.cfg');
  writeFileSync(
    configFile,
    [
      ...kamailioCore(ADDRESS, port),
      `mpath="${MODULE_PATH}"`,
      'loadmodule "tm.so"',
      'loadmodule "sl.so"',
      'request_route {',
      '  sl_send_reply("404", "Not Here");',
      '  exit;',
      '}',
      '',
    ].join('\n'),
  );
  const started = Date.now();
  return measureIdle(
    'kamailio',
    ['-DD', '-E', '-f', configFile, '-m', '64', '-w', work],
    async (child) => {
      // Kamailio has no readiness probe here: give its workers a moment once it has not exited.
      return child.exitCode === null && Date.now() - started > 1500;
    },
    (pid) => pssBytes(processTree(pid)),
  );
}

/** calls.bench.ts with the calls held, its heap lines passed on. */
async function perCall(): Promise<string[]> {
  const script = join(fileURLToPath(new URL('.', import.meta.url)), 'calls.bench.js');
  const child = spawn(
    process.execPath,
    ['--expose-gc', script, '--calls', '0', '--held', String(HELD_CALLS)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, STROWGER_BENCH_ROOT: ROOT },
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('latin1');
  });
  await new Promise((resolve) => child.once('close', resolve));
  return output.split('\n').filter((line) => line.startsWith('heap per active call'));
}

async function main(): Promise<void> {
  if (!hasProgram('sipp')) throw new Error('the memory benchmark needs sipp');
  const work = mkdtempSync(join(tmpdir(), 'strowger-bench-memory-'));
  const megabytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  try {
    const strowgerIdle = await idleStrowger(work);
    const kamailioIdle = hasProgram('kamailio') ? await idleKamailio(work) : undefined;
    const calls = await perCall();
    printTable(
      ['figure', 'Strowger', 'Kamailio (tm, sl; 1 worker)', 'ratio'],
      [
        [
          'idle (RSS; Kamailio PSS)',
          megabytes(strowgerIdle),
          kamailioIdle === undefined ? 'not installed' : megabytes(kamailioIdle),
          kamailioIdle === undefined ? '' : (strowgerIdle / kamailioIdle).toFixed(2),
        ],
      ],
    );
    for (const line of calls) console.log(line);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const compiled = await runCompiled(import.meta.url);
if (compiled === undefined) await main();
else process.exitCode = compiled;
