/**
 * Calls per second through the B2BUA: sipp UACs (one per called line, several at once) place
 * INVITE → 407 → INVITE with digest → 180/200 → ACK → BYE through Strowger to sipp UASs, one
 * per line, over UDP on 127.0.0.1. The peer in the same run is Kamailio relaying the same
 * calls as a stateful proxy (tm's t_relay, one worker process).
 *
 * Method:
 * - Strowger runs in this process (one event loop, i.e. one core's worth of work): the SIP
 *   stack, the call core, the line router and the B2BUA, with a `locations` object standing in
 *   for the registrar. Its CPU is process.cpuUsage() over the flood; Kamailio's is read from
 *   /proc for its whole process tree.
 * - A proxy does much less than a B2BUA: it forwards one transaction per request and keeps no
 *   dialog, and here it does no digest either (it has no credentials store), where the B2BUA
 *   answers a 407, verifies the digest, runs two dialogs and two transactions per request,
 *   and builds every message of the second leg itself. The ratio is therefore a bound, not a
 *   like-for-like comparison.
 * - Memory per active call, after the CPU run (code compiled, its transactions gone): N calls
 *   held up (sipp pauses for a long time after the ACK), heap used after a forced garbage
 *   collection compared with the idle heap, divided by N; once when all are up and once 64*T1
 *   later, when their transactions have ended and only the calls are left. `--calls 0` measures
 *   the memory only.
 *
 * - The bench runs as the product runs: compiled by tsc (see runCompiled), not through tsx,
 *   whose esbuild transform keeps function names by giving every closure a property of its own
 *   (a dictionary of ~250 bytes and a defineProperty call per closure created), which inflates
 *   both figures. `--tsx` measures the tsx run instead.
 *
 * Run: node --expose-gc --import tsx bench/calls.bench.ts [--calls 20000] [--lines 3]
 *        [--rate 1000] [--window 100] [--held 2000] [--tsx] [--snapshots DIR]
 *        [--allocations FILE]
 *   Before/after: `git worktree add /tmp/before HEAD~n`, link its node_modules to this one's,
 *   and run the bench from each checkout in turn (the machine's load changes between runs).
 *   --snapshots writes heap snapshots of the idle server and of the held calls into DIR, to
 *   see what one call keeps.
 *   --allocations writes a sampling profile of what Strowger allocates during the floods, objects
 *   already collected included (a .heapprofile for Chrome DevTools), to see what each call costs
 *   the young generation; the run's figures are then not comparable.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import {
  createLineRouter,
  createSipCallHandler,
  type LineLocation,
} from '../src/adapters/sip-line/calls/index.js';
import { createCallCore } from '../src/core/index.js';
import { createDigestServer, createSipStack, systemClock } from '../src/sip/index.js';
import { hasProgram } from '../test/helpers/interop.js';
import { freePort } from '../test/helpers/ports.js';
import { type SippProcess, startSipp } from '../test/helpers/sipp.js';
import { demoSnapshot } from '../test/integration/adapters/sip-line-calls/harness.js';
import { kamailioCore } from './lib/kamailio.js';
import { printTable } from './lib/measure.js';
import { cpuSeconds, processTree } from './lib/proc-stats.js';
import { type FloodResult, runFlood } from './lib/sipp-flood.js';

/** The repository: the compiled copy of a bench lives elsewhere and is told where by the environment. */
const ROOT = process.env.STROWGER_BENCH_ROOT ?? fileURLToPath(new URL('..', import.meta.url));
/**
 * Inside the repository, so that the compiled code resolves the packages in node_modules; named
 * after the checkout, so that a git worktree of an older commit (its node_modules a link to this
 * one's) compiles beside this checkout's copy instead of over it, for before/after runs.
 */
const COMPILED_DIR = join(ROOT, 'node_modules', '.cache', `strowger-bench-${basename(ROOT)}`);

/** Only the JavaScript is needed. */
const NO_EXTRAS = ['--declaration', 'false', '--sourceMap', 'false'];

/**
 * Runs the bench `entry` (this file's URL) from a copy compiled by tsc, with the same Node flags
 * but tsx, and resolves with its exit code; undefined when `entry` already is compiled code
 * (or `--tsx` asks for the tsx run), and the caller goes on with the bench itself.
 */
