/**
 * Drives bench/rtp/rtp-load.c: compiles it once into a temporary directory, then runs it once
 * per measurement, pinned to its own CPU, with the streams the relay under test set up.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Placement, placedCommand } from './placement.js';

const SOURCE = fileURLToPath(new URL('./rtp-load.c', import.meta.url));

/** One round of the measurement window. */
export interface RoundResult {
  /** Packets sent in the round (relay mode: tagged; conference mode: to the mixer). */
  sent: number;
  /** Relay mode: those of them that came back; conference mode: mixes that arrived in the round. */
  received: number;
  /** Relay mode: one-way latency; conference mode: interval between a participant's mixes. */
  p50Us: number;
  p99Us: number;
}

/** What rtp-load prints at the end of a run (see its header comment); quantiles are -1 when empty. */
export interface LoadResult {
  seconds: number;
  sent: number;
  received: number;
  lost: number;
  lossyStreams: number;
  reordered: number;
  duplicates: number;
  foreign: number;
  sendErrors: number;
  /** Conference mode: participants that got fewer mixes than the window holds (less one). */
  shortReceivers: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  /** Times the sender woke up more than 5 ms late, and the packets it skipped for it. */
  stalls: number;
  skipped: number;
  maxLagUs: number;
  /** -1 when no relay process was given. */
  relayCpuSeconds: number;
  generatorCpuSeconds: number;
  roundSeconds: number;
  rounds: RoundResult[];
}

export interface LoadOptions {
  mode: 'relay' | 'conference';
  sockets: number;
  warmupMs: number;
  seconds: number;
  roundMs: number;
  drainMs: number;
  /** Process whose CPU time is read over the measurement window. */
  relayPid?: number;
  placement: Placement;
}

/** Returns the path of the compiled generator; throws with gcc's output when it does not build. */
export function compileLoadGenerator(): string {
  const binary = path.join(mkdtempSync(path.join(tmpdir(), 'strowger-rtp-load-')), 'rtp-load');
  const result = spawnSync('gcc', ['-O2', '-Wall', '-o', binary, SOURCE], { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`gcc failed on ${SOURCE}: ${result.error?.message ?? result.stderr}`);
  return binary;
}

/** How much of a CPU a thread placed there actually gets (see --probe-ms in rtp-load.c). */
export interface CpuProbe {
  /** Share of the time the thread ran, 0–1. */
  available: number;
  maxGapMs: number;
}

export function probeCpu(binary: string, placement: Placement, milliseconds: number): CpuProbe {
  const [command, args] = placedCommand(binary, ['--probe-ms', String(milliseconds)], placement);
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`rtp-load --probe-ms failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as CpuProbe;
}

/** One run of the generator: bound sockets first, streams and results after. */
export class LoadRun {
  private constructor(
    private readonly child: ChildProcess,
    private readonly lines: AsyncIterator<string>,
    /** The generator's socket ports, by socket index. */
    readonly ports: number[],
  ) {}

  static async start(binary: string, options: LoadOptions): Promise<LoadRun> {
    const args = [
      '--mode',
      options.mode,
      '--sockets',
      String(options.sockets),
      '--warmup-ms',
      String(options.warmupMs),
      '--seconds',
      String(options.seconds),
      '--round-ms',
      String(options.roundMs),
      '--drain-ms',
      String(options.drainMs),
      '--relay-pid',
      String(options.relayPid ?? 0),
    ];
    const child = spawn(...placedCommand(binary, args, options.placement), {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done || !first.value.startsWith('ports')) {
      child.kill();
      throw new Error(`rtp-load did not report its ports: ${first.value ?? 'no output'}`);
    }
    return new LoadRun(child, lines, first.value.split(' ').slice(1).map(Number));
  }

  /** Plays the streams (socket index, destination port) and resolves with the figures. */
  async play(streams: ReadonlyArray<readonly [number, number]>): Promise<LoadResult> {
    const text = streams.map(([socket, port]) => `${socket} ${port}`).join('\n');
    this.child.stdin!.end(`streams ${streams.length}\n${text}\n`);
    const line = await this.lines.next();
    if (line.done) throw new Error('rtp-load ended without results');
    return JSON.parse(line.value) as LoadResult;
  }

  /** Ends a run that will not be played (setup failed). */
  abort(): void {
    this.child.kill();
  }
}
