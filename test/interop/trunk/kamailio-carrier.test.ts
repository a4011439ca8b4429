/**
 * Kamailio as the carrier: its registrar (usrloc, digest auth with credentials in an htable)
 * receives the seed's numbers from the trunk adapter, `kamcmd ul.dump` shows them, a wrong
 * password ends in the failed state, the bindings go on stop, and when Kamailio stops the
 * OPTIONS keepalive takes the trunk out of service.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createTrunkAdapter,
  type TrunkAdapter,
  type TrunkConfig,
  type TrunkEvent,
} from '../../../src/adapters/sip-trunk/index.js';
import { createSipStack, type SipStack } from '../../../src/sip/index.js';
import { interopAvailable } from '../../helpers/interop.js';
import { freePort } from '../../helpers/ports.js';

const run = promisify(execFile);
const canRun = interopAvailable('kamailio', 'kamcmd');

const REALM = 'carrier.test';
const ACCOUNT = { username: '5123781000', password: 'demo-trunk-secret' }; // demo credentials
const REGISTERED = ['5123781290', '5123781291'];

/** A carrier registrar: OPTIONS answered 200, REGISTER challenged and saved in usrloc. */
function kamailioConfig(port: number, controlSocket: string): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:${port}

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "htable.so"
loadmodule "ctl.so"

modparam("ctl", "binrpc", "unix:${controlSocket}")
modparam("usrloc", "db_mode", 0)
modparam("htable", "htable", "accounts=>size=4;")

event_route[htable:mod-init] {
  $sht(accounts=>${ACCOUNT.username}) = "${ACCOUNT.password}";
}

request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (is_method("OPTIONS")) { sl_send_reply("200", "Keepalive"); exit; }
  if (is_method("REGISTER")) {
    if (!is_present_hf("Authorization") || $sht(accounts=>$au) == $null) {
      auth_challenge("${REALM}", "1");
      exit;
    }
    if (!pv_www_authenticate("${REALM}", "$sht(accounts=>$au)", "0")) {
      auth_challenge("${REALM}", "1");
      exit;
    }
    consume_credentials();
    if (!save("location")) sl_reply_error();
    exit;
  }
  sl_send_reply("404", "Not Here");
}
`;
}

describe.runIf(canRun)('trunk adapter with Kamailio as the carrier', () => {
  let dir: string;
  let controlSocket: string;
  let kamailio: ChildProcess | undefined;
  let kamailioLog = '';
  let port: number;
  let stack: SipStack;
  const adapters: TrunkAdapter[] = [];

  function trunk(password: string): TrunkConfig {
    return {
      name: 'sp',
      proxy: `ipv4:127.0.0.1:${port}`,
      registrar: { uri: `ipv4:127.0.0.1:${port}`, expires: 3600, retryRegisterSeconds: 60 },
      credentials: { username: ACCOUNT.username, password },
      numbers: [...REGISTERED.map((number) => ({ number })), { number: '5123781201', register: false }],
      optionsKeepalive: { intervalSeconds: 1, failuresBeforeOutOfService: 2, retries: 0 },
    };
  }

  function startAdapter(config: TrunkConfig, events: TrunkEvent[] = []): TrunkAdapter {
    const adapter = createTrunkAdapter({ stack, trunks: () => [config], stopTimeoutMs: 3000 });
    adapter.onEvent((event) => events.push(event));
    adapter.start();
    adapters.push(adapter);
    return adapter;
  }

  async function kamcmd(...command: string[]): Promise<string> {
    const { stdout } = await run('kamcmd', ['-s', `unix:${controlSocket}`, ...command]);
    return stdout;
  }

  /** The AORs in Kamailio's location table. */
  async function locationAors(): Promise<string[]> {
    const dump = await kamcmd('ul.dump');
    return [...dump.matchAll(/AoR: (\S+)/g)].map((match) => match[1] ?? '').sort();
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strowger-trunk-kamailio-'));
    controlSocket = join(dir, 'kamailio-ctl.sock');
    port = await freePort('UDP');
    const configFile = join(dir, 'kamailio.cfg');
    await writeFile(configFile, kamailioConfig(port, controlSocket));
    kamailio = spawn('kamailio', ['-DD', '-E', '-f', configFile, '-P', join(dir, 'kamailio.pid')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    kamailio.stderr?.on('data', (chunk: Buffer) => {
      kamailioLog = (kamailioLog + chunk.toString()).slice(-20_000);
    });
    await vi
      .waitFor(() => kamcmd('core.uptime'), { timeout: 15_000, interval: 100 })
      .catch((error: unknown) => {
        throw new Error(`kamailio did not start: ${String(error)}\n${kamailioLog}`);
      });
    // Short transaction timers: a silent carrier times out in 64*T1 = 1.6 s.
    stack = await createSipStack({
      transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
      timers: { T1: 25, T2: 100 },
    });
  });

  afterAll(async () => {
    for (const adapter of adapters) await adapter.stop();
    await stack?.close();
    if (kamailio && kamailio.exitCode === null) kamailio.kill('SIGTERM');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("registers the seed's numbers, which Kamailio's usrloc then holds", async () => {
    const adapter = startAdapter(trunk(ACCOUNT.password));
    await vi.waitFor(
      () => expect(adapter.registerStatus().map((row) => row.registered)).toEqual(['yes', 'yes']),
      { timeout: 15_000 },
    );
    expect(await locationAors()).toEqual(REGISTERED);
    // kamcmd reads a bare 5123781290 as an integer; s: keeps it a string.
    const contact = await kamcmd('ul.lookup', 'location', `s:${REGISTERED[0]}`);
    expect(contact).toContain(`sip:${REGISTERED[0]}@127.0.0.1:${stack.listening()[0]?.port}`);
    await vi.waitFor(() => expect(adapter.status()[0]?.lastOptions?.status).toBe(200), { timeout: 10_000 });
    expect(adapter.status()[0]?.state).toBe('in-service');

    await adapter.stop();
    expect(await locationAors()).toEqual([]);
  });

  it('reports a wrong password as failed with 401', async () => {
    const adapter = startAdapter(trunk('not-the-password'));
    await vi.waitFor(
      () =>
        expect(
          adapter
            .status()[0]
            ?.numbers.slice(0, 2)
            .map((number) => [number.state, number.status]),
        ).toEqual([
          ['failed', 401],
          ['failed', 401],
        ]),
      { timeout: 15_000 },
    );
    expect(await locationAors()).toEqual([]);
    await adapter.stop();
  });

  it('goes out of service when Kamailio stops', async () => {
    const events: TrunkEvent[] = [];
    const adapter = startAdapter(trunk(ACCOUNT.password), events);
    await vi.waitFor(() => expect(adapter.status()[0]?.lastOptions?.status).toBe(200), { timeout: 10_000 });
    const exited = new Promise((resolve) => kamailio?.once('exit', resolve));
    kamailio?.kill('SIGTERM');
    await exited;
    await vi.waitFor(() => expect(adapter.status()[0]?.state).toBe('out-of-service'), { timeout: 20_000 });
    expect(events.filter((event) => event.type === 'out-of-service')).toEqual([
      {
        type: 'out-of-service',
        trunk: 'sp',
        target: { protocol: 'UDP', address: '127.0.0.1', port },
        status: 408,
        reason: 'Request Timeout',
      },
    ]);
  });
});