export async function runCompiled(entry: string): Promise<number | undefined> {
  if (!entry.endsWith('.ts') || process.argv.includes('--tsx')) return undefined;
  const tsc = spawnSync(
    'npx',
    ['tsc', '-p', 'tsconfig.test.json', '--noEmit', 'false', '--outDir', COMPILED_DIR, ...NO_EXTRAS],
    { cwd: ROOT, encoding: 'utf8' },
  );
  // Type errors elsewhere in the tree still emit; only a compiler that did not run stops the bench.
  if (tsc.status === null || tsc.error) throw new Error(`tsc did not run: ${tsc.error ?? tsc.signal}`);
  // Below node_modules no package.json of the repository applies: the copy says it is ESM itself.
  writeFileSync(join(COMPILED_DIR, 'package.json'), '{ "type": "module" }\n');
  // The store finds its migrations beside the code, as dist/ does (src/store/open-store.ts).
  if (!existsSync(join(COMPILED_DIR, 'drizzle')))
    symlinkSync(join(ROOT, 'drizzle'), join(COMPILED_DIR, 'drizzle'));
  const script = join(COMPILED_DIR, relative(ROOT, fileURLToPath(entry)).replace(/\.ts$/, '.js'));
  const child = spawn(process.execPath, [...nodeFlagsWithoutTsx(), script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, STROWGER_BENCH_ROOT: ROOT },
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

/** This run's Node flags without the tsx loader (`--import tsx`). */
function nodeFlagsWithoutTsx(): string[] {
  const flags: string[] = [];
  const given = process.execArgv;
  for (let index = 0; index < given.length; index++) {
    const flag = given[index] as string;
    if (flag === '--import' && given[index + 1] === 'tsx') index++;
    else if (flag !== '--import=tsx') flags.push(flag);
  }
  return flags;
}

const ADDRESS = '127.0.0.1';
const MODULE_PATH = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';
/** The B2BUA's callers answer its 407 (the interop scenario). */
const AUTH_UAC = readFileSync(join(ROOT, 'test/interop/calls/scenarios/uac-auth.xml'), 'latin1');
/** The proxy challenges nobody: sipp's built-in UAC, the same call without the 407 round. */
const PLAIN_UAC = spawnSync('sipp', ['-sd', 'uac'], { encoding: 'latin1' }).stdout;

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '20000' },
    lines: { type: 'string', default: '3' },
    rate: { type: 'string', default: '1000' },
    window: { type: 'string', default: '100' },
    held: { type: 'string', default: '2000' },
    tsx: { type: 'boolean', default: false },
    snapshots: { type: 'string' },
    allocations: { type: 'string' },
  },
});
const CALLS = Number(args.calls);
const LINES = Number(args.lines);
const RATE = Number(args.rate);
const WINDOW = Number(args.window);
const HELD = Number(args.held);
const DNS = Array.from({ length: LINES }, (_, index) => String(202 + index));

/** Scenario and configuration files of this run; created by main(). */
let work = '';

/** A UAC scenario for one dialled number, credentials inline, hanging up after `holdMs`. */
function scenarioFor(template: string, dn: string, holdMs: number): string {
  const file = join(work, `uac-${template === AUTH_UAC ? 'auth' : 'plain'}-${dn}-${holdMs}.xml`);
  writeFileSync(
    file,
    template
      .replaceAll('[service]', dn)
      .replace('[authentication]', '[authentication username=201 password=demo-201]')
      .replace('<pause/>', `<pause milliseconds="${holdMs}"/>`),
  );
  return file;
}

interface Uas {
  readonly dn: string;
  readonly port: number;
  readonly sipp: SippProcess;
}

async function startUass(): Promise<Uas[]> {
  const uass: Uas[] = [];
  for (const dn of DNS) {
    const port = await freePort('UDP');
    uass.push({ dn, port, sipp: startSipp(['-sn', 'uas', '-i', ADDRESS, '-p', String(port)]) });
  }
  // sipp binds at once; give the processes a moment to be listening.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return uass;
}

interface FloodPlan {
  template: string;
  port: number;
  calls: number;
  holdMs: number;
  /** Calls in progress per UAC process. */
  window: number;
  timeoutMs: number;
}

/** One UAC process per line, all at once; each places `calls / lines` calls. */
function flood(plan: FloodPlan): Promise<FloodResult[]> {
  return Promise.all(
    DNS.map((dn) =>
      runFlood({
        scenarioFile: scenarioFor(plan.template, dn, plan.holdMs),
        address: ADDRESS,
        port: plan.port,
        processes: 1,
        callsPerProcess: Math.ceil(plan.calls / LINES),
        ratePerProcess: Math.ceil(RATE / LINES),
        window: plan.window,
        timeoutMs: plan.timeoutMs,
      }),
    ),
  );
}

