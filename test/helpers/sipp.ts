/** Runs sipp (Debian's sip-tester) and reads its final statistics. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SippResult {
  exitCode: number | null;
  successful: number;
  failed: number;
  /** The last 20 kB of what sipp printed, for failure messages. */
  output: string;
}

export interface SippProcess {
  /** Resolves when sipp exits on its own (e.g. after -m calls). */
  exited: Promise<SippResult>;
  /** Ends sipp (a UAS runs until told) and resolves with its statistics. */
  stop(): Promise<SippResult>;
}

/** Cumulative "SuccessfulCall(C)" and "FailedCall(C)" from the last row of sipp's -trace_stat CSV. */
function readStats(dir: string): { successful: number; failed: number } {
  const file = readdirSync(dir).find((name) => name.endsWith('.csv'));
  if (!file) return { successful: 0, failed: 0 };
  const lines = readFileSync(join(dir, file), 'latin1').trim().split('\n');
  const header = (lines[0] ?? '').split(';');
  const last = (lines[lines.length - 1] ?? '').split(';');
  const column = (name: string) => Number(last[header.indexOf(name)] ?? Number.NaN);
  return { successful: column('SuccessfulCall(C)'), failed: column('FailedCall(C)') };
}

export function startSipp(args: string[]): SippProcess {
  const dir = mkdtempSync(join(tmpdir(), 'strowger-sipp-'));
  const child = spawn(
    'sipp',
    [...args, '-nostdin', '-trace_stat', '-fd', '1', '-stf', join(dir, 'stats.csv')],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('latin1')).slice(-20_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<SippResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (exitCode) => {
      const stats = readStats(dir);
      rmSync(dir, { recursive: true, force: true });
      resolve({ exitCode, ...stats, output });
    });
  });
  return {
    exited,
    stop: () => {
      // SIGUSR1 makes sipp dump its statistics before it quits.
      child.kill('SIGUSR1');
      setTimeout(() => child.kill('SIGTERM'), 200).unref();
      return exited;
    },
  };
}

/** Runs sipp to completion, killing it after `timeoutMs`. */
export async function runSipp(args: string[], timeoutMs = 120_000): Promise<SippResult> {
  const sipp = startSipp(args);
  const timer = setTimeout(() => void sipp.stop(), timeoutMs);
  try {
    return await sipp.exited;
  } finally {
    clearTimeout(timer);
  }
}
