/**
 * Small benchmark helpers: throughput by repeated timed rounds (median of rounds, after a
 * warm-up), and a plain-text table.
 */

export interface Throughput {
  /** Median operations per second over the rounds. */
  median: number;
  /** Every round's operations per second, in order. */
  rounds: number[];
}

export interface MeasureOptions {
  /** Time spent running the function before measuring, so the JIT has optimised it. */
  warmupMs?: number;
  rounds?: number;
  roundMs?: number;
}

/** Calls `fn` in batches until each round's time is used up; returns operations per second. */
export function measureThroughput(fn: () => unknown, options: MeasureOptions = {}): Throughput {
  const result = compareThroughput({ only: fn }, options).only;
  return result!;
}

/**
 * Measures several functions with their rounds interleaved (a round of each in turn), so that
 * a change in machine load during the run affects every contender alike.
 */
export function compareThroughput(
  contenders: Record<string, () => unknown>,
  options: MeasureOptions = {},
): Record<string, Throughput> {
  const { warmupMs = 500, rounds = 9, roundMs = 300 } = options;
  const names = Object.keys(contenders);
  for (const name of names) runFor(contenders[name]!, warmupMs);
  const results: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of names) results[name]!.push(runFor(contenders[name]!, roundMs));
  }
  return Object.fromEntries(names.map((name) => [name, summarise(results[name]!)]));
}

function summarise(rounds: number[]): Throughput {
  const sorted = [...rounds].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, rounds };
}

let sink: unknown;

function runFor(fn: () => unknown, ms: number): number {
  const batch = 256;
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) sink = fn();
    ops += batch;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return (ops / elapsed) * 1000;
}

/** Keeps results observable so that the optimiser cannot drop the measured work. */
export function lastResult(): unknown {
  return sink;
}

/** Prints rows as an aligned table; numbers are formatted with thousands separators. */
export function printTable(headers: string[], rows: Array<Array<string | number>>): void {
  const cells = rows.map((row) =>
    row.map((cell) => (typeof cell === 'number' ? Math.round(cell).toLocaleString('en-US') : cell)),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (row: string[]): string =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells) console.log(line(row));
}
