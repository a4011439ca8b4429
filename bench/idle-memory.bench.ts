/**
 * Idle memory of `strowger start` with the demo configuration (requirement: idle RSS < 150 MB),
 * on the embedded store and on PostgreSQL in the same run, with bare Node as the floor.
 *
 * Configurations, each a fresh process read a minute after its API answers:
 * - bare Node: an empty event loop, what any Node program costs;
 * - PGlite, first start: the data directory is new, so PGlite runs initdb in the process;
 * - PGlite, later start: the same data directory again, the usual case;
 * - PostgreSQL 15: the node with `--database-url`; the server's own processes (PSS over its
 *   tree, since its backends share memory) are a line of their own.
 *
 * Columns: RSS and PSS from /proc/<pid>/smaps_rollup; heap used, external and array buffers
 * from process.memoryUsage() inside the node (read on SIGUSR2 by a preloaded handler, no
 * forced garbage collection); WASM is the resident part of the WebAssembly memory, found as
 * the read-write anonymous mapping at the start of one of V8's guarded reservations (several
 * GiB of address space, the rest inaccessible). Ratios are against the node on PostgreSQL.
 *
 * Run: node --import tsx bench/idle-memory.bench.ts [--tsx]
 *   Compiled by tsc first, as the product runs (see runCompiled in calls.bench.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/ports.js';
import { postgresAvailable, startPostgres } from '../test/helpers/postgres.js';
import { runCompiled } from './calls.bench.js';
import { printTable } from './lib/measure.js';
import { processTree, pssBytes } from './lib/proc-stats.js';

const ROOT = process.env.STROWGER_BENCH_ROOT ?? fileURLToPath(new URL('..', import.meta.url));
const ADDRESS = '127.0.0.1';
/**
 * After start. V8's memory reducer collects the start-up garbage only once the process has
 * been idle for about 30 s (measured: the node's RSS steps down between 30 and 35 s, and
 * after a first start again near 55 s), so the idle figure is read after a minute; the RSS
 * at 10 s, where memory.bench.ts reads it, is a column of its own.
 */
const IDLE_SETTLE_MS = 60_000;
const EARLY_READ_MS = 10_000;
/** V8 reserves at least this much address space around a 64-bit WebAssembly memory. */
const WASM_RESERVATION_BYTES = 4 * 2 ** 30;

/** Writes process.memoryUsage() as JSON to the file named by the environment on SIGUSR2. */
const USAGE_REPORTER = `data:text/javascript,${encodeURIComponent(
  "import{writeFileSync}from'node:fs';process.on('SIGUSR2',()=>writeFileSync(process.env.STROWGER_BENCH_USAGE_FILE,JSON.stringify(process.memoryUsage())));",
)}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Figures {
  rssEarly: number;
  rss: number;
  pss: number;
  wasm: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

interface Mapping {
  start: number;
  end: number;
  access: string;
  anonymous: boolean;
  rss: number;
}

/** The mappings of /proc/<pid>/smaps with their resident bytes. */
function mappings(pid: number): Mapping[] {
  const result: Mapping[] = [];
  let current: Mapping | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'latin1').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      current = {
        start: Number.parseInt(head[1] as string, 16),
        end: Number.parseInt(head[2] as string, 16),
        access: head[3] as string,
        anonymous: (head[4] as string) === '',
        rss: 0,
      };
      result.push(current);
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && current) current.rss = Number(rss[1]) * 1024;
  }
  return result;
}

/** Resident bytes of WebAssembly memories: accessible pages followed by their guard region. */
function wasmResident(maps: Mapping[]): number {
  let total = 0;
  for (let index = 0; index + 1 < maps.length; index++) {
    const memory = maps[index] as Mapping;
    const guard = maps[index + 1] as Mapping;
    if (!memory.anonymous || !guard.anonymous || !memory.access.startsWith('rw')) continue;
    if (guard.access !== '---p' || guard.start !== memory.end) continue;
    if (guard.end - memory.start >= WASM_RESERVATION_BYTES) total += memory.rss;
  }
  return total;
}

function rollup(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'),
  );
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Starts the process, waits for `ready`, lets it settle and reads its figures, then stops it. */
async function measureIdle(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: (child: ChildProcess) => Promise<boolean>,
  work: string,
): Promise<Figures> {
  const usageFile = join(work, `usage-${Date.now()}.json`);
  const child = spawn(process.execPath, ['--import', USAGE_REPORTER, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env, STROWGER_BENCH_USAGE_FILE: usageFile },
  });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('latin1')).slice(-4000);
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    const deadline = Date.now() + 120_000;
    while (!(await ready(child))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`node did not start:\n${log}`);
      await sleep(200);
    }
    const pid = child.pid ?? -1;
    await sleep(EARLY_READ_MS);
    const rssEarly = rollup(pid, 'Rss');
    await sleep(IDLE_SETTLE_MS - EARLY_READ_MS);
    const figures = {
      rssEarly,
      rss: rollup(pid, 'Rss'),
      pss: rollup(pid, 'Pss'),
      wasm: wasmResident(mappings(pid)),
    };
    child.kill('SIGUSR2');
    let usage: NodeJS.MemoryUsage | undefined;
    for (let attempt = 0; attempt < 50 && !usage; attempt++) {
      await sleep(100);
      try {
        usage = JSON.parse(readFileSync(usageFile, 'utf8')) as NodeJS.MemoryUsage;
      } catch {
        // Not written yet: the handler runs on the node's next turn of its event loop.
      }
    }
    if (!usage) throw new Error('the node did not report its memory usage');
    return { ...figures, ...usage };
  } finally {
    child.kill('SIGTERM');
    await closed;
  }
}

async function idleStrowger(work: string, dataDir: string, databaseUrl?: string): Promise<Figures> {
  const httpPort = await freePort('TCP');
  const sipPort = await freePort('UDP');
  const compiled = !import.meta.url.endsWith('.ts');
  const entry = compiled
    ? [join(fileURLToPath(new URL('..', import.meta.url)), 'src', 'cli', 'main.js')]
    : ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];
  const args = [
    ...entry,
    'start',
    ...['--config', join(ROOT, 'examples', 'demo.yaml'), '--data-dir', dataDir],
    ...['--sip-port', String(sipPort), '--http-port', String(httpPort)],
    ...['--tftp-port', 'off', '--provisioning-http-port', 'off'],
  ];
  return measureIdle(
    args,
    databaseUrl ? { STROWGER_DATABASE_URL: databaseUrl } : {},
    async () => {
      try {
        return (await fetch(`http://${ADDRESS}:${httpPort}/api/v1/status`)).ok;
      } catch {
        return false;
      }
    },
    work,
  );
}

