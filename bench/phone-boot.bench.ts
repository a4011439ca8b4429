/**
 * Phones booting at once against one node, as after a building's power cut: each fetches its
 * `SEP<MAC>.cnf.xml` over TFTP, then REGISTERs with digest authentication to the first node of
 * its CallManager group, with the line and credentials its file gives. Measured: the time until
 * every phone is registered (target: 10,000 phones in under 60 s on two cores), phones per
 * second, each phone's fetch and REGISTER time (p50, p99), failures and retries, and the node's
 * CPU time and peak RSS over the boot. The node runs as a user starts it (`strowger start` in a
 * child process, so that its CPU and memory are its own); the phones are bench/lib/phone-fleet.
 *
 * Peer: Debian's tftpd-hpa serves the same files from a folder, and the same fleet, now only
 * fetching, reads all of them from each server at the same concurrency (rounds alternated,
 * median of rounds): files/s, MB/s and the ratio.
 *
 * Run: npx tsx bench/phone-boot.bench.ts [--phones 10000] [--concurrency 500] [--clients 1]
 *      [--cpu-prof DIR]   (the node writes a V8 CPU profile of its whole run into DIR at exit)
 *
 * The passwords are bench credentials written to a temp dir for the run.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { DeviceStatus } from '../src/features/device-status/index.js';
import type { RemoteEndpoint } from '../src/tftp/index.js';
import { freePort } from '../test/helpers/ports.js';
import { tftpGet } from '../test/integration/tftp/tftp-client.js';
import { printTable } from './lib/measure.js';
import { type FleetResult, runFleetInProcesses } from './lib/phone-fleet.js';
import { cpuSeconds, processTree } from './lib/proc-stats.js';
import { startTftpdHpa } from './lib/tftpd-hpa.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ADDRESS = '127.0.0.1';
const TARGET_SECONDS = 60;
const TFTP_ROUNDS = 3;
/** Phones' DNs start here; each phone has one line. */
const FIRST_DN = 20_000;

const { values: args } = parseArgs({
  options: {
    phones: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '500' },
    clients: { type: 'string', default: '1' },
    'cpu-prof': { type: 'string' },
  },
});
const PHONES = positiveInteger('phones', args.phones);
const CONCURRENCY = positiveInteger('concurrency', args.concurrency);
const CLIENTS = positiveInteger('clients', args.clients);

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new Error(`--${name} wants a positive integer, not ${text}`);
  return value;
}

const macOf = (index: number) => (0x00aa00000000 + index).toString(16).toUpperCase().padStart(12, '0');
const dnOf = (index: number) => String(FIRST_DN + index);
const MACS = Array.from({ length: PHONES }, (_, index) => macOf(index));

/** One SIP phone per line in one device pool whose CallManager group has a primary and a backup. */
function configText(): string {
  const text = [
    '# Benchmark configuration with bench credentials: never deploy it.',
    'registrar:',
    '  expires: { default: 3600, min: 60, max: 3600 }',
    'partitions:',
    '  - name: internal',
    'devicePools:',
    '  - name: floor-1',
    `    callManagerGroup: [${ADDRESS}, 127.0.0.2]`,
    'lines:',
  ];
  for (let index = 0; index < PHONES; index++) text.push(`  - { dn: "${dnOf(index)}", partition: internal }`);
  text.push('phones:');
  for (let index = 0; index < PHONES; index++) {
    const dn = dnOf(index);
    text.push(
      `  - name: SEP${macOf(index)}`,
      '    model: Cisco 7960',
      '    devicePool: floor-1',
      `    sip: { username: "${dn}", password: bench-boot-${index} }`,
      `    lines: [{ dn: "${dn}", partition: internal }]`,
    );
  }
  return `${text.join('\n')}\n`;
}

interface Node {
  readonly child: ChildProcess;
  readonly api: string;
  readonly sipPort: number;
  readonly tftp: RemoteEndpoint;
  /** Seconds from spawn until its API answered (applying the configuration to a fresh store). */
  readonly startSeconds: number;
  output(): string;
  stop(): Promise<void>;
}

