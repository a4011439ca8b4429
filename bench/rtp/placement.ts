/**
 * Where the benchmark's processes run: each pinned to one CPU (taskset) and, on a shared
 * machine, raised above the other load so that it does not decide the latency figures. Both
 * relays and the generator get the same treatment.
 *
 * Measured on a 2-CPU machine at load average 12, a thread sleeping 1 ms woke up to 84 ms late at
 * normal priority and 22 ms late at nice -20 (100 wake-ups in 5 s more than 1 ms late). SCHED_FIFO
 * did better still but is not offered: a Node process whose threads share one CPU at the same
 * FIFO priority does not time-slice, so a busy media worker starves its own main thread.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

/**
 * normal: as started; nice: nice -20, the highest CFS weight (needs root or CAP_SYS_NICE;
 * without, the process runs at normal priority with a warning).
 */
export type Priority = 'normal' | 'nice';

export interface Placement {
  /** CPU to pin to; undefined leaves the process free. */
  cpu?: number;
  priority: Priority;
}

const available = (tool: string) =>
  spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

/** True when `taskset` exists, so runs can be pinned to CPUs. */
export const canPin = available('taskset');

/**
 * The command line that starts `command` placed as asked. taskset and nice exec the
 * command, so the child's pid is the command's.
 */
export function placedCommand(command: string, args: string[], placement: Placement): [string, string[]] {
  let line = [command, ...args];
  if (placement.cpu !== undefined && canPin) line = ['taskset', '-c', String(placement.cpu), ...line];
  if (placement.priority === 'nice') line = ['nice', '-n', '-20', ...line];
  return [line[0]!, line.slice(1)];
}

/**
 * Places a running process: every thread it has now. Threads it creates later inherit the
 * affinity and scheduling of the thread that creates them.
 */
export function placeProcess(pid: number, placement: Placement): void {
  if (placement.cpu !== undefined && canPin) {
    const result = spawnSync('taskset', ['-a', '-p', '-c', String(placement.cpu), String(pid)], {
      stdio: 'ignore',
    });
    if (result.status !== 0) throw new Error(`taskset could not pin process ${pid} to CPU ${placement.cpu}`);
  }
  if (placement.priority === 'nice') {
    // Linux applies setpriority to one thread, so each thread is reniced.
    const threads = readdirSync(`/proc/${pid}/task`);
    const result = spawnSync('renice', ['-n', '-20', '-p', ...threads], { stdio: 'ignore' });
    if (result.status !== 0)
      process.stderr.write(`could not renice process ${pid}: figures include other load\n`);
  }
}
