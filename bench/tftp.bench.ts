/**
 * TFTP serving throughput: a boot storm of phones fetching ~4 KB config files, and a few
 * phones fetching a 2 MB firmware file, on loopback.
 *
 * Peer: Debian's tftpd-hpa (`in.tftpd -L`), serving the same folder in the same run. Both servers
 * run outside the benchmark's process (Strowger's in a child process of this file), so the one
 * client in this process loads both alike. tftpd-hpa forks a process per request, so it may use
 * both cores; Strowger runs on one event loop. The client checks every file's length and the
 * firmware's SHA-256.
 *
 * Run: npx tsx bench/tftp.bench.ts
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createTftpServer,
  directorySource,
  type OptionList,
  type RemoteEndpoint,
} from '../src/tftp/index.js';
import { fingerprint, tftpGet } from '../test/integration/tftp/tftp-client.js';
import { printTable } from './lib/measure.js';
import { startTftpdHpa } from './lib/tftpd-hpa.js';

const CONFIG_FILES = 500;
const CONFIG_FETCHES = 3000;
const CONFIG_CONCURRENCY = 100;
const FIRMWARE_SIZE = 2 * 1024 * 1024;
const FIRMWARE_CLIENTS = 8;
const ROUNDS = 3;

if (process.argv[2] === '--serve') {
  // Child mode: serve the folder and print the port.
  const server = await createTftpServer({
    address: '127.0.0.1',
    port: 0,
    source: directorySource([process.argv[3]!]),
    maxTransfers: 2000,
  });
  process.stdout.write(`${server.address().port}\n`);
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
} else {
  await main();
}

function configName(i: number): string {
  return `SEP${(0x0008a3000000 + i).toString(16).toUpperCase().padStart(12, '0')}.cnf.xml`;
}

function makeFolder(): { folder: string; sizes: Map<string, number>; firmwareFingerprint: string } {
  const folder = mkdtempSync(path.join(tmpdir(), 'strowger-tftp-bench-'));
  chmodSync(folder, 0o755); // tftpd-hpa drops to an unprivileged user before reading
  const sizes = new Map<string, number>();
  for (let i = 0; i < CONFIG_FILES; i++) {
    const lines = Array.from({ length: 60 }, (_, n) => `  <line button="${n}"><dn>${1000 + i}</dn></line>\n`);
    const data = Buffer.from(`<device name="${configName(i)}">\n${lines.join('')}</device>\n`);
    writeFileSync(path.join(folder, configName(i)), data, { mode: 0o644 });
    sizes.set(configName(i), data.length);
  }
  const firmware = Buffer.alloc(FIRMWARE_SIZE);
  for (let i = 0; i < firmware.length; i++) firmware[i] = (i * 131 + (i >> 10)) & 0xff;
  writeFileSync(path.join(folder, 'P0030801SR02.loads'), firmware, { mode: 0o644 });
  sizes.set('P0030801SR02.loads', firmware.length);
  return { folder, sizes, firmwareFingerprint: fingerprint(firmware) };
}

async function startStrowger(folder: string): Promise<{ endpoint: RemoteEndpoint; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--serve', folder],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`server child exited with ${code}`)));
  });
  return { endpoint: { address: '127.0.0.1', port }, child };
}

interface Fetch {
  file: string;
  options?: OptionList;
}

/** Runs `fetches` with at most `concurrency` in flight; returns elapsed ms and octets received. */
async function runLoad(
  endpoint: RemoteEndpoint,
  fetches: Fetch[],
  concurrency: number,
  sizes: Map<string, number>,
  firmwareFingerprint: string,
): Promise<{ ms: number; octets: number }> {
  let next = 0;
  let octets = 0;
  const worker = async () => {
    while (next < fetches.length) {
      const { file, options } = fetches[next++]!;
      const result = await tftpGet({ server: endpoint, file, options, timeoutMs: 1000, retries: 10 });
      const { data } = result;
      if (!data || data.length !== sizes.get(file)) throw new Error(`${file}: wrong length ${data?.length}`);
      if (file.endsWith('.loads') && fingerprint(data) !== firmwareFingerprint)
        throw new Error(`${file}: content differs`);
      octets += data.length;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ms: performance.now() - start, octets };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const { folder, sizes, firmwareFingerprint } = makeFolder();
  const ours = await startStrowger(folder);
  const peer = await startTftpdHpa(folder);
  if (typeof peer === 'string') console.log(`Peer missing: ${peer}. Printing Strowger's figures only.\n`);
  const servers: [string, RemoteEndpoint][] = [['strowger', ours.endpoint]];
  if (typeof peer !== 'string') servers.push(['tftpd-hpa', peer.endpoint]);

  const configFetches: Fetch[] = Array.from({ length: CONFIG_FETCHES }, (_, i) => ({
    file: configName(i % CONFIG_FILES),
  }));
  const workloads: { name: string; fetches: Fetch[]; concurrency: number; unit: 'files' | 'MB' }[] = [
    {
      name: `config ~4 KB x${CONFIG_FETCHES}, ${CONFIG_CONCURRENCY} at once`,
      fetches: configFetches,
      concurrency: CONFIG_CONCURRENCY,
      unit: 'files',
    },
    {
      name: `firmware 2 MB x${FIRMWARE_CLIENTS} at once, blksize 512`,
      fetches: Array.from({ length: FIRMWARE_CLIENTS }, () => ({ file: 'P0030801SR02.loads' })),
      concurrency: FIRMWARE_CLIENTS,
      unit: 'MB',
    },
    {
      name: `firmware 2 MB x${FIRMWARE_CLIENTS} at once, blksize 1428`,
      fetches: Array.from({ length: FIRMWARE_CLIENTS }, () => ({
        file: 'P0030801SR02.loads',
        options: [['blksize', '1428']] as OptionList,
      })),
      concurrency: FIRMWARE_CLIENTS,
      unit: 'MB',
    },
  ];

  const rows: (string | number)[][] = [];
  try {
    for (const workload of workloads) {
      const rates = new Map<string, number[]>(servers.map(([name]) => [name, []]));
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate so neither server always runs on a warmer machine.
        for (const [name, endpoint] of round % 2 ? [...servers].reverse() : servers) {
          const { ms, octets } = await runLoad(
            endpoint,
            workload.fetches,
            workload.concurrency,
            sizes,
            firmwareFingerprint,
          );
          const rate =
            workload.unit === 'files' ? (workload.fetches.length / ms) * 1000 : octets / 1e6 / (ms / 1000);
          rates.get(name)!.push(rate);
        }
      }
      const ourRate = median(rates.get('strowger')!);
      const peerRates = rates.get('tftpd-hpa');
      const peerRate = peerRates ? median(peerRates) : undefined;
      const format = (rate: number) =>
        workload.unit === 'files' ? `${Math.round(rate)} files/s` : `${rate.toFixed(1)} MB/s`;
      rows.push([
        workload.name,
        format(ourRate),
        peerRate === undefined ? '-' : format(peerRate),
        peerRate === undefined ? '-' : `${(ourRate / peerRate).toFixed(2)}x`,
      ]);
    }
  } finally {
    ours.child.kill('SIGTERM');
    if (typeof peer !== 'string') peer.child.kill('SIGTERM');
    rmSync(folder, { recursive: true, force: true });
  }
  console.log(`TFTP on loopback, median of ${ROUNDS} rounds (Node ${process.version})\n`);
  printTable(['workload', 'strowger', 'tftpd-hpa', 'ratio'], rows);
}
