/**
 * A UDP flood of one sipp scenario from several sipp processes at once (one sipp process tops
 * out near a thousand or so calls per second), with the totals read from each process's
 * -trace_stat CSV.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/helpers/ports.js';

export interface FloodOptions {
  /** Path of the sipp scenario XML. */
  scenarioFile: string;
  address: string;
  port: number;
  processes: number;
  callsPerProcess: number;
  /** Calls started per second by each process (sipp -r, period -rp 1000 ms). */
  ratePerProcess: number;
  /**
   * Calls in progress per process (sipp -l). Bounding it turns the flood into a closed loop
   * that runs at the server's pace instead of overflowing its socket buffer.
   */
  window: number;
  /** Each process is ended after this long. */
  timeoutMs: number;
}

export interface FloodResult {
  successful: number;
  failed: number;
  /** Requests sipp sent again because no response came within its timer (T1 = 500 ms, doubling). */
  retransmissions: number;
  /** From starting the first sipp to the exit of the last. */
  elapsedSeconds: number;
  /** The tail of what each sipp printed when it failed or exited non-zero, for diagnosis. */
  problems: string[];
}

interface SippTotals {
  successful: number;
  failed: number;
  retransmissions: number;
  exitCode: number | null;
  output: string;
}

/** Last cumulative counters of a -trace_stat CSV (semicolon-separated, one row per period). */
function readTotals(dir: string): Omit<SippTotals, 'exitCode' | 'output'> {
  const file = readdirSync(dir).find((name) => name.endsWith('.csv'));
  const lines = file ? readFileSync(join(dir, file), 'latin1').trim().split('\n') : [];
  const header = (lines[0] ?? '').split(';');
  const last = (lines[lines.length - 1] ?? '').split(';');
  const column = (name: string): number => {
    const index = header.indexOf(name);
    return index < 0 ? 0 : Number(last[index] ?? 0);
  };
  return {
    successful: column('SuccessfulCall(C)'),
    failed: column('FailedCall(C)'),
    retransmissions: column('Retransmissions(C)'),
  };
}

async function runOne(options: FloodOptions): Promise<SippTotals> {
  const dir = mkdtempSync(join(tmpdir(), 'strowger-bench-sipp-'));
  const localPort = await freePort('UDP');
  const args = [
    '-sf',
    options.scenarioFile,
    '-t',
    'u1',
    '-i',
    options.address,
    '-p',
    String(localPort),
    '-r',
    String(options.ratePerProcess),
    '-rp',
    '1000',
    '-m',
    String(options.callsPerProcess),
    '-l',
    String(options.window),
    '-nostdin',
    '-trace_stat',
    '-fd',
    '1',
    '-stf',
    join(dir, 'stats.csv'),
    `${options.address}:${options.port}`,
  ];
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('latin1')).slice(-4000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  // SIGUSR1 makes sipp write its statistics and quit; SIGTERM in case it does not.
  const timer = setTimeout(() => {
    child.kill('SIGUSR1');
    setTimeout(() => child.kill('SIGTERM'), 500).unref();
  }, options.timeoutMs);
  try {
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', resolve);
    });
    return { ...readTotals(dir), exitCode, output };
  } finally {
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runFlood(options: FloodOptions): Promise<FloodResult> {
  const started = performance.now();
  const runs = await Promise.all(Array.from({ length: options.processes }, () => runOne(options)));
  const elapsedSeconds = (performance.now() - started) / 1000;
  const sum = (pick: (run: SippTotals) => number): number =>
    runs.reduce((total, run) => total + pick(run), 0);
  return {
    successful: sum((run) => run.successful),
    failed: sum((run) => run.failed),
    retransmissions: sum((run) => run.retransmissions),
    elapsedSeconds,
    problems: runs.filter((run) => run.exitCode !== 0 || run.failed > 0).map((run) => run.output),
  };
}
