import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallView } from '../../../src/api/index.js';
import { registerRecordCommands } from '../../../src/cli/record.js';
import { registerShowCommands } from '../../../src/cli/show.js';
import { goertzelFilter, goertzelPower } from '../../../src/media/goertzel.js';
import type { RunningServer } from '../../../src/server/server.js';
import type { Dialog, Endpoint } from '../../../src/sip/index.js';
import { runCommand } from '../device-status/node.js';
import { registerPhone } from '../device-status/test-phone.js';
import { type DemoNode, startDemoNode } from '../media-calls/demo-node.js';
import {
  dial,
  eventually,
  type MediaNode,
  type MediaParty,
  PAYLOAD_TYPE,
  startPhone,
  toneFrames,
} from '../media-calls/harness.js';

/** Whole cycles in a 20 ms frame, so that each frame's Goertzel bin is exact. */
const CALLER_HZ = 700;
const CALLED_HZ = 1300;
const FRAME = 160;

let node: RunningServer;
let api: string;
let dataDir: string;
let caller: MediaParty | undefined;
let called: MediaParty | undefined;

let demo: DemoNode | undefined;

beforeAll(async () => {
  demo = await startDemoNode('recording');
  ({ node, api, dataDir } = demo);
}, 60_000);

afterAll(async () => {
  await demo?.stop();
});

afterEach(async () => {
  for (const call of node.calls.core.calls())
    for (const connection of call.connections) node.calls.core.clear(connection.id);
  await Promise.all([caller?.close(), called?.close()]);
  caller = called = undefined;
});

function sipEndpoint(): Endpoint {
  const endpoint = node.sip.listening().find((listener) => listener.protocol === 'UDP');
  if (!endpoint) throw new Error('the node has no UDP listener');
  return endpoint;
}

async function registered(dn: string): Promise<MediaParty> {
  const party = await startPhone('ulaw');
  const { response } = await registerPhone({
    stack: party.stack,
    target: sipEndpoint(),
    mac: `000000000${dn}`,
    dn,
    account: { username: dn, password: `demo-${dn}` },
  });
  expect(response.status).toBe(200);
  return party;
}

/** 201 calls 202; both answer in μ-law. Returns the caller's dialog and both connection ids. */
async function connect(): Promise<{ dialog: Dialog; callId: string; callerLeg: string; calledLeg: string }> {
  caller = await registered('201');
  called = await registered('202');
  // `dial` reads the node's SIP listener alone.
  const attempt = await dial(caller, { server: node.sip } as unknown as MediaNode, '201', '202');
  const { response, dialog } = await attempt.waitFor('final');
  expect(response.status).toBe(200);
  if (dialog === undefined) throw new Error('the 200 made no dialog');
  caller.received.push(response.body.toString());
  const calls = await json<CallView[]>('GET', '/calls');
  const call = calls[0];
  const leg = (number: string) => call?.connections.find((connection) => connection.number === number)?.id;
  const callerLeg = leg('201');
  const calledLeg = leg('202');
  if (!call || !callerLeg || !calledLeg) throw new Error(`unexpected calls ${JSON.stringify(calls)}`);
  return { dialog, callId: call.id, callerLeg, calledLeg };
}

/** Both parties send their own tone for `frames` × 20 ms toward the node. */
async function talk(frames = 50): Promise<void> {
  if (!caller || !called) throw new Error('no call');
  await Promise.all([
    caller.rtp.stream(caller.target, toneFrames(CALLER_HZ, frames, 'ulaw'), PAYLOAD_TYPE.ulaw),
    called.rtp.stream(called.target, toneFrames(CALLED_HZ, frames, 'ulaw'), PAYLOAD_TYPE.ulaw),
  ]);
}

