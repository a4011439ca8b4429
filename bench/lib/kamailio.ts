/**
 * Kamailio (Debian's `kamailio` 5.x) as the peer of the SIP benchmarks: one UDP listener and one
 * worker process (children=1), answering OPTIONS and REGISTER with 200 either statelessly (sl) or
 * through a server transaction (tm), started in the foreground from a config written to a temp
 * directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answersOptions } from './options-probe.js';

export type KamailioMode = 'stateless' | 'stateful';

/**
 * The global lines every benchmark's kamailio.cfg starts with: logs to stderr, no TCP, one UDP
 * listener and one SIP worker process besides the attendant and timer processes
 * (`children=1`), the counterpart of one Node event loop.
 */
export function kamailioCore(address: string, port: number): string[] {
  return [
    '#!KAMAILIO',
    'debug=1',
    'log_stderror=yes',
    'children=1',
    'disable_tcp=yes',
    'auto_aliases=no',
    `listen=udp:${address}:${port}`,
  ];
}

/**
 * The whole kamailio.cfg of the transaction benchmark. Stateless: sl_send_reply builds the 200 and forgets the request. Stateful: t_newtran creates
 * the server transaction (absorbing retransmissions, RFC 3261 §17.2.2) and t_reply answers in
 * it; tm keeps it for its wait_timer (5 s by default) where RFC 3261 timer J would be 32 s.
 * Modules load from the path compiled into the package (no mpath), whatever the architecture.
 */
export function kamailioConfig(address: string, port: number, mode: KamailioMode): string {
  const answer =
    mode === 'stateless'
      ? ['    sl_send_reply("200", "OK");']
      : [
          '    if (!t_newtran()) {',
          '      sl_reply_error();',
          '      exit;',
          '    }',
          '    t_reply("200", "OK");',
        ];
  return [
    ...kamailioCore(address, port),
    // tm before sl: sl binds to tm's API when tm is loaded.
    ...(mode === 'stateful' ? ['loadmodule "tm.so"'] : []),
    'loadmodule "sl.so"',
    'request_route {',
    '  if (method == "OPTIONS" || method == "REGISTER") {',
    ...answer,
    '    exit;',
    '  }',
    '  sl_send_reply("501", "Not Implemented");',
    '}',
    '',
  ].join('\n');
}

export interface RunningKamailio {
  /** The attendant process; the workers are its children. */
  readonly pid: number;
  readonly config: string;
  /** What Kamailio printed last (its log goes to stderr), for diagnosis. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts `kamailio -DD -E -f <cfg>` and resolves once it answers an OPTIONS. Shared memory is
 * sized for a stateful flood: a tm transaction costs Kamailio about 10 kB of shared memory until
 * its wait timer ends, so a 15,000/s flood holds about 750 MB; TLSF is the allocator that copes
 * with that churn.
 */
export async function startKamailio(
  address: string,
  port: number,
  mode: KamailioMode,
): Promise<RunningKamailio> {
  const dir = mkdtempSync(join(tmpdir(), 'strowger-bench-kamailio-'));
  const configFile = join(dir, 'kamailio.cfg');
  const config = kamailioConfig(address, port, mode);
  writeFileSync(configFile, config);
  const child: ChildProcess = spawn(
    'kamailio',
    ['-DD', '-E', '-f', configFile, '-x', 'tlsf', '-m', '2048', '-w', dir],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('latin1')).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.on('error', (error) => collect(Buffer.from(`\n${error.message}`)));
  // 'close' waits for the workers too: they hold the same stdio pipes.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const running: RunningKamailio = {
    pid: child.pid ?? -1,
    config,
    log: () => output,
    stop: async () => {
      // The attendant ends its workers on SIGTERM.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await closed;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (!(await answersOptions(address, port, closed, 10_000))) {
    await running.stop();
    throw new Error(`kamailio did not start:\n${output}`);
  }
  return running;
}