/** A warm-up flood (so that V8 or the peer is warm), then the measured one. */
async function warmAndMeasure(template: string, port: number, measureCpu: () => () => number) {
  const plan = { template, port, holdMs: 0, window: WINDOW, timeoutMs: 300_000 };
  await flood({ ...plan, calls: Math.min(3000, CALLS) });
  const cpuSince = measureCpu();
  const measured = total(await flood({ ...plan, calls: CALLS }));
  const cpu = cpuSince();
  if (measured.problems.length > 0) console.error(measured.problems[0]);
  return {
    successful: measured.successful,
    failed: measured.failed,
    cps: measured.successful / measured.elapsedSeconds,
    cpuPer1000: (cpu / Math.max(1, measured.successful)) * 1000,
  };
}

function total(results: FloodResult[]) {
  return {
    successful: results.reduce((sum, r) => sum + r.successful, 0),
    failed: results.reduce((sum, r) => sum + r.failed, 0),
    elapsedSeconds: Math.max(...results.map((r) => r.elapsedSeconds)),
    problems: results.flatMap((r) => r.problems),
  };
}

interface Row {
  name: string;
  successful: number;
  failed: number;
  cps: number;
  cpuPer1000: number;
}

async function benchStrowger(uass: Uas[]): Promise<{ row: Row | undefined; memory: HeldMemory | undefined }> {
  const stack = await createSipStack({ transports: [{ protocol: 'UDP', address: ADDRESS, port: 0 }] });
  const snapshot = demoSnapshot(['201', ...DNS]);
  const locations = new Map<string, LineLocation[]>(
    uass.map((uas) => [
      uas.dn,
      [
        {
          phone: `phone-${uas.dn}`,
          contact: `sip:${uas.dn}@${ADDRESS}:${uas.port}`,
          path: [],
          source: { protocol: 'UDP', address: ADDRESS, port: uas.port },
        },
      ],
    ]),
  );
  const core = createCallCore({
    clock: systemClock,
    router: createLineRouter({
      snapshot: () => snapshot,
      locations: { lookup: (dn) => locations.get(dn) ?? [] },
    }),
  });
  // sipp 3.6 answers only the first challenge and knows only MD5.
  const digest = createDigestServer({ realm: 'strowger', algorithms: ['MD5'], maxNonces: 100_000 });
  createSipCallHandler({ stack, core, snapshot: () => snapshot, digest });
  const port = stack.listening()[0]!.port;
  try {
    const before = stack.transport.stats();
    const allocations = args.allocations ? await sampleAllocations(args.allocations) : undefined;
    const measured =
      CALLS > 0
        ? await warmAndMeasure(AUTH_UAC, port, () => {
            const start = process.cpuUsage();
            return () => {
              const used = process.cpuUsage(start);
              return (used.user + used.system) / 1e6;
            };
          })
        : undefined;
    await allocations?.();
    const after = stack.transport.stats();
    if (measured) {
      const calls = Math.max(1, Math.min(3000, CALLS) + measured.successful);
      const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
      console.log(
        `datagrams per call at Strowger: ${((total(after.messagesIn) - total(before.messagesIn)) / calls).toFixed(1)} in, ` +
          `${((total(after.messagesOut) - total(before.messagesOut)) / calls).toFixed(1)} out`,
      );
    }
    // After the CPU run: the code is compiled and warm, so the heap grows by what calls keep.
    const memory = HELD > 0 ? await heldCallMemory(port, () => core.activeCalls) : undefined;
    const row = measured && { name: 'Strowger B2BUA (auth, 2 dialogs)', ...measured };
    return { row, memory };
  } finally {
    await stack.close();
  }
}

/**
 * Starts V8's sampling heap profiler, counting objects the garbage collector has already taken
 * too (what a call allocates, not only what it keeps); the returned function stops it and writes
 * the profile to `file`.
 */
async function sampleAllocations(file: string): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

interface HeldMemory {
  held: number;
  /** Heap per call once every call is up, its transactions still alive. */
  justUp: number;
  /** Heap per call 64*T1 later, when only the calls are left (RFC 3261 §17 timers L, M, J). */
  settled: number;
}

/** Wait after the calls are up: past 64*T1 (32 s) and the cleanup timers' lateness. */
const SETTLE_MS = 34_000;

/**
 * Heap per call in progress: HELD calls held up, heap after GC against the idle heap, once
 * when they are all up and once more when their transactions have ended.
 */
