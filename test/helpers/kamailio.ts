/**
 * Kamailio (Debian's `kamailio` 5.x) as the carrier of the trunk interop tests: a registrar
 * (usrloc, digest auth against one account kept in an htable) answering OPTIONS, with each test
 * adding how it relays calls. It runs in the foreground from a config written to its own temp
 * directory and is ready once `kamcmd` answers on its control socket.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { vi } from 'vitest';
import { freePort } from './ports.js';

const run = promisify(execFile);

export interface CarrierScript {
  /** The address Kamailio listens on (UDP, on a free port). */
  readonly host: string;
  readonly realm: string;
  /** The one account the carrier knows (demo credentials). */
  readonly account: { readonly username: string; readonly password: string };
  /** Modules loaded besides the registrar's, by name, e.g. `rr` for record_route. */
  readonly extraModules?: readonly string[];
  /** Route script run on every request before OPTIONS and REGISTER: in-dialog requests, CANCEL. */
  readonly beforeRegistrar?: string;
  /** Route script for what is not OPTIONS or REGISTER, e.g. INVITE; anything left gets 404. */
  readonly afterRegistrar?: string;
}

/**
 * Challenges a request without valid credentials for the carrier's account and consumes them
 * otherwise: `www` for REGISTER (401, RFC 3261 22.2), `proxy` for calls (407, RFC 3261 22.3).
 */
export function authenticate(realm: string, kind: 'www' | 'proxy'): string {
  const header = kind === 'www' ? 'Authorization' : 'Proxy-Authorization';
  return `    if (!is_present_hf("${header}") || $sht(accounts=>$au) == $null) {
      auth_challenge("${realm}", "1");
      exit;
    }
    if (!pv_${kind}_authenticate("${realm}", "$sht(accounts=>$au)", "0")) {
      auth_challenge("${realm}", "1");
      exit;
    }
    consume_credentials();`;
}

/** The whole kamailio.cfg: the registrar, with the script's own routes around it. */
function carrierConfig(script: CarrierScript, port: number, controlSocket: string): string {
  const modules = [
    ...['tm', 'sl', 'pv', 'maxfwd', 'textops', 'siputils', 'usrloc', 'registrar', 'auth', 'htable', 'ctl'],
    ...(script.extraModules ?? []),
  ];
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
listen=udp:${script.host}:${port}

${modules.map((module) => `loadmodule "${module}.so"`).join('\n')}

modparam("ctl", "binrpc", "unix:${controlSocket}")
modparam("usrloc", "db_mode", 0)
modparam("htable", "htable", "accounts=>size=4;")

event_route[htable:mod-init] {
  $sht(accounts=>${script.account.username}) = "${script.account.password}";
}

request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
${script.beforeRegistrar ?? ''}
  if (is_method("OPTIONS")) { sl_send_reply("200", "Keepalive"); exit; }
  if (is_method("REGISTER")) {
${authenticate(script.realm, 'www')}
    if (!save("location")) sl_reply_error();
    exit;
  }
${script.afterRegistrar ?? ''}
  sl_send_reply("404", "Not Here");
}
`;
}

export interface KamailioCarrier {
  readonly port: number;
  /** `host:port`, where callers send their requests. */
  readonly address: string;
  /** What Kamailio printed last (its log goes to stderr), for failure messages. */
  log(): string;
  /** `kamcmd <command…>` on the control socket; its stdout. */
  kamcmd(...command: string[]): Promise<string>;
  /** The AORs in the location table, sorted. */
  locationAors(): Promise<string[]>;
  /** SIGTERM (unless it has exited already), then removes its directory. */
  stop(): Promise<void>;
}

/** Writes the config, starts `kamailio -DD -E` and waits up to 15 s for it to answer kamcmd. */
export async function startKamailioCarrier(script: CarrierScript): Promise<KamailioCarrier> {
  const dir = await mkdtemp(join(tmpdir(), 'strowger-kamailio-'));
  const controlSocket = join(dir, 'kamailio-ctl.sock');
  const port = await freePort('UDP');
  const configFile = join(dir, 'kamailio.cfg');
  await writeFile(configFile, carrierConfig(script, port, controlSocket));
  const child: ChildProcess = spawn(
    'kamailio',
    ['-DD', '-E', '-f', configFile, '-P', join(dir, 'kamailio.pid')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      log += `\n${error.message}`;
      resolve();
    });
  });
  const kamcmd = async (...command: string[]) =>
    (await run('kamcmd', ['-s', `unix:${controlSocket}`, ...command])).stdout;
  const carrier: KamailioCarrier = {
    port,
    address: `${script.host}:${port}`,
    log: () => log,
    kamcmd,
    locationAors: async () =>
      [...(await kamcmd('ul.dump')).matchAll(/AoR: (\S+)/g)].map((match) => match[1] ?? '').sort(),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await vi.waitFor(() => kamcmd('core.uptime'), { timeout: 15_000, interval: 100 });
  } catch (error) {
    await carrier.stop();
    throw new Error(`kamailio did not start: ${String(error)}\n${log}`);
  }
  return carrier;
}
