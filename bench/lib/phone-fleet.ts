/**
 * A fleet of simulated SIP phones booting at once against one node, as after a power cut: each
 * fetches its `SEP<MAC>.cnf.xml` over TFTP, reads its CallManager group, line and credentials
 * from it, and REGISTERs with digest authentication to the group's first node.
 *
 * Phones retry as CP-7960G firmware does. TFTP: the client retransmits its last packet on
 * timeout (RFC 1350 §2), and a fetch that still times out is started again after a pause.
 * REGISTER: the client transaction retransmits (RFC 3261 §17.1.2.2); a request that times out
 * (408) or finds the node busy (503, after its Retry-After, RFC 3261 §21.5.4) is sent again after
 * a pause, with the same Call-ID and a higher CSeq (RFC 3261 §10.2.4).
 *
 * `runFleet` drives the phones from this process; `runFleetInProcesses` splits them over child
 * processes when one event loop cannot drive enough of them.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createSipStack, generateCallId, type SipStack } from '../../src/sip/index.js';
import type { RemoteEndpoint } from '../../src/tftp/index.js';
import {
  type PhoneFile,
  readPhoneFile,
  registerPhone,
} from '../../test/integration/device-status/test-phone.js';
import { tftpGet } from '../../test/integration/tftp/tftp-client.js';

/** `boot`: file then REGISTER; `fetch`: the file only (TFTP throughput against any server). */
export type FleetTask = 'boot' | 'fetch';

export interface FleetOptions {
  readonly task: FleetTask;
  readonly tftp: RemoteEndpoint;
  /** UDP port the phones REGISTER to, at the address their file names first. */
  readonly sipPort: number;
  /** One phone per MAC (12 hex digits); each fetches `SEP<MAC>.cnf.xml`. */
  readonly macs: readonly string[];
  /** Phones booting at the same moment; the next starts as soon as one is done. */
  readonly concurrency: number;
}

export interface FleetResult {
  readonly phones: number;
  /** Phones that ended registered (`boot`) or holding their file (`fetch`). */
  completed: number;
  failed: number;
  /** Why phones failed, counted by kind (at most MAX_FAILURE_KINDS kinds, then "other"). */
  failures: Record<string, number>;
  /** Each completed phone's time from its first TFTP request to its whole file, ms. */
  fetchMs: number[];
  /** Each registered phone's time from its first REGISTER to the 200, ms. */
  registerMs: number[];
  /** Octets of configuration files received. */
  octets: number;
  /** Fetches started again after the previous one timed out. */
  fetchRetries: number;
  /** REGISTERs sent again after a 408 or 503. */
  registerRetries: number;
  /** SIP requests the client transactions retransmitted. */
  sipRetransmissions: number;
  /** From the first phone's start to the last phone's end, ms (the slowest process's). */
  elapsedMs: number;
  /** CPU time the fleet's processes used, s. */
  clientCpuSeconds: number;
}

/** Client retransmission interval and count per TFTP fetch, then the fetch starts over. */
const TFTP_TIMEOUT_MS = 1000;
const TFTP_RETRANSMISSIONS = 4;
/** Whole attempts per phone at each step before it counts as failed. */
const ATTEMPTS = 5;
/** Pause before a new attempt: this, doubled each time, with up to as much again of jitter. */
const RETRY_PAUSE_MS = 1000;
/** Keeps a storm of distinct error texts from growing the failure table. */
const MAX_FAILURE_KINDS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pauseBefore = (attempt: number) => RETRY_PAUSE_MS * 2 ** (attempt - 1) * (1 + Math.random());

function emptyResult(phones: number): FleetResult {
  return {
    phones,
    completed: 0,
    failed: 0,
    failures: {},
    fetchMs: [],
    registerMs: [],
    octets: 0,
    fetchRetries: 0,
    registerRetries: 0,
    sipRetransmissions: 0,
    elapsedMs: 0,
    clientCpuSeconds: 0,
  };
}