async function startNode(dir: string, profileDir: string | undefined): Promise<Node> {
  const configFile = join(dir, 'strowger.yaml');
  writeFileSync(configFile, configText());
  const [sipPort, tftpPort, httpPort] = [await freePort('UDP'), await freePort('UDP'), await freePort('TCP')];
  const api = `http://${ADDRESS}:${httpPort}`;
  const nodeArgs = ['--import', 'tsx'];
  // Node 20 refuses --cpu-prof in NODE_OPTIONS: it goes on the command line.
  if (profileDir !== undefined) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  const startArgs = ['start', '--config', configFile, '--data-dir', join(dir, 'data'), '--bind', ADDRESS];
  startArgs.push(
    '--sip-port',
    String(sipPort),
    '--tftp-port',
    String(tftpPort),
    '--http-port',
    String(httpPort),
  );
  startArgs.push('--provisioning-http-port', 'off', '--log-level', 'warn');
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, 'src/cli/main.ts', ...startArgs], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(killer);
  };
  // A fresh store takes the configuration of thousands of phones before the API opens.
  const deadline = performance.now() + 240_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`strowger start exited with ${child.exitCode}:\n${output}`);
    const answered = await fetch(`${api}/api/v1/status`).then(
      (response) => response.ok,
      () => false,
    );
    if (answered) break;
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`strowger start did not answer within 240 s:\n${output}`);
    }
    await sleep(250);
  }
  return {
    child,
    api,
    sipPort,
    tftp: { address: ADDRESS, port: tftpPort },
    startSeconds: (performance.now() - started) / 1000,
    output: () => output,
    stop,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident set size fields of /proc/<pid>/status, bytes (VmRSS now, VmHWM the peak). */
function residentBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'latin1'),
  );
  return Number(match?.[1] ?? Number.NaN) * 1024;
}

/** proc(5) clear_refs: writing 5 resets the peak RSS, so that VmHWM covers the boot alone. */
function resetPeakResident(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Nearest-rank percentile of `values`, ms. */
function percentile(values: number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** Every phone's file from the node, into `folder`, for the peer to serve. */
async function copyPhoneFiles(tftp: RemoteEndpoint, folder: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < MACS.length) {
      const file = `SEP${MACS[next++]}.cnf.xml`;
      const { data } = await tftpGet({ server: tftp, file, timeoutMs: 1000, retries: 10 });
      if (!data) throw new Error(`${file} missing on the node`);
      writeFileSync(join(folder, file), data, { mode: 0o644 });
    }
  };
  await Promise.all(Array.from({ length: 100 }, worker));
}

interface TftpRate {
  filesPerSecond: number;
  megabytesPerSecond: number;
}

/** Median of each server's rounds; every round fetches every phone's file. */
async function compareTftp(servers: [string, RemoteEndpoint][]): Promise<Map<string, TftpRate>> {
  const rounds = new Map<string, TftpRate[]>(servers.map(([name]) => [name, []]));
  for (let round = 0; round < TFTP_ROUNDS; round++) {
    // Alternate so neither server always runs on a warmer machine.
    for (const [name, tftp] of round % 2 ? [...servers].reverse() : servers) {
      const result = await runFleetInProcesses(
        { task: 'fetch', tftp, sipPort: 0, macs: MACS, concurrency: CONCURRENCY },
        CLIENTS,
      );
      if (result.completed !== PHONES) throw new Error(`${name}: ${describeFailures(result)}`);
      const seconds = result.elapsedMs / 1000;
      rounds
        .get(name)!
        .push({ filesPerSecond: PHONES / seconds, megabytesPerSecond: result.octets / 1e6 / seconds });
    }
  }
  const median = (values: number[]) => Float64Array.from(values).sort()[Math.floor(values.length / 2)]!;
  return new Map(
    [...rounds].map(([name, rates]) => [
      name,
      {
        filesPerSecond: median(rates.map((rate) => rate.filesPerSecond)),
        megabytesPerSecond: median(rates.map((rate) => rate.megabytesPerSecond)),
      },
    ]),
  );
}

function describeFailures(result: FleetResult): string {
  const kinds = Object.entries(result.failures).map(([kind, count]) => `${kind} ×${count}`);
  return `${result.completed} of ${result.phones} completed${kinds.length ? `; ${kinds.join(', ')}` : ''}`;
}

async function registeredInStatusView(api: string): Promise<number> {
  const response = await fetch(`${api}/api/v1/phones/status`);
  if (!response.ok) throw new Error(`phones status: HTTP ${response.status}`);
  const view = (await response.json()) as DeviceStatus[];
  return view.filter((status) => status.status === 'registered').length;
}