async function request(method: string, route: string, body?: unknown): Promise<Response> {
  return fetch(`${api}/api/v1${route}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
}

async function json<T>(method: string, route: string, body?: unknown, status = 200): Promise<T> {
  const response = await request(method, route, body);
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

interface Started {
  readonly id: string;
  readonly connectionId: string;
  readonly callId: string;
  readonly file: string;
}

interface Listing {
  readonly active: readonly (Started & { readonly bytes: number })[];
  readonly files: readonly {
    readonly name: string;
    readonly size: number;
    readonly durationSeconds: number;
  }[];
}

/** A PCM WAV file as the recorder writes it, checked field by field; returns its two channels. */
function readStereoWav(file: Buffer): { left: Int16Array; right: Int16Array } {
  expect(file.toString('ascii', 0, 4)).toBe('RIFF');
  expect(file.readUInt32LE(4)).toBe(file.length - 8);
  expect(file.toString('ascii', 8, 16)).toBe('WAVEfmt ');
  expect(file.readUInt16LE(20)).toBe(1); // PCM
  expect(file.readUInt16LE(22)).toBe(2);
  expect(file.readUInt32LE(24)).toBe(8000);
  expect(file.readUInt16LE(34)).toBe(16);
  expect(file.toString('ascii', 36, 40)).toBe('data');
  const dataBytes = file.readUInt32LE(40);
  expect(dataBytes).toBe(file.length - 44);
  const frames = dataBytes / 4;
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = file.readInt16LE(44 + i * 4);
    right[i] = file.readInt16LE(46 + i * 4);
  }
  return { left, right };
}

/**
 * The share of each audible 20 ms frame's energy at `frequency` (1 for a pure tone). Frames are
 * measured one by one: a frame the jitter left half-filled only spoils itself.
 */
function frameShares(samples: Int16Array, frequency: number): number[] {
  const filter = goertzelFilter(frequency);
  const shares: number[] = [];
  for (let start = 0; start + FRAME <= samples.length; start += FRAME) {
    let energy = 0;
    for (let i = start; i < start + FRAME; i++) energy += (samples[i] ?? 0) ** 2;
    // Below -40 dBFS over the frame: silence before the first packet or after the last.
    if (energy / FRAME < 330 ** 2) continue;
    shares.push(goertzelPower(filter, samples, start, FRAME) / ((energy * FRAME) / 2));
  }
  return shares;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function download(name: string): Promise<Buffer> {
  const response = await request('GET', `/recordings/files/${encodeURIComponent(name)}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('audio/wav');
  return Buffer.from(await response.arrayBuffer());
}

describe('call recording on a running node', () => {
  it('records the caller: what it sent on the left channel, what it heard on the right', async () => {
    const { callId, callerLeg } = await connect();
    const started = await json<Started>('POST', '/recordings', { connectionId: callerLeg }, 201);
    expect(started).toMatchObject({ connectionId: callerLeg, callId });
    expect(started.file).toMatch(/\.wav$/);
    // One recording per leg at a time.
    await json('POST', '/recordings', { connectionId: callerLeg }, 409);
    expect(await (await fetch(`${api}/metrics`)).text()).toMatch(/^strowger_recordings 1$/m);

    await talk();
    const listing = await json<Listing>('GET', '/recordings');
    expect(listing.active).toEqual([expect.objectContaining({ id: started.id, connectionId: callerLeg })]);
    // Still being written: not offered for download yet.
    expect((await request('GET', `/recordings/files/${started.file}`)).status).toBe(409);

    const stopped = await json<{ seconds: number; bytes: number }>('DELETE', `/recordings/${started.id}`);
    expect(stopped.seconds).toBeGreaterThan(0.5);
    const { left, right } = readStereoWav(await download(started.file));
    expect(left.length * 4).toBe(stopped.bytes);

    const sentByCaller = frameShares(left, CALLER_HZ);
    const heardByCaller = frameShares(right, CALLED_HZ);
    expect(sentByCaller.length).toBeGreaterThan(25);
    expect(heardByCaller.length).toBeGreaterThan(25);
    expect(median(sentByCaller)).toBeGreaterThan(0.9);
    expect(median(heardByCaller)).toBeGreaterThan(0.9);
    // And not the other way round.
    expect(median(frameShares(left, CALLED_HZ))).toBeLessThan(0.05);
    expect(median(frameShares(right, CALLER_HZ))).toBeLessThan(0.05);

    const after = await json<Listing>('GET', '/recordings');
    expect(after.active).toEqual([]);
    const listed = after.files.find((file) => file.name === started.file);
    expect(listed?.durationSeconds).toBeCloseTo(stopped.seconds, 3);
    expect(listed?.size).toBe(stopped.bytes + 44);
    expect(await (await fetch(`${api}/metrics`)).text()).toMatch(/^strowger_recordings 0$/m);
  });

  it('ends a recording by itself when the call is cleared, leaving a complete WAV', async () => {
    const { dialog, calledLeg } = await connect();
    const started = await json<Started>('POST', '/recordings', { connectionId: calledLeg }, 201);
    await talk(25);
    const bye = await caller?.stack.requestInDialog(dialog, 'BYE');
    expect(bye?.status).toBe(200);
    await eventually(() => node.recordings?.count === 0, 'the recording to end with its call');
    const listing = await json<Listing>('GET', '/recordings');
    expect(listing.active).toEqual([]);
    const listed = listing.files.find((file) => file.name === started.file);
    expect(listed?.durationSeconds).toBeGreaterThan(0.2);
    const { left, right } = readStereoWav(await download(started.file));
    // The called party sent its tone and heard the caller's.
    expect(median(frameShares(left, CALLED_HZ))).toBeGreaterThan(0.9);
    expect(median(frameShares(right, CALLER_HZ))).toBeGreaterThan(0.9);
    // The connection is gone with its call.
    await json('DELETE', `/recordings/${started.id}`, undefined, 404);
  });

  it('refuses unknown connections and recordings, and serves no file but a finished recording', async () => {
    await json('POST', '/recordings', { connectionId: '999999.1' }, 404);
    await json('POST', '/recordings', { connectionId: '../../etc/passwd' }, 400);
    await json('POST', '/recordings', {}, 400);
    await json('DELETE', '/recordings/000000000000', undefined, 404);
    await json('DELETE', '/recordings/..%2F..', undefined, 400);
    const folder = path.join(dataDir, 'recordings');
    await writeFile(path.join(folder, 'notes.txt'), 'not a recording');
    for (const name of [
      '..%2F..%2Fdb%2Fpostgresql.conf',
      '%2E%2E',
      '..',
      'notes.txt',
      '%2Fetc%2Fpasswd',
      '20260101T000000Z-1_2-000000000000.wav',
      `..%2Frecordings%2F20260101T000000Z-1_2-000000000000.wav`,
      '%00.wav',
    ]) {
      const response = await request('GET', `/recordings/files/${name}`);
      expect([400, 404], name).toContain(response.status);
      expect(response.headers.get('content-type'), name).toMatch(/^application\/json/);
    }
    expect((await request('GET', '/recordings/files/../../../etc/passwd')).status).toBe(404);
  });

  it('is driven from the command line: record start, show recordings, record stop', async () => {
    const { callerLeg } = await connect();
    const start = await runCommand(registerRecordCommands, ['record', 'start', callerLeg, '--api', api]);
    expect(start.exitCode, start.stderr).toBeUndefined();
    const [, id, file] =
      /^recording (\w+) of connection \S+ in call \S+ to (\S+)\n$/.exec(start.stdout) ?? [];
    if (!id || !file) throw new Error(`unexpected output ${start.stdout}`);
    await talk(10);
    const shown = await runCommand(registerShowCommands, ['show', 'recordings', '--api', api]);
    expect(shown.stdout).toContain(callerLeg);
    expect(shown.stdout).toContain('1 active recording\n');
    const stop = await runCommand(registerRecordCommands, ['record', 'stop', id, '--api', api]);
    expect(stop.stdout).toMatch(new RegExp(`^recording ${id} stopped: ${file}, 00:00:0\\d, \\d+ bytes\\n$`));
    const asJson = await runCommand(registerShowCommands, ['show', 'recordings', '--api', api, '--json']);
    const listing = JSON.parse(asJson.stdout) as Listing;
    expect(listing.active).toEqual([]);
    expect(listing.files.map((entry) => entry.name)).toContain(file);
    const again = await runCommand(registerRecordCommands, ['record', 'stop', id, '--api', api]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/404 no recording/);
  });
});
