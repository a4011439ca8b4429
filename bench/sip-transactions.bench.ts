/**
 * Non-INVITE transactions per second: a UAS on the Strowger SIP stack answering a sipp flood of
 * OPTIONS and of REGISTER (no authentication) with 200 over UDP, against Kamailio answering the
 * same flood in the same run, statelessly (sl_send_reply) and statefully (t_newtran + t_reply).
 *
 * Method, per scenario and server:
 * - a fresh server: Strowger in a child Node process (bench/lib/non-invite-uas.ts), Kamailio with
 *   children=1 on one UDP listener (the exact kamailio.cfg is `kamailioConfig` in
 *   bench/lib/kamailio.ts; `--print-config` prints it). Each answers on one core's worth of worker.
 * - a warm-up flood (so that V8 has optimised the hot path), then the measured flood: several
 *   sipp processes in parallel (one sipp cannot saturate a server), each with a bounded number of
 *   calls in progress (sipp -l) so that the flood runs at the server's pace rather than
 *   overflowing its socket buffer.
 * - tx/s is successful transactions over the wall time of the flood. On a 2-core machine the
 *   sipp processes share the cores with the server, so tx/s is bounded by the load generator as
 *   much as by the server; transactions per server CPU-second (user + system time of all the
 *   server's processes and threads, from /proc) is the fair "per core" figure.
 * - memory is the proportional set size of the server's processes right after the flood, while
 *   its transactions are still held: Strowger keeps each for timer J (64*T1 = 32 s over UDP,
 *   RFC 3261 §17.2.2), Kamailio's tm for its wait_timer (5 s), sl for no time at all. The CPU of
 *   expiring them later is not in the window.
 *
 * Run: npx tsx bench/sip-transactions.bench.ts [--transactions 100000] [--sipp-processes 4]
 *        [--window 50] [--warmup 10000] [--profile DIR] [--print-config]
 * --profile writes V8 CPU profiles of the Strowger UAS (node --cpu-prof) to DIR/strowger-<scenario>/.
 */
import { fork, spawnSync } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hasProgram } from '../test/helpers/interop.js';
import { freePort } from '../test/helpers/ports.js';
import { type KamailioMode, kamailioConfig, startKamailio } from './lib/kamailio.js';
import { printTable } from './lib/measure.js';
import type { UasCommand, UasMessage, UasStats } from './lib/non-invite-uas.js';
import { cpuSeconds, processTree, pssBytes } from './lib/proc-stats.js';
import { type FloodOptions, type FloodResult, runFlood } from './lib/sipp-flood.js';

const ADDRESS = '127.0.0.1';
const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));
const SCENARIOS = [
  { name: 'OPTIONS', file: fileURLToPath(new URL('sipp/options.xml', import.meta.url)) },
  { name: 'REGISTER', file: fileURLToPath(new URL('sipp/register.xml', import.meta.url)) },
];

interface Server {
  /** The server's processes now (Kamailio forks workers). */
  pids(): number[];
  /** Anything the server itself reports after a flood. */
  note(): Promise<string>;
  stop(): Promise<void>;
}

interface Peer {
  name: string;
  start(port: number, scenario: string): Promise<Server>;
}

interface Measurement {
  peer: string;
  scenario: string;
  flood: FloodResult;
  cpuSeconds: number;
  memoryBytes: number;
  note: string;
}

const { values: args } = parseArgs({
  options: {
    transactions: { type: 'string', default: '100000' },
    'sipp-processes': { type: 'string', default: '4' },
    window: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '10000' },
    profile: { type: 'string' },
    'print-config': { type: 'boolean', default: false },
  },
});

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`--${name} must be a positive integer`);
  return value;
}

const transactions = positiveInteger('transactions', args.transactions);
const sippProcesses = positiveInteger('sipp-processes', args['sipp-processes']);
const window = positiveInteger('window', args.window);
const warmup = positiveInteger('warmup', args.warmup);

/** The Strowger UAS in a child Node process, so that its CPU time is its own. */
function strowgerPeer(): Peer {
  return {
    name: 'Strowger',
    start: (port, scenario) =>
      new Promise((resolve, reject) => {
        // One profile per thread (tsx runs its loader in a thread of its own), a directory per scenario.
        const profile = args.profile
          ? ['--cpu-prof', '--cpu-prof-dir', join(args.profile, `strowger-${scenario}`)]
          : [];
        // Timer J holds every transaction for 32 s: size the table so that a whole flood fits.
        const table = String(warmup + transactions + 10_000);
        const child = fork(
          fileURLToPath(new URL('lib/non-invite-uas.ts', import.meta.url)),
          [String(port), table],
          {
            cwd: REPOSITORY,
            execArgv: ['--import', 'tsx', ...profile],
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          },
        );
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        const next = <T extends UasMessage['type']>(type: T) =>
          new Promise<Extract<UasMessage, { type: T }>>((done) => {
            const listen = (message: UasMessage): void => {
              if (message.type !== type) return;
              child.off('message', listen);
              done(message as Extract<UasMessage, { type: T }>);
            };
            child.on('message', listen);
          });
        const send = (command: UasCommand): void => {
          child.send(command);
        };
        child.once('error', reject);
        void exited.then(() => reject(new Error('the Strowger UAS exited before it was ready')));
        void next('ready').then(() =>
          resolve({
            pids: () => (child.pid === undefined ? [] : [child.pid]),
            note: async () => {
              const stats = next('stats');
              send({ type: 'stats' });
              return describeUas(await stats);
            },
            stop: async () => {
              send({ type: 'close' });
              await exited;
            },
          }),
        );
      }),
  };
}

