/**
 * sipp as the demo's phones against a node process. A phone is one local UDP port: it registers
 * from it, calls from it and answers on it, so the contact the registrar keeps is the phone
 * itself. Single calls run with a message trace (-trace_msg) so that a test can say what each
 * side received.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeProcess } from '../../helpers/node-process.js';
import { freePort } from '../../helpers/ports.js';
import { runSipp, type SippResult, startSipp } from '../../helpers/sipp.js';
import { testdataPath } from '../../helpers/testdata.js';

const SCENARIO_DIR = fileURLToPath(new URL('./scenarios/', import.meta.url));
const REGISTER_SCENARIO = testdataPath('sipp-scenarios/asterisk-testsuite/auth/register_pass.xml');
/** Every sipp run ends on its own after this, whatever the node does. */
const SIPP_TIMEOUT = ['-timeout', '30s'];

export interface SippPhone {
  readonly dn: string;
  readonly port: number;
  /** The demo's published credential for this line (examples/demo.yaml). */
  readonly password: string;
}

export async function demoPhone(dn: string): Promise<SippPhone> {
  return { dn, port: await freePort('UDP'), password: `demo-${dn}` };
}

export function scenario(name: string): string {
  return join(SCENARIO_DIR, name);
}

/** REGISTER with digest authentication (-au/-ap) from the phone's port. */
export function register(node: NodeProcess, phone: SippPhone): Promise<SippResult> {
  return runSipp([
    ...['-sf', REGISTER_SCENARIO, '-s', phone.dn, '-au', phone.dn, '-ap', phone.password, '-m', '1'],
    ...['-i', '127.0.0.1', '-p', String(phone.port), ...SIPP_TIMEOUT, `127.0.0.1:${node.sipPort}`],
  ]);
}

/**
 * Arguments for sipp placing `calls` calls (default one) to `dialled` from `caller` with one of
 * the uac-*.xml scenarios; `password` defaults to the caller's own.
 */
export function callArgs(
  node: NodeProcess,
  caller: SippPhone,
  dialled: string,
  scenarioName: string,
  options: { password?: string; calls?: number } = {},
): string[] {
  return [
    ...['-sf', scenario(scenarioName), '-key', 'caller', caller.dn, '-s', dialled],
    ...['-au', caller.dn, '-ap', options.password ?? caller.password, '-m', String(options.calls ?? 1)],
    ...['-i', '127.0.0.1', '-p', String(caller.port), ...SIPP_TIMEOUT, `127.0.0.1:${node.sipPort}`],
  ];
}

/** Arguments for sipp answering on the phone's port: a uas-*.xml scenario or sipp's built-in `uas`. */
export function answerArgs(phone: SippPhone, scenarioName: 'uas' | `${string}.xml`): string[] {
  const scenarioArgs = scenarioName === 'uas' ? ['-sn', 'uas'] : ['-sf', scenario(scenarioName)];
  return [...scenarioArgs, '-i', '127.0.0.1', '-p', String(phone.port), ...SIPP_TIMEOUT];
}

export interface TracedResult extends SippResult {
  /** Start lines of the messages sipp received, in order (`SIP/2.0 487 Request Terminated`, `CANCEL sip:…`). */
  readonly received: readonly string[];
}

export interface TracedSipp {
  readonly exited: Promise<TracedResult>;
  stop(): Promise<TracedResult>;
}

/** Starts sipp with a message trace that is read when it exits. */
export function startTraced(args: string[]): TracedSipp {
  const dir = mkdtempSync(join(tmpdir(), 'strowger-acceptance-'));
  const file = join(dir, 'messages.log');
  const sipp = startSipp([...args, '-trace_msg', '-message_file', file]);
  const exited = sipp.exited.then((result) => {
    // sipp creates the file with the first message; a sipp that got none leaves no file.
    const text = existsSync(file) ? readFileSync(file, 'latin1') : '';
    rmSync(dir, { recursive: true, force: true });
    return { ...result, received: receivedStartLines(text) };
  });
  return {
    exited,
    stop: () => {
      void sipp.stop();
      return exited;
    },
  };
}

export function runTraced(args: string[]): Promise<TracedResult> {
  return startTraced(args).exited;
}

/** The trace is a list of blocks, each `UDP message received [N] bytes :`, a blank line, the message. */
function receivedStartLines(trace: string): string[] {
  const lines: string[] = [];
  for (const match of trace.matchAll(/message received[^\n]*\n\r?\n([^\r\n]+)/g)) {
    if (match[1] !== undefined) lines.push(match[1]);
  }
  return lines;
}

/**
 * The status codes among the start lines, without 100 Trying: it is hop-by-hop and sent only
 * when an answer takes longer than 200 ms (RFC 3261 §17.2.1), so it says nothing about the call.
 */
export function statuses(received: readonly string[]): number[] {
  return received.flatMap((line) => {
    const match = /^SIP\/2\.0 (\d{3}) /.exec(line);
    const status = Number(match?.[1]);
    return match && status !== 100 ? [status] : [];
  });
}

/** The methods among the start lines. */
export function methods(received: readonly string[]): string[] {
  return received.flatMap((line) => {
    const match = /^([A-Z]+) \S+ SIP\/2\.0$/.exec(line);
    return match?.[1] === undefined ? [] : [match[1]];
  });
}
