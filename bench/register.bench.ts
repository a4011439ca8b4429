/**
 * REGISTER with digest authentication per second, and memory per registration: Strowger's node
 * (started as a user starts it, from a generated configuration with one phone per line) against
 * Kamailio (Debian, auth + registrar + usrloc in memory, one worker) with the same credentials,
 * under the same sipp load, in the same run.
 *
 * Both servers run on one core (taskset, every process and thread of the server), the sipp
 * processes on the others. The load is closed-loop: each sipp process keeps WINDOW calls in
 * flight at an offered rate above what either server sustains, so a server's throughput is
 * what it answers. A call is REGISTER → 401 → REGISTER with credentials → 200
 * (bench/sipp/register-auth.xml); each sipp process registers its own share of the lines, given
 * by an injection file.
 *
 * Per server: a first registration of 2,000 warm-up lines, the memory once settled, one
 * registration of every measured line (the "initial" rate: every binding is new, so Strowger
 * inserts rows), the memory once settled
 * again, giving bytes per binding; then a warm-up and the measured refresh load
 * ("refresh" rate, and the server CPU time per registration). The CPU time of the initial round
 * is read a little after its last answer, so that it includes the rows Strowger writes back
 * after answering (node.registrar.persistence: write-back, the default, flushes at least every
 * second). Memory is PSS summed over the
 * server's processes (Kamailio's workers share memory; for one Node process PSS ≈ RSS). PSS of a
 * Node process also holds garbage the collector has not yet returned, so Strowger's node runs with
 * a bench-only preload (NODE_OPTIONS, written to the temp dir) that on SIGUSR2 collects garbage and
 * writes `process.memoryUsage()` to a file: the "heap" columns, JavaScript heap used after a full GC
 * (the embedded store's WASM memory is outside it, in PSS).
 * Strowger runs on its embedded store, and on PostgreSQL too when STROWGER_BENCH_DATABASE_URL
 * names a database it may fill (its registrations table is written). `--write-through` adds a
 * row for the embedded store with node.registrar.persistence: write-through (every binding
 * committed before its 200).
 *
 * The passwords are bench credentials written to a temp dir for the run. Before the load each
 * server must refuse a wrong password, so a peer that accepted anything would stop the bench.
 *
 * Run: npx tsx bench/register.bench.ts [--write-through]
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/ports.js';
import { runSipp, type SippResult } from '../test/helpers/sipp.js';
import { kamailioCore } from './lib/kamailio.js';
import { printTable } from './lib/measure.js';
import { answersOptions } from './lib/options-probe.js';
import { cpuSeconds, processTree, pssBytes } from './lib/proc-stats.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SCENARIO = fileURLToPath(new URL('sipp/register-auth.xml', import.meta.url));
const KAMAILIO_MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';
const ADDRESS = '127.0.0.1';
const REALM = 'strowger';

/** Lines 2001… with one phone each; the memory row divides by this many bindings. */
const LINES = 10_000;
/**
 * Lines after those, registered once before the measured rounds: the first registrations are
 * then measured warm (JIT-compiled code, grown pools), as on a node that has been up for a while,
 * like the refreshes after their warm-up. Both servers get the same warm-up.
 */
const WARMUP_LINES = 2000;
const ALL_LINES = LINES + WARMUP_LINES;
const FIRST_DN = 2001;
const SIPP_PROCESSES = 4;
/** Calls in flight per sipp process (sipp -l). */
const WINDOW = 40;
/** Offered calls per second per sipp process: above either server's pace, the window decides. */
const OFFERED_RATE = 2000;
const WARMUP_CALLS = 4000;
const MEASURED_CALLS = 16_000;
/**
 * Idle time before each memory reading: past Timer J (64 × T1 = 32 s, RFC 3261 §17.2.2), so that
 * no transaction is left, and long enough for V8 to shrink a heap that start-up work (applying
 * the configuration) or the load left full of garbage. Both readings wait alike.
 */
const SETTLE_MS = 34_000;
/**
 * How long after the initial round its CPU time is read: past the write-back interval (1 s) and
 * the flush that follows it. A server with nothing left to do spends nothing in it.
 */
const INITIAL_TAIL_MS = 2500;