function describeUas(stats: UasStats): string {
  const megabytes = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
  return `${stats.liveTransactions.toLocaleString('en-US')} live transactions, RSS ${megabytes(stats.rssBytes)} MB, heap ${megabytes(stats.heapUsedBytes)} MB`;
}

function kamailioPeer(mode: KamailioMode): Peer {
  return {
    name: `Kamailio ${mode}`,
    start: async (port) => {
      const kamailio = await startKamailio(ADDRESS, port, mode);
      return {
        pids: () => processTree(kamailio.pid),
        note: async () => `${processTree(kamailio.pid).length} processes`,
        stop: () => kamailio.stop(),
      };
    },
  };
}

async function measure(peer: Peer, scenario: (typeof SCENARIOS)[number]): Promise<Measurement> {
  const port = await freePort('UDP');
  const server = await peer.start(port, scenario.name);
  try {
    const flood = (calls: number, processes: number): Promise<FloodResult> => {
      const options: FloodOptions = {
        scenarioFile: scenario.file,
        address: ADDRESS,
        port,
        processes,
        callsPerProcess: Math.ceil(calls / processes),
        // Far above what a server answers: the window (-l) sets the pace.
        ratePerProcess: 20_000,
        window,
        timeoutMs: 90_000,
      };
      return runFlood(options);
    };
    await flood(warmup, 1);
    const before = cpuSeconds(server.pids());
    const result = await flood(transactions, sippProcesses);
    const pids = server.pids();
    return {
      peer: peer.name,
      scenario: scenario.name,
      flood: result,
      cpuSeconds: cpuSeconds(pids) - before,
      memoryBytes: pssBytes(pids),
      note: await server.note(),
    };
  } finally {
    await server.stop();
  }
}

function version(program: string, flag: string): string {
  // sipp -v exits non-zero: read the output whatever the status.
  const { stdout, stderr } = spawnSync(program, [flag], { encoding: 'utf8' });
  return (
    `${stdout}${stderr}`
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? '?'
  );
}

function report(measurements: Measurement[]): void {
  const perSecond = (m: Measurement): number => m.flood.successful / m.flood.elapsedSeconds;
  const perCpuSecond = (m: Measurement): number => m.flood.successful / m.cpuSeconds;
  printTable(
    [
      'server',
      'scenario',
      'transactions',
      'failed',
      'retransmitted',
      'elapsed s',
      'tx/s',
      'server CPU s',
      'tx per CPU-s',
      'memory MB (PSS)',
    ],
    measurements.map((m) => [
      m.peer,
      m.scenario,
      m.flood.successful,
      m.flood.failed,
      m.flood.retransmissions,
      m.flood.elapsedSeconds.toFixed(2),
      perSecond(m),
      m.cpuSeconds.toFixed(2),
      perCpuSecond(m),
      m.memoryBytes / 2 ** 20,
    ]),
  );
  console.log('');
  const ratios: string[][] = [];
  for (const scenario of SCENARIOS) {
    const ours = measurements.find((m) => m.scenario === scenario.name && m.peer === 'Strowger');
    if (!ours) continue;
    for (const peer of measurements.filter((m) => m.scenario === scenario.name && m !== ours)) {
      ratios.push([
        scenario.name,
        `Strowger / ${peer.peer}`,
        (perSecond(ours) / perSecond(peer)).toFixed(2),
        (perCpuSecond(ours) / perCpuSecond(peer)).toFixed(2),
      ]);
    }
  }
  printTable(['scenario', 'ratio', 'tx/s', 'tx per CPU-s'], ratios);
  console.log('');
  for (const m of measurements) console.log(`${m.peer}, ${m.scenario}, after the flood: ${m.note}`);
  for (const m of measurements.filter((m) => m.peer === 'Strowger')) {
    const figure = perCpuSecond(m);
    const verdict = figure >= 10_000 ? 'met' : 'NOT met';
    console.log(
      `target >= 10,000 tx per CPU-second, ${m.scenario}: ${Math.round(figure).toLocaleString('en-US')} (${verdict})`,
    );
  }
  for (const m of measurements.filter((m) => m.flood.problems.length > 0)) {
    console.log(`\n${m.peer}, ${m.scenario}: ${m.flood.failed} failed; what sipp printed last:`);
    for (const problem of m.flood.problems) console.log(problem.slice(-1500));
  }
}

async function main(): Promise<number> {
  if (args['print-config']) {
    for (const mode of ['stateless', 'stateful'] as const) {
      console.log(
        `# kamailio.cfg, ${mode} (port chosen at run time)\n${kamailioConfig(ADDRESS, 5060, mode)}`,
      );
    }
    return 0;
  }
  const missing = ['sipp', 'kamailio'].filter((program) => !hasProgram(program));
  if (missing.length > 0) {
    console.error(
      `sip-transactions bench needs ${missing.join(' and ')} (Debian packages sip-tester, kamailio); not run`,
    );
    return 1;
  }
  console.log(
    `${new Date().toISOString()}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ` +
      `Node ${process.version}, ${version('kamailio', '-v')}, ${version('sipp', '-v')}`,
  );
  console.log(
    `${transactions.toLocaleString('en-US')} transactions per run from ${sippProcesses} sipp processes, ` +
      `${window} in progress each, after ${warmup.toLocaleString('en-US')} warm-up transactions\n`,
  );
  const peers = [strowgerPeer(), kamailioPeer('stateless'), kamailioPeer('stateful')];
  const measurements: Measurement[] = [];
  for (const scenario of SCENARIOS) {
    for (const peer of peers) measurements.push(await measure(peer, scenario));
  }
  report(measurements);
  if (measurements.some((m) => m.flood.failed > 0 || m.flood.problems.length > 0)) {
    console.error('\nsome transactions failed: the figures above do not measure a clean flood');
    return 1;
  }
  return 0;
}

process.exitCode = await main();