async function heldCallMemory(port: number, active: () => number): Promise<HeldMemory | undefined> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    console.warn('memory per call needs node --expose-gc; skipped');
    return undefined;
  }
  // Past the transactions of the CPU run.
  await new Promise((resolve) => setTimeout(resolve, CALLS > 0 ? SETTLE_MS : 0));
  gc();
  const idle = process.memoryUsage().heapUsed;
  if (args.snapshots) writeHeapSnapshot(join(args.snapshots, 'idle.heapsnapshot'));
  // Up long enough for both readings: the calls come up within a few seconds, then SETTLE_MS.
  const holdMs = SETTLE_MS + 45_000;
  const window = Math.ceil(HELD / LINES);
  const running = flood({
    template: AUTH_UAC,
    port,
    calls: HELD,
    holdMs,
    window,
    timeoutMs: holdMs + 60_000,
  });
  const deadline = Date.now() + 60_000;
  while (active() < HELD * 0.98 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const heapPerCall = (label: string) => {
    const held = active();
    gc();
    const heap = process.memoryUsage().heapUsed;
    if (args.snapshots) writeHeapSnapshot(join(args.snapshots, `${label}-${held}.heapsnapshot`));
    return { held, perCall: held > 0 ? (heap - idle) / held : Number.NaN };
  };
  const up = heapPerCall('up');
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const settled = heapPerCall('settled');
  await running;
  return { held: up.held, justUp: up.perCall, settled: settled.perCall };
}

function kamailioConfig(port: number, uass: Uas[]): string {
  return [
    ...kamailioCore(ADDRESS, port),
    `mpath="${MODULE_PATH}"`,
    'loadmodule "tm.so"',
    'loadmodule "sl.so"',
    'loadmodule "pv.so"',
    'request_route {',
    // The called line picks the UAS, as the B2BUA's router does; t_relay keeps the transaction.
    ...uass.map(
      (uas, index) =>
        `  ${index === 0 ? '' : 'else '}if ($tU == "${uas.dn}") $du = "sip:${ADDRESS}:${uas.port}";`,
    ),
    '  if (!t_relay()) sl_reply_error();',
    '  exit;',
    '}',
    '',
  ].join('\n');
}

async function benchKamailio(uass: Uas[]): Promise<Row> {
  const port = await freePort('UDP');
  const configFile = join(work, 'kamailio.cfg');
  writeFileSync(configFile, kamailioConfig(port, uass));
  const child: ChildProcess = spawn(
    'kamailio',
    ['-DD', '-E', '-f', configFile, '-x', 'tlsf', '-m', '1024', '-w', work],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('latin1')).slice(-4000);
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    if (child.exitCode !== null) throw new Error(`kamailio did not start:\n${log}`);
    const measured = await warmAndMeasure(PLAIN_UAC, port, () => {
      const before = cpuSeconds(processTree(child.pid ?? -1));
      return () => cpuSeconds(processTree(child.pid ?? -1)) - before;
    });
    return { name: 'Kamailio t_relay (no auth, no dialogs)', ...measured };
  } finally {
    child.kill('SIGTERM');
    await closed;
  }
}

async function main(): Promise<void> {
  if (!hasProgram('sipp')) throw new Error('the calls benchmark needs sipp');
  work = mkdtempSync(join(tmpdir(), 'strowger-bench-calls-'));
  const uass = await startUass();
  try {
    const strowger = await benchStrowger(uass);
    const rows = strowger.row ? [strowger.row] : [];
    if (CALLS > 0 && hasProgram('kamailio')) rows.push(await benchKamailio(uass));
    else if (CALLS > 0) console.warn('kamailio is not installed: no peer measured');
    if (rows.length > 0)
      printTable(
        ['server', 'calls ok', 'failed', 'calls/s', 'CPU s / 1000 calls', 'calls per CPU-s'],
        rows.map((row) => [
          row.name,
          row.successful,
          row.failed,
          row.cps,
          row.cpuPer1000.toFixed(3),
          Math.round(1000 / row.cpuPer1000),
        ]),
      );
    const [own, peer] = rows;
    if (own && peer) {
      console.log(`\ncalls/s ratio Strowger / Kamailio: ${(own.cps / peer.cps).toFixed(2)}`);
      console.log(`CPU per call ratio Strowger / Kamailio: ${(own.cpuPer1000 / peer.cpuPer1000).toFixed(2)}`);
    }
    const memory = strowger.memory;
    if (memory) {
      const bytes = (value: number) => Math.round(value).toLocaleString('en-US');
      console.log(`heap per active call (${memory.held} held): ${bytes(memory.justUp)} bytes just up`);
      console.log(`heap per active call (${memory.held} held): ${bytes(memory.settled)} bytes settled`);
    }
    if (rows.some((row) => row.failed > 0)) process.exitCode = 1;
  } finally {
    await Promise.all(uass.map((uas) => uas.sipp.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}

// The bench runs only as the entry point: memory.bench.ts imports runCompiled from here. Node
// names the entry module by its real path: a worktree's node_modules may be a link.
if (import.meta.url === pathToFileURL(realpathSync(process.argv[1] ?? '.')).href) {
  const compiled = await runCompiled(import.meta.url);
  if (compiled === undefined) await main();
  else process.exitCode = compiled;
}
