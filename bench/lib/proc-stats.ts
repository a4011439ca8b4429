/**
 * CPU time and memory of a server's processes, read from Linux /proc: the figures a load test
 * needs about a server it did not start in-process (a child Node process, Kamailio's forked
 * workers).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ, the unit of utime and stime in /proc/<pid>/stat (100 on every common Linux). */
const clockTicksPerSecond =
  Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** A /proc file of a process, or undefined when the process has exited meanwhile. */
function readProcessFile(pid: number, name: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'latin1');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw error;
  }
}

/** The fields after "pid (comm)"; comm may hold spaces and parentheses, so split after the last ')'. */
function statFields(pid: number): string[] | undefined {
  const text = readProcessFile(pid, 'stat');
  return text?.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** `root` and every live descendant of it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    // proc(5): after comm come state (index 0) and ppid (index 1).
    const parent = Number(statFields(pid)?.[1]);
    if (!Number.isInteger(parent)) continue;
    const siblings = children.get(parent);
    if (siblings) siblings.push(pid);
    else children.set(parent, [pid]);
  }
  const tree: number[] = [];
  const pending = [root];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** User plus system CPU seconds used so far by the processes (all their threads); exited ones count 0. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const fields = statFields(pid);
    // proc(5): utime and stime are fields 14 and 15, i.e. indexes 11 and 12 after comm.
    if (fields) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / clockTicksPerSecond;
}

/**
 * Proportional set size summed over the processes: resident memory with every shared page
 * divided among its sharers, so that forked workers over one shared-memory pool are not counted
 * once per worker (for a lone process it is its RSS less a share of the shared libraries).
 */
export function pssBytes(pids: number[]): number {
  let kilobytes = 0;
  for (const pid of pids) {
    const match = /^Pss:\s+(\d+) kB/m.exec(readProcessFile(pid, 'smaps_rollup') ?? '');
    if (match) kilobytes += Number(match[1]);
  }
  return kilobytes * 1024;
}