const ms = (value: number) => `${Math.round(value).toLocaleString('en-US')} ms`;
const megabytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strowger-bench-phone-boot-'));
  const profileDir = args['cpu-prof'] === undefined ? undefined : resolve(args['cpu-prof']);
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  const folder = join(dir, 'tftp');
  mkdirSync(folder);
  chmodSync(dir, 0o755); // tftpd-hpa drops to an unprivileged user before reading
  chmodSync(folder, 0o755);
  const loadBefore = loadavg()[0]!;
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: REPO,
    encoding: 'utf8',
  }).trim();
  const node = await startNode(dir, profileDir);
  let peer: Awaited<ReturnType<typeof startTftpdHpa>> | undefined;
  try {
    const pid = node.child.pid!;
    const cpuBefore = cpuSeconds(processTree(pid));
    const residentBefore = residentBytes(pid, 'VmRSS');
    resetPeakResident(pid);
    const boot = await runFleetInProcesses(
      { task: 'boot', tftp: node.tftp, sipPort: node.sipPort, macs: MACS, concurrency: CONCURRENCY },
      CLIENTS,
    );
    const nodeCpu = cpuSeconds(processTree(pid)) - cpuBefore;
    const peakResident = residentBytes(pid, 'VmHWM');
    const registered = await registeredInStatusView(node.api);

    await copyPhoneFiles(node.tftp, folder);
    peer = await startTftpdHpa(folder);
    const servers: [string, RemoteEndpoint][] = [['strowger', node.tftp]];
    if (typeof peer === 'string')
      console.log(`Peer missing: ${peer}. Printing Strowger's TFTP figures only.\n`);
    else servers.push(['tftpd-hpa', peer.endpoint]);
    const tftp = await compareTftp(servers);

    const seconds = boot.elapsedMs / 1000;
    console.log(
      `\nPhone boot: ${PHONES.toLocaleString('en-US')} phones, ${CONCURRENCY} booting at once from ` +
        `${CLIENTS} client process${CLIENTS > 1 ? 'es' : ''}; ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ` +
        `Node ${process.version}, commit ${commit}, ${new Date().toISOString().slice(0, 10)}, ` +
        `load average ${loadBefore.toFixed(2)} before the run\n`,
    );
    printTable(
      ['boot', 'value'],
      [
        ['node start (applying the configuration)', `${node.startSeconds.toFixed(1)} s`],
        [
          `time until all registered (target < ${TARGET_SECONDS} s)`,
          `${seconds.toFixed(1)} s ${boot.completed === PHONES && seconds < TARGET_SECONDS ? 'met' : 'MISSED'}`,
        ],
        ['phones registered (fleet / status view)', `${boot.completed} / ${registered}`],
        ['phones per second', (boot.completed / seconds).toFixed(0)],
        [
          'TFTP fetch p50 / p99',
          `${ms(percentile(boot.fetchMs, 0.5))} / ${ms(percentile(boot.fetchMs, 0.99))}`,
        ],
        [
          'REGISTER (401 + 200) p50 / p99',
          `${ms(percentile(boot.registerMs, 0.5))} / ${ms(percentile(boot.registerMs, 0.99))}`,
        ],
        ['failures', boot.failed === 0 ? '0' : describeFailures(boot)],
        ['fetches restarted / REGISTERs sent again', `${boot.fetchRetries} / ${boot.registerRetries}`],
        ['SIP retransmissions by the phones', boot.sipRetransmissions],
        [
          'node CPU over the boot',
          `${nodeCpu.toFixed(1)} s (${((nodeCpu / seconds) * 100).toFixed(0)}% of a core)`,
        ],
        [
          'node RSS before / peak during the boot',
          `${megabytes(residentBefore)} / ${megabytes(peakResident)}`,
        ],
        [
          'client CPU (all fleet processes)',
          `${boot.clientCpuSeconds.toFixed(1)} s (${((boot.clientCpuSeconds / seconds) * 100).toFixed(0)}% of a core)`,
        ],
      ],
    );
    const ours = tftp.get('strowger')!;
    const theirs = tftp.get('tftpd-hpa');
    console.log(
      `\nTFTP: all ${PHONES.toLocaleString('en-US')} files (${(boot.octets / PHONES).toFixed(0)} bytes each), ` +
        `${CONCURRENCY} at once, median of ${TFTP_ROUNDS} rounds\n`,
    );
    printTable(
      ['server', 'files/s', 'MB/s', 'ratio'],
      [
        ['strowger', ours.filesPerSecond, ours.megabytesPerSecond.toFixed(1), '1.00×'],
        ...(theirs === undefined
          ? []
          : [
              [
                'tftpd-hpa (in.tftpd -L)',
                theirs.filesPerSecond,
                theirs.megabytesPerSecond.toFixed(1),
                `strowger ${(ours.filesPerSecond / theirs.filesPerSecond).toFixed(2)}×`,
              ],
            ]),
      ],
    );
    if (boot.completed !== PHONES || registered !== PHONES) process.exitCode = 1;
  } finally {
    if (peer !== undefined && typeof peer !== 'string') peer.child.kill('SIGTERM');
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  if (profileDir !== undefined) console.log(`\nNode CPU profile in ${profileDir}`);
}

await main();