interface Server {
  readonly name: string;
  readonly port: number;
  /** Every process of the server. */
  processes(): number[];
  /** JavaScript heap used after a full GC, for a Node server. */
  heapUsedAfterGc?(): Promise<number>;
  stop(): Promise<void>;
}

interface LoadResult {
  successful: number;
  failed: number;
  seconds: number;
  /** Server CPU time from the start of the load until `tailMs` after its end. */
  cpuSeconds: number;
}

type Persistence = 'write-back' | 'write-through';

interface Row {
  server: string;
  initial: LoadResult;
  refresh: LoadResult;
  pssBefore: number;
  pssAfter: number;
  heapBefore: number | undefined;
  heapAfter: number | undefined;
}

const dn = (index: number) => String(FIRST_DN + index);
const password = (line: string) => `bench-${line}`;

/**
 * The peer's credentials as db_text tables in `dir`, loaded into an htable at start: lookups are
 * then O(1) in memory, like Strowger's snapshot maps (auth_db over db_text would scan a list).
 */
function writeKamailioPasswords(dir: string): void {
  const rows = ['id(int,auto) key_name(string) key_type(int) value_type(int) key_value(string) expires(int)'];
  for (let i = 0; i < ALL_LINES; i++) rows.push(`${i + 1}:${dn(i)}:0:0:${password(dn(i))}:0`);
  writeFileSync(join(dir, 'htable'), `${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'version'), 'table_name(string) table_version(int)\nhtable:2\n');
}

/** The peer's kamailio.cfg: digest auth against the htable, registrar with usrloc in memory. */
function kamailioConfig(port: number, tablesDir: string): string {
  return [
    ...kamailioCore(ADDRESS, port),
    `mpath="${KAMAILIO_MODULES}"`,
    'loadmodule "sl.so"',
    'loadmodule "pv.so"',
    'loadmodule "db_text.so"',
    'loadmodule "htable.so"',
    'loadmodule "auth.so"',
    'loadmodule "usrloc.so"',
    'loadmodule "registrar.so"',
    `modparam("htable", "db_url", "text://${tablesDir}")`,
    'modparam("htable", "htable", "passwords=>size=14;dbtable=htable;")',
    'modparam("usrloc", "db_mode", 0)',
    'request_route {',
    '  if (method != "REGISTER") {',
    '    sl_send_reply("501", "Not Implemented");',
    '    exit;',
    '  }',
    '  if ($hdr(Authorization) == $null) {',
    `    www_challenge("${REALM}", "0");`,
    '    exit;',
    '  }',
    `  if (!pv_www_authenticate("${REALM}", "$sht(passwords=>$au)", "0")) {`,
    `    www_challenge("${REALM}", "0");`,
    '    exit;',
    '  }',
    // Strowger lets a phone register only its own lines; here the line is the user itself.
    '  if ($au != $tU) {',
    '    sl_send_reply("403", "Forbidden");',
    '    exit;',
    '  }',
    '  consume_credentials();',
    '  if (!save("location")) sl_reply_error();',
    '}',
    '',
  ].join('\n');
}

/** strowger.yaml with one SIP phone per line; provisioning off (it would want port 69). */
function strowgerConfig(): string {
  const lines: string[] = [];
  const phones: string[] = [];
  for (let i = 0; i < ALL_LINES; i++) {
    const line = dn(i);
    lines.push(`  - { dn: "${line}", partition: internal }`);
    phones.push(
      `  - { name: bench-${line}, model: SIP phone, sip: { username: "${line}", password: ${password(line)} }, lines: [{ dn: "${line}", partition: internal }] }`,
    );
  }
  return [
    '# Benchmark configuration with bench credentials: never deploy it.',
    'node:',
    '  provisioning: { tftpPort: false, httpPort: false }',
    'registrar:',
    '  expires: { default: 3600, min: 60, max: 3600 }',
    'partitions:',
    '  - name: internal',
    'lines:',
    ...lines,
    'phones:',
    ...phones,
    '',
  ].join('\n');
}

interface InjectionFiles {
  /** The measured lines. */
  readonly lines: string[];
  readonly warmUp: string[];
  /** The measured lines with wrong passwords. */
  readonly wrong: string[];
}

/**
 * One injection file per sipp process, lines `first` … `first + count - 1` dealt out in turn;
 * each row is "user;password;[authentication …]" (see the scenario). `wrong` spoils every
 * password.
 */
function writeInjectionFiles(
  dir: string,
  name: string,
  first: number,
  count: number,
  wrong = false,
): string[] {
  return Array.from({ length: SIPP_PROCESSES }, (_, process) => {
    const rows = ['SEQUENTIAL'];
    for (let i = first + process; i < first + count; i += SIPP_PROCESSES) {
      const user = dn(i);
      const secret = wrong ? `${password(user)}-wrong` : password(user);
      rows.push(`${user};${secret};[authentication username=${user} password=${secret}]`);
    }
    const file = join(dir, `users-${name}-${process}.csv`);
    writeFileSync(file, `${rows.join('\n')}\n`);
    return file;
  });
}

/**
 * The server on the last CPU, the load generators on the others (when there are others): this
 * process moves to those, and the sipp processes it starts inherit its affinity.
 */
const cpuCount = availableParallelism();
const serverCpu = String(cpuCount - 1);
if (cpuCount > 1) spawnSync('taskset', ['-pc', `0-${cpuCount - 2}`, String(process.pid)]);

function spawnServer(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const child = spawn('taskset', ['-c', serverCpu, command, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('latin1')).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.on('error', (error) => collect(Buffer.from(`\n${error.message}`)));
  // 'close' waits for every process holding the pipes (Kamailio's workers, npx's node).
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return { child, closed, output: () => output };
}

async function stopChild(child: ChildProcess, closed: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    // The whole tree: npx does not pass SIGTERM on to the node it started.
    for (const pid of processTree(child.pid ?? -1).reverse()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  }
  await closed;
}

async function startKamailio(dir: string): Promise<Server> {
  const port = await freePort('UDP');
  const configFile = join(dir, 'kamailio.cfg');
  writeKamailioPasswords(dir);
  writeFileSync(configFile, kamailioConfig(port, dir));
  const { child, closed, output } = spawnServer(
    'kamailio',
    ['-DD', '-E', '-f', configFile, '-m', '512', '-w', dir],
    dir,
  );
  const server: Server = {
    name: 'Kamailio 5 (usrloc in memory)',
    port,
    processes: () => processTree(child.pid ?? -1),
    stop: () => stopChild(child, closed),
  };
  if (!(await answersOptions(ADDRESS, port, closed, 15_000))) {
    await server.stop();
    throw new Error(`kamailio did not start:\n${output()}`);
  }
  return server;
}

/**
 * The heap probe, preloaded into every Node process of the server (NODE_OPTIONS is inherited):
 * only the one running the CLI's main module listens. It names its pid in `<file>.pid`; on
 * SIGUSR2 it collects garbage twice (the second pass frees what the first one's finalisers let
 * go) and writes `process.memoryUsage()` to `<file>`.
 */
const HEAP_PROBE = `'use strict';
const { renameSync, writeFileSync } = require('node:fs');
const file = process.env.STROWGER_BENCH_HEAP_FILE;
if (file && typeof gc === 'function' && /src[\\/]cli[\\/]main\\.ts$/.test(process.argv[1] || '')) {
  process.on('SIGUSR2', () => {
    gc();
    gc();
    writeFileSync(file + '.tmp', JSON.stringify(process.memoryUsage()));
    renameSync(file + '.tmp', file);
  });
  writeFileSync(file + '.pid', String(process.pid));
}
`;

/** Asks the probe in the server's main process for a reading and waits for it (10 s at most). */
async function heapUsedAfterGc(file: string): Promise<number> {
  rmSync(file, { force: true });
  process.kill(Number(readFileSync(`${file}.pid`, 'latin1')), 'SIGUSR2');
  for (let waited = 0; waited < 10_000; waited += 50) {
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'latin1')) as { heapUsed: number }).heapUsed;
    await sleep(50);
  }
  throw new Error('the heap probe did not answer');
}

async function startStrowger(
  dir: string,
  { databaseUrl, persistence }: { databaseUrl?: string; persistence: Persistence },
): Promise<Server> {
  const port = await freePort('UDP');
  const configFile = join(dir, 'strowger.yaml');
  writeFileSync(configFile, strowgerConfig());
  const probe = join(dir, 'heap-probe.cjs');
  writeFileSync(probe, HEAP_PROBE);
  const heapFile = join(dir, 'heap.json');
  const env = {
    ...process.env,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc --require ${probe}`.trim(),
    STROWGER_BENCH_HEAP_FILE: heapFile,
    STROWGER_REGISTRAR_PERSISTENCE: persistence,
  };
  const args = ['tsx', 'src/cli/main.ts', 'start', '--config', configFile, '--data-dir', join(dir, 'data')];
  args.push('--sip-port', String(port), '--http-port', '0', '--log-level', 'warn');
  if (databaseUrl !== undefined) args.push('--database-url', databaseUrl);
  const { child, closed, output } = spawnServer('npx', args, REPO, env);
  const server: Server = {
    name: `Strowger (${databaseUrl === undefined ? 'embedded store' : 'PostgreSQL'}, ${persistence})`,
    port,
    processes: () => processTree(child.pid ?? -1),
    heapUsedAfterGc: () => heapUsedAfterGc(heapFile),
    stop: () => stopChild(child, closed),
  };
  // Applying a configuration of thousands of phones to a fresh store takes a while (minutes on a busy machine).
  if (!(await answersOptions(ADDRESS, port, closed, 300_000))) {
    await server.stop();
    throw new Error(`strowger did not start:\n${output()}`);
  }
  return server;
}

/**
 * Every sipp process at once, each over its own injection file and port; server CPU measured
 * from its start until `tailMs` after its end.
 */
async function load(
  server: Server,
  files: string[],
  ports: number[],
  callsPerProcess: number,
  tailMs = 0,
): Promise<LoadResult> {
  const cpuBefore = cpuSeconds(server.processes());
  const started = performance.now();
  const runs = await Promise.all(
    files.map((file, i) =>
      runSipp(
        [
          ...['-sf', SCENARIO, '-inf', file, '-t', 'u1', '-i', ADDRESS, '-p', String(ports[i])],
          ...['-r', String(OFFERED_RATE), '-rp', '1000', '-l', String(WINDOW), '-m', String(callsPerProcess)],
          `${ADDRESS}:${server.port}`,
        ],
        120_000,
      ),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  if (tailMs > 0) await sleep(tailMs);
  const cpu = cpuSeconds(server.processes()) - cpuBefore;
  const results: SippResult[] = runs;
  return {
    successful: results.reduce((sum, run) => sum + run.successful, 0),
    failed: results.reduce((sum, run) => sum + run.failed, 0),
    seconds,
    cpuSeconds: cpu,
  };
}

/** One call with a wrong password must fail: a server that accepted it would make the figures void. */
async function assertRefusesWrongPassword(server: Server, wrongFiles: string[]): Promise<void> {
  const [file] = wrongFiles;
  const port = await freePort('UDP');
  const result = await runSipp(
    ['-sf', SCENARIO, '-inf', file!, '-t', 'u1', '-i', ADDRESS, '-p', String(port), '-m', '1'].concat(
      `${ADDRESS}:${server.port}`,
    ),
    30_000,
  );
  if (result.successful !== 0 || result.failed !== 1)
    throw new Error(`${server.name} did not refuse a wrong password:\n${result.output}`);
}

async function measure(start: () => Promise<Server>, files: InjectionFiles): Promise<Row> {
  const server = await start();
  try {
    await assertRefusesWrongPassword(server, files.wrong);
    const warmUpPorts = await Promise.all(files.warmUp.map(() => freePort('UDP')));
    await load(server, files.warmUp, warmUpPorts, WARMUP_LINES / SIPP_PROCESSES);
    await sleep(SETTLE_MS);
    // After the full GC of the heap reading, so that garbage left by start-up or load is not counted.
    const heapBefore = await server.heapUsedAfterGc?.();
    const pssBefore = pssBytes(server.processes());
    // Each sipp process keeps its port through every phase, as a phone keeps its address:port from
    // one refresh to the next: a registrar may treat a binding that moves as new.
    const ports = await Promise.all(files.lines.map(() => freePort('UDP')));
    const initial = await load(server, files.lines, ports, LINES / SIPP_PROCESSES, INITIAL_TAIL_MS);
    if (initial.successful !== LINES)
      console.warn(`${server.name}: ${initial.successful} of ${LINES} lines registered`);
    await sleep(SETTLE_MS);
    const heapAfter = await server.heapUsedAfterGc?.();
    const pssAfter = pssBytes(server.processes());
    await load(server, files.lines, ports, WARMUP_CALLS / SIPP_PROCESSES);
    const refresh = await load(server, files.lines, ports, MEASURED_CALLS / SIPP_PROCESSES);
    return { server: server.name, initial, refresh, pssBefore, pssAfter, heapBefore, heapAfter };
  } finally {
    await server.stop();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const perSecond = (result: LoadResult) => result.successful / result.seconds;
const cpuMicroseconds = (result: LoadResult) => (result.cpuSeconds / Math.max(1, result.successful)) * 1e6;
const bytesPerBinding = (row: Row) => (row.pssAfter - row.pssBefore) / LINES;
const heapPerBinding = (row: Row) =>
  row.heapBefore === undefined || row.heapAfter === undefined
    ? '–'
    : (row.heapAfter - row.heapBefore) / LINES;
const ratio = (value: number) => `${value.toFixed(2)}×`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strowger-bench-register-'));
  try {
    const files: InjectionFiles = {
      lines: writeInjectionFiles(dir, 'lines', 0, LINES),
      warmUp: writeInjectionFiles(dir, 'warm-up', LINES, WARMUP_LINES),
      wrong: writeInjectionFiles(dir, 'wrong', 0, LINES, true),
    };
    const databaseUrl = process.env.STROWGER_BENCH_DATABASE_URL || undefined;
    const subdir = (name: string) => mkdtempSync(join(dir, `${name}-`));
    const rows: Row[] = [];
    const strowger = (name: string, options: { databaseUrl?: string; persistence: Persistence }) =>
      measure(() => startStrowger(subdir(name), options), files);
    rows.push(await strowger('embedded', { persistence: 'write-back' }));
    if (process.argv.includes('--write-through'))
      rows.push(await strowger('embedded-write-through', { persistence: 'write-through' }));
    if (databaseUrl !== undefined)
      rows.push(await strowger('postgres', { databaseUrl, persistence: 'write-back' }));
    else console.log('STROWGER_BENCH_DATABASE_URL unset: no PostgreSQL row');
    const peer = await measure(() => startKamailio(subdir('kamailio')), files);
    rows.push(peer);

    console.log(
      `\nREGISTER with digest auth (MD5), ${LINES.toLocaleString('en-US')} lines, ${SIPP_PROCESSES} sipp × ${WINDOW} in flight; ` +
        `server on CPU ${serverCpu} of ${cpuCount} (${cpus()[0]?.model ?? 'unknown CPU'}), ${new Date().toISOString().slice(0, 10)}\n`,
    );
    printTable(
      [
        'server',
        'initial reg/s',
        'refresh reg/s',
        'failed',
        'CPU µs/first reg',
        'CPU µs/reg',
        'PSS before MB',
        'PSS after MB',
        'bytes/binding',
        'heap after GC MB',
        'heap bytes/binding',
      ],
      rows.map((row) => [
        row.server,
        perSecond(row.initial),
        perSecond(row.refresh),
        row.initial.failed + row.refresh.failed,
        cpuMicroseconds(row.initial),
        cpuMicroseconds(row.refresh),
        row.pssBefore / 2 ** 20,
        row.pssAfter / 2 ** 20,
        bytesPerBinding(row),
        row.heapAfter === undefined ? '–' : row.heapAfter / 2 ** 20,
        heapPerBinding(row),
      ]),
    );
    console.log('\nratios against Kamailio (throughput: higher is better; CPU and memory: lower is better)');
    printTable(
      ['server', 'initial reg/s', 'refresh reg/s', 'CPU per first reg', 'CPU per reg', 'bytes/binding'],
      rows
        .filter((row) => row !== peer)
        .map((row) => [
          row.server,
          ratio(perSecond(row.initial) / perSecond(peer.initial)),
          ratio(perSecond(row.refresh) / perSecond(peer.refresh)),
          ratio(cpuMicroseconds(row.initial) / cpuMicroseconds(peer.initial)),
          ratio(cpuMicroseconds(row.refresh) / cpuMicroseconds(peer.refresh)),
          ratio(bytesPerBinding(row) / Math.max(1, bytesPerBinding(peer))),
        ]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