function idleBareNode(work: string): Promise<Figures> {
  const started = Date.now();
  return measureIdle(
    ['-e', 'setInterval(() => undefined, 60_000)'],
    {},
    async (child) => child.exitCode === null && Date.now() - started > 500,
    work,
  );
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'strowger-bench-idle-'));
  const rows: Array<[string, Figures | undefined]> = [];
  let postgresServer: number | undefined;
  try {
    rows.push(['bare Node (floor)', await idleBareNode(work)]);
    const pgliteDir = join(work, 'pglite');
    rows.push(['node on PGlite, first start (initdb)', await idleStrowger(work, pgliteDir)]);
    rows.push(['node on PGlite, later start', await idleStrowger(work, pgliteDir)]);
    if (postgresAvailable()) {
      const server = await startPostgres();
      try {
        rows.push([
          'node on PostgreSQL 15',
          await idleStrowger(work, join(work, 'postgres-node'), server.url),
        ]);
        postgresServer = serverPss(server.url);
      } finally {
        await server.stop();
      }
    } else {
      rows.push(['node on PostgreSQL 15', undefined]);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const peer = rows.find(([name]) => name === 'node on PostgreSQL 15')?.[1];
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  printTable(
    [
      'configuration',
      'RSS at 10 s',
      'RSS',
      'PSS',
      'heap used',
      'external',
      'array buffers',
      'WASM resident',
      'RSS / on PostgreSQL',
      '< 150 MiB',
    ],
    rows.map(([name, figures]) =>
      figures
        ? [
            name,
            mib(figures.rssEarly),
            mib(figures.rss),
            mib(figures.pss),
            mib(figures.heapUsed),
            mib(figures.external),
            mib(figures.arrayBuffers),
            mib(figures.wasm),
            peer ? (figures.rss / peer.rss).toFixed(2) : '',
            figures.rss < 150 * 2 ** 20 ? 'yes' : 'no',
          ]
        : [name, 'PostgreSQL 15 not installed', '', '', '', '', '', '', '', ''],
    ),
  );
  if (postgresServer !== undefined)
    console.log(`PostgreSQL 15 server beside the node (PSS of its processes): ${mib(postgresServer)}`);
}

/** PSS of the PostgreSQL server listening on the URL's port, over its process tree. */
function serverPss(url: string): number | undefined {
  const port = new URL(url).port;
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    let command: string[];
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    const portIndex = command.indexOf('-p');
    if (command[0]?.endsWith('/postgres') && portIndex > 0 && command[portIndex + 1] === port)
      return pssBytes(processTree(pid));
  }
  return undefined;
}

const compiled = await runCompiled(import.meta.url);
if (compiled === undefined) await main();
else process.exitCode = compiled;
