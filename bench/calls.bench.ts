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
 * - Memory per active call: N calls held up (sipp pauses for a long time after the ACK), heap
 *   used after a forced garbage collection compared with the idle heap, divided by N.
 *
 * Run: node --expose-gc --import tsx bench/calls.bench.ts [--calls 20000] [--lines 3]
 *        [--rate 1000] [--window 100] [--held 2000]
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
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
import { printTable } from './lib/measure.js';
import { cpuSeconds, processTree } from './lib/proc-stats.js';
import { type FloodResult, runFlood } from './lib/sipp-flood.js';

const ADDRESS = '127.0.0.1';
const MODULE_PATH = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';
/** The B2BUA's callers answer its 407 (the interop scenario). */
const AUTH_UAC = readFileSync(
  fileURLToPath(new URL('../test/interop/calls/scenarios/uac-auth.xml', import.meta.url)),
  'latin1',
);
/** The proxy challenges nobody: sipp's built-in UAC, the same call without the 407 round. */
const PLAIN_UAC = spawnSync('sipp', ['-sd', 'uac'], { encoding: 'latin1' }).stdout;

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '20000' },
    lines: { type: 'string', default: '3' },
    rate: { type: 'string', default: '1000' },
    window: { type: 'string', default: '100' },
    held: { type: 'string', default: '2000' },
  },
});
const CALLS = Number(args.calls);
const LINES = Number(args.lines);
const RATE = Number(args.rate);
const WINDOW = Number(args.window);
const HELD = Number(args.held);
const DNS = Array.from({ length: LINES }, (_, index) => String(202 + index));

const work = mkdtempSync(join(tmpdir(), 'strowger-bench-calls-'));

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

async function benchStrowger(uass: Uas[]): Promise<{ row: Row; bytesPerCall: number | undefined }> {
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
    const bytesPerCall = await heldCallMemory(port, () => core.activeCalls);
    const measured = await warmAndMeasure(AUTH_UAC, port, () => {
      const before = process.cpuUsage();
      return () => {
        const used = process.cpuUsage(before);
        return (used.user + used.system) / 1e6;
      };
    });
    return { row: { name: 'Strowger B2BUA (auth, 2 dialogs)', ...measured }, bytesPerCall };
  } finally {
    await stack.close();
  }
}

/** Heap per call in progress: HELD calls held up, heap after GC against the idle heap. */
async function heldCallMemory(port: number, active: () => number): Promise<number | undefined> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    console.warn('memory per call needs node --expose-gc; skipped');
    return undefined;
  }
  gc();
  const idle = process.memoryUsage().heapUsed;
  const holdMs = 60_000;
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
  const held = active();
  gc();
  const heap = process.memoryUsage().heapUsed;
  const result = held > 0 ? (heap - idle) / held : undefined;
  await running;
  return result;
}

function kamailioConfig(port: number, uass: Uas[]): string {
  return [
    '#!KAMAILIO',
    'debug=1',
    'log_stderror=yes',
    'children=1',
    'disable_tcp=yes',
    'auto_aliases=no',
    `listen=udp:${ADDRESS}:${port}`,
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
  const uass = await startUass();
  try {
    const strowger = await benchStrowger(uass);
    const rows = [strowger.row];
    if (hasProgram('kamailio')) rows.push(await benchKamailio(uass));
    else console.warn('kamailio is not installed: no peer measured');
    printTable(
      ['server', 'calls ok', 'failed', 'calls/s', 'CPU s / 1000 calls'],
      rows.map((row) => [row.name, row.successful, row.failed, row.cps, row.cpuPer1000.toFixed(3)]),
    );
    const peer = rows[1];
    if (peer) {
      console.log(`\ncalls/s ratio Strowger / Kamailio: ${(strowger.row.cps / peer.cps).toFixed(2)}`);
      console.log(
        `CPU per call ratio Strowger / Kamailio: ${(strowger.row.cpuPer1000 / peer.cpuPer1000).toFixed(2)}`,
      );
    }
    if (strowger.bytesPerCall !== undefined)
      console.log(
        `heap per active call (${HELD} held): ${Math.round(strowger.bytesPerCall).toLocaleString('en-US')} bytes`,
      );
    if (rows.some((row) => row.failed > 0)) process.exitCode = 1;
  } finally {
    await Promise.all(uass.map((uas) => uas.sipp.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