function countFailure(result: FleetResult, kind: string): void {
  result.failed++;
  const known = kind in result.failures || Object.keys(result.failures).length < MAX_FAILURE_KINDS;
  const key = known ? kind : 'other';
  result.failures[key] = (result.failures[key] ?? 0) + 1;
}

/** The phone's file, or why it has none. */
async function fetchFile(tftp: RemoteEndpoint, file: string, result: FleetResult): Promise<Buffer | string> {
  for (let attempt = 1; ; attempt++) {
    try {
      const got = await tftpGet({
        server: tftp,
        file,
        timeoutMs: TFTP_TIMEOUT_MS,
        retries: TFTP_RETRANSMISSIONS,
      });
      // An ERROR packet is the server's answer: a phone would fall back to SEPDefault, not retry.
      return got.data ?? `TFTP error ${got.error?.code}`;
    } catch (error) {
      // Timeouts, and transfers the client gave up on (a packet it did not expect, a socket error).
      if (attempt >= ATTEMPTS) return failureKind('TFTP', error, file);
      result.fetchRetries++;
      await sleep(pauseBefore(attempt));
    }
  }
}

/** An error as a failure kind: its message without the file name, so that kinds stay few. */
function failureKind(step: string, error: unknown, file: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return `${step}: ${message.replaceAll(file, '<file>')}`;
}

/** The file's settings, or why they cannot be read. */
function readSettings(file: string, xml: Buffer): PhoneFile | string {
  try {
    return readPhoneFile(file, xml.toString('utf8'));
  } catch (error) {
    return failureKind('file', error, file);
  }
}

/** Seconds of a Retry-After value (RFC 3261 §20.33), bounded so a hostile value cannot stall the run. */
function retryAfterMs(value: string | undefined, attempt: number): number {
  const seconds = Number.parseInt(value ?? '', 10);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 30) * 1000 : pauseBefore(attempt);
}

interface Registration {
  readonly stack: SipStack;
  /** Requests this fleet handed to the stack, so that the rest of what it sent were retransmissions. */
  readonly sent: { requests: number };
  readonly sipPort: number;
  readonly mac: string;
  readonly file: string;
  readonly xml: Buffer;
}

/** REGISTER as the file says; undefined once registered, else why not. */
async function register(phone: Registration, result: FleetResult): Promise<string | undefined> {
  const settings = readSettings(phone.file, phone.xml);
  if (typeof settings === 'string') return settings;
  const line = settings.lines[0];
  const callManager = settings.nodes[0];
  if (line === undefined || callManager === undefined) return 'file without line or CallManager';
  const callId = generateCallId();
  let cseq = 1;
  for (let attempt = 1; ; attempt++) {
    const outcome = await registerPhone({
      stack: phone.stack,
      target: { protocol: 'UDP', address: callManager, port: phone.sipPort },
      mac: phone.mac,
      dn: line.dn,
      account: { username: line.authName, password: line.authPassword },
      callId,
      cseq,
    }).catch((error: unknown) => failureKind('REGISTER', error, phone.file));
    // A thrown exchange sent at least its first request.
    if (typeof outcome === 'string') {
      phone.sent.requests++;
      return outcome;
    }
    phone.sent.requests += outcome.cseq - cseq;
    const { status } = outcome.response;
    if (status === 200) return undefined;
    if ((status !== 408 && status !== 503) || attempt >= ATTEMPTS) return `REGISTER ${status}`;
    cseq = outcome.cseq;
    result.registerRetries++;
    await sleep(
      status === 503
        ? retryAfterMs(outcome.response.headers.get('Retry-After'), attempt)
        : pauseBefore(attempt),
    );
  }
}

