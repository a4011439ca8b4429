/**
 * linphone-daemon (Debian linphone-cli) as a softphone: its own HOME and configuration in a
 * temporary folder, no sound card (mediastreamer falls back to no audio device), answering calls
 * by itself (--auto-answer), driven over its command socket.
 *
 * Two things it needs to work at all: the daemon must run with --pipe (read from stdin it only
 * iterates its core when a command arrives, so nothing is ever sent), and
 * $HOME/.local/share/linphone must exist (without its database the core never starts its SIP
 * listeners and REGISTER fails with "No listening point").
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../helpers/ports.js';

export interface Linphone {
  /** One daemon command (`call-status`, `terminate` …); resolves with its response text. */
  command(line: string): Promise<string>;
  /** Repeats `line` until its response matches `pattern`; throws after `timeoutMs`. */
  waitFor(line: string, pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The call states the daemon went through, in order (`LinphoneCallIncomingReceived` …). */
  callStates(): string[];
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startLinphone(options: {
  dn: string;
  password: string;
  registrar: { host: string; port: number };
}): Promise<Linphone> {
  const home = mkdtempSync(join(tmpdir(), 'strowger-linphone-'));
  mkdirSync(join(home, '.local', 'share', 'linphone'), { recursive: true });
  const sipPort = await freePort('UDP');
  const rtpPort = await freePort('UDP');
  const config = join(home, 'linphonerc');
  writeFileSync(
    config,
    [
      '[sip]',
      `sip_port=${sipPort}`,
      'sip_tcp_port=0',
      'sip_tls_port=0',
      '[rtp]',
      `audio_rtp_port=${rtpPort}`,
      '[video]',
      'capture=0',
      'display=0',
      '',
    ].join('\n'),
  );
  // The daemon puts its command socket at /tmp/<name>.
  const pipeName = `strowger-linphone-${process.pid}-${sipPort}`;
  const socketPath = join('/tmp', pipeName);
  const logFile = join(home, 'linphone.log');
  const child: ChildProcess = spawn(
    'linphone-daemon',
    ['--config', config, '--auto-answer', '--pipe', pipeName, '--log', logFile],
    { env: { ...process.env, HOME: home }, stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));

  // The daemon serves one client at a time and writes each response with one write(): one
  // connection for the whole run, one command at a time, one chunk per response.
  let connection: Socket | undefined;
  let pending: Promise<unknown> = Promise.resolve();
  const send = (socket: Socket, line: string) =>
    new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        socket.off('error', reject);
        resolve(chunk.toString('utf8'));
      };
      socket.once('data', onData);
      socket.once('error', reject);
      socket.write(`${line}\n`);
    });
  const command = (line: string) => {
    const result = pending.then(() => {
      connection ??= createConnection(socketPath);
      return send(connection, line);
    });
    pending = result.catch(() => undefined);
    return result;
  };

  const waitFor = async (line: string, pattern: RegExp, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await command(line);
      if (pattern.test(response)) return response;
      if (Date.now() > deadline)
        throw new Error(`linphone: "${line}" never matched ${pattern}; last: ${response}`);
      await sleep(100);
    }
  };

  const stop = async () => {
    if (child.exitCode === null) {
      await command('quit').catch(() => child.kill('SIGTERM'));
      connection?.destroy();
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(socketPath, { force: true });
    rmSync(home, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 15_000;
    while (!existsSync(socketPath)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error('linphone-daemon did not start');
      await sleep(100);
    }
    const { host, port } = options.registrar;
    const aor = `sip:${options.dn}@${host}:${port}`;
    await command(`register ${aor} sip:${host}:${port} ${options.password} ${options.dn}`);
    await waitFor('register-status ALL', /LinphoneRegistration(Ok|Failed)/);
    const status = await command('register-status ALL');
    if (!status.includes('LinphoneRegistrationOk')) throw new Error(`linphone did not register: ${status}`);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    command,
    waitFor,
    callStates: () => {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      return [...log.matchAll(/CallSession \[\S+\] moving from state \S+ to (\S+)/g)].flatMap((match) =>
        match[1] === undefined ? [] : [match[1]],
      );
    },
    stop,
  };
}