/** Boots (or only fetches for) every phone of `options` from this process. */
export async function runFleet(options: FleetOptions): Promise<FleetResult> {
  const result = emptyResult(options.macs.length);
  const stack =
    options.task === 'boot'
      ? await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] })
      : undefined;
  const sent = { requests: 0 };
  const phone = async (mac: string) => {
    const file = `SEP${mac}.cnf.xml`;
    const fetchStart = performance.now();
    const xml = await fetchFile(options.tftp, file, result);
    if (typeof xml === 'string') return countFailure(result, xml);
    result.fetchMs.push(performance.now() - fetchStart);
    result.octets += xml.length;
    if (stack === undefined) {
      result.completed++;
      return;
    }
    const registerStart = performance.now();
    const failure = await register({ stack, sent, sipPort: options.sipPort, mac, file, xml }, result);
    if (failure !== undefined) return countFailure(result, failure);
    result.registerMs.push(performance.now() - registerStart);
    result.completed++;
  };
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < options.macs.length) await phone(options.macs[next++]!);
  };
  const sentBefore = stack?.transport.stats().messagesOut.UDP ?? 0;
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  result.elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  result.clientCpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (stack !== undefined) {
    result.sipRetransmissions = stack.transport.stats().messagesOut.UDP - sentBefore - sent.requests;
    await stack.close();
  }
  return result;
}

/** argv flag of a child process that runs one share of a fleet. */
const WORKER_FLAG = '--phone-fleet-worker';

type WorkerMessage = 'ready' | FleetResult;

/** The child's next message; rejects if it exits first. */
function nextMessage(child: ChildProcess): Promise<WorkerMessage> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`fleet process exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as WorkerMessage);
    });
  });
}

/** Share `index` of `total` equal shares of `count` things. */
const share = (count: number, index: number, total: number) =>
  [Math.floor((index * count) / total), Math.floor(((index + 1) * count) / total)] as const;

function merge(results: FleetResult[], elapsedMs: number): FleetResult {
  const merged = emptyResult(results.reduce((sum, result) => sum + result.phones, 0));
  for (const result of results) {
    merged.completed += result.completed;
    merged.failed += result.failed;
    for (const [kind, count] of Object.entries(result.failures))
      merged.failures[kind] = (merged.failures[kind] ?? 0) + count;
    for (const ms of result.fetchMs) merged.fetchMs.push(ms);
    for (const ms of result.registerMs) merged.registerMs.push(ms);
    merged.octets += result.octets;
    merged.fetchRetries += result.fetchRetries;
    merged.registerRetries += result.registerRetries;
    merged.sipRetransmissions += result.sipRetransmissions;
    merged.clientCpuSeconds += result.clientCpuSeconds;
  }
  merged.elapsedMs = elapsedMs;
  return merged;
}

/**
 * The fleet split over `processes` child processes (this one when 1), each with an equal share
 * of the phones and of the concurrency. All start together once every process is ready, so
 * the elapsed time does not include their start-up.
 */
export async function runFleetInProcesses(options: FleetOptions, processes: number): Promise<FleetResult> {
  if (processes <= 1) return runFleet(options);
  // fork() passes this process's execArgv on, so children load TypeScript the same way.
  const children = Array.from({ length: processes }, () =>
    fork(fileURLToPath(import.meta.url), [WORKER_FLAG], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  try {
    await Promise.all(children.map(nextMessage));
    const start = performance.now();
    const results = await Promise.all(
      children.map((child, index) => {
        const [first, end] = share(options.macs.length, index, processes);
        const [low, high] = share(options.concurrency, index, processes);
        const result = nextMessage(child);
        child.send({
          ...options,
          macs: options.macs.slice(first, end),
          concurrency: Math.max(1, high - low),
        });
        return result;
      }),
    );
    return merge(results as FleetResult[], performance.now() - start);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}

if (process.argv.includes(WORKER_FLAG) && process.send) {
  const send = process.send.bind(process);
  process.once('message', (options: FleetOptions) => {
    runFleet(options).then(
      (result) => send(result, () => process.exit(0)),
      (error: unknown) => {
        // The parent sees the exit and fails the run.
        console.error(error);
        process.exit(1);
      },
    );
  });
  send('ready');
}
