import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CallView,
  ConferenceRoomView,
  MediaStateView,
  MediaStreamView,
} from '../../../src/api/index.js';
import { registerShowCommands } from '../../../src/cli/show.js';
import type { RunningServer } from '../../../src/server/server.js';
import type { Dialog, Endpoint } from '../../../src/sip/index.js';
import { runCommand } from '../device-status/node.js';
import { registerPhone } from '../device-status/test-phone.js';
import { type DemoNode, startDemoNode } from '../media-calls/demo-node.js';
import {
  dial,
  type MediaNode,
  type MediaParty,
  PAYLOAD_TYPE,
  startPhone,
  toneFrames,
} from '../media-calls/harness.js';

const FRAMES = 25;

let node: RunningServer;
let api: string;
const parties: MediaParty[] = [];

let demo: DemoNode | undefined;

beforeAll(async () => {
  demo = await startDemoNode('media-view', {
    // A failed call's caller hears the intercept tone until it hangs up (the test cancels).
    callFailureInband: 'all',
    callFailureSeconds: 60,
    // The bridge's calls out reach the demo's lines.
    conferenceCallingSearchSpace: 'internal-css',
  });
  ({ node, api } = demo);
}, 60_000);

afterAll(async () => {
  await Promise.all(parties.map((party) => party.close()));
  await demo?.stop();
});

async function get<T>(route: string, status = 200): Promise<T> {
  const response = await fetch(`${api}${route}`);
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return (route === '/metrics' ? text : JSON.parse(text)) as T;
}

const media = (query = '') => get<MediaStateView>(`/api/v1/media${query}`);

async function registered(dn: string): Promise<MediaParty> {
  const party = await startPhone('ulaw');
  parties.push(party);
  const target = node.sip.listening().find((listener) => listener.protocol === 'UDP') as Endpoint;
  const { response } = await registerPhone({
    stack: party.stack,
    target,
    mac: `000000000${dn}`,
    dn,
    account: { username: dn, password: `demo-${dn}` },
  });
  expect(response.status).toBe(200);
  return party;
}

/** 201 calls 202; both answer in μ-law. */
async function connect(caller: MediaParty): Promise<{ dialog: Dialog; call: CallView }> {
  const attempt = await dial(caller, { server: node.sip } as unknown as MediaNode, '201', '202');
  const { response, dialog } = await attempt.waitFor('final');
  expect(response.status).toBe(200);
  if (dialog === undefined) throw new Error('the 200 made no dialog');
  caller.received.push(response.body.toString());
  const [call] = await get<CallView[]>('/api/v1/calls');
  if (!call) throw new Error('no call in progress');
  return { dialog, call };
}

/** Both parties send `FRAMES` packets toward the node. */
async function talk(caller: MediaParty, called: MediaParty): Promise<void> {
  await Promise.all([
    caller.rtp.stream(caller.target, toneFrames(700, FRAMES, 'ulaw'), PAYLOAD_TYPE.ulaw),
    called.rtp.stream(called.target, toneFrames(1300, FRAMES, 'ulaw'), PAYLOAD_TYPE.ulaw),
  ]);
}

/** Reads `/media` until every stream has received at least `packets`. */
async function streamsHaving(packets: number): Promise<MediaStateView> {
  let state = await media();
  for (let attempt = 0; state.streams.some((stream) => stream.packetsReceived < packets); attempt++) {
    if (attempt >= 200)
      throw new Error(`streams short of ${packets} packets: ${JSON.stringify(state.streams)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    state = await media();
  }
  return state;
}

/** Reads `/media` until the engine has no endpoint left. */
async function noStreamsLeft(): Promise<MediaStateView> {
  let state = await media();
  for (let attempt = 0; state.totalStreams > 0; attempt++) {
    if (attempt >= 200) throw new Error(`streams outlived their calls: ${JSON.stringify(state.streams)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    state = await media();
  }
  return state;
}

const byConnection = (streams: readonly MediaStreamView[]) =>
  Object.fromEntries(streams.map((stream) => [stream.connectionId, stream]));

describe('the media plane of a running node', () => {
  it('shows the engine, each stream of a call with its counters, and the gauges', async () => {
    const idle = await media();
    // Worker threads start with the first endpoint.
    expect(idle).toEqual(expect.objectContaining({ anchored: true, workers: 0, workerUtilization: [] }));
    expect(idle).toMatchObject({ conferences: 0, totalStreams: 0, streams: [] });
    expect(idle.ports.used).toBe(0);
    expect(idle.ports.available).toBe(idle.ports.capacity);
    expect(idle.ports.capacity).toBeGreaterThan(0);

    const caller = await registered('201');
    const called = await registered('202');
    const { dialog, call } = await connect(caller);
    const legs = call.connections.map((connection) => connection.id).sort();

    await talk(caller, called);
    const first = await streamsHaving(FRAMES);
    expect(first).toMatchObject({ anchored: true, workers: 1, totalStreams: 2 });
    expect(first.workerUtilization).toEqual([expect.any(Number)]);
    expect(first.ports).toEqual({
      capacity: idle.ports.capacity,
      used: 2,
      available: idle.ports.capacity - 2,
    });
    expect(first.streams.map((stream) => stream.connectionId).sort()).toEqual(legs);
    for (const stream of first.streams) {
      expect(stream).toMatchObject({ kind: 'call', callId: call.id, malformed: 0, foreignSource: 0 });
      // The engine relays each party's packets to the other.
      expect(stream.packetsSent).toBeGreaterThan(0);
    }

    await talk(caller, called);
    const second = await streamsHaving(2 * FRAMES);
    const before = byConnection(first.streams);
    for (const stream of second.streams)
      expect(stream.packetsReceived).toBeGreaterThan(before[stream.connectionId ?? '']?.packetsReceived ?? 0);

    const shown = await runCommand(registerShowCommands, ['show', 'media', '--api', api]);
    expect(shown.exitCode, shown.stderr).toBeUndefined();
    expect(shown.stdout).toMatch(/^RTP workers: 1 \(busy \d+\.\d%\)$/m);
    expect(shown.stdout).toContain(`RTP ports: 2 used of ${idle.ports.capacity}`);
    for (const leg of legs)
      expect(shown.stdout).toMatch(new RegExp(`\\bcall +- +${call.id} +${leg} +\\d+ +\\d+`));
    expect(shown.stdout).toContain('\n2 streams\n');

    const limited = await runCommand(registerShowCommands, [
      'show',
      'media',
      '--api',
      api,
      '--json',
      '--limit',
      '1',
    ]);
    const asJson = JSON.parse(limited.stdout) as MediaStateView;
    expect(asJson.totalStreams).toBe(2);
    expect(asJson.streams).toHaveLength(1);
    expect(asJson.streams[0]?.callId).toBe(call.id);

    const metrics = await get<string>('/metrics');
    expect(metrics).toMatch(/^strowger_rtp_streams 2$/m);
    expect(metrics).toMatch(/^strowger_rtp_ports\{state="used"\} 2$/m);
    expect(metrics).toMatch(
      new RegExp(`^strowger_rtp_ports\\{state="available"\\} ${idle.ports.capacity - 2}$`, 'm'),
    );
    expect(metrics).toMatch(/^strowger_rtp_worker_utilization\{worker="0"\} [0-9.e-]+$/m);

    const bye = await caller.stack.requestInDialog(dialog, 'BYE');
    expect(bye.status).toBe(200);
    expect((await noStreamsLeft()).ports.used).toBe(0);
    expect(await get<string>('/metrics')).toMatch(/^strowger_rtp_streams 0$/m);
  });

  it('shows a failed caller’s tone as an announcement stream until the caller gives up', async () => {
    const caller = await registered('203');
    const attempt = await dial(caller, { server: node.sip } as unknown as MediaNode, '203', '299');
    await attempt.waitFor(183);
    await caller.rtp.until(() => caller.rtp.received.length >= 5, 5000, 'the intercept tone');
    const playing = await media();
    expect(playing.streams).toEqual([
      expect.objectContaining({ kind: 'announcement', callId: null, connectionId: null }),
    ]);
    expect(playing.streams[0]?.packetsSent).toBeGreaterThan(0);
    attempt.outgoing.cancel();
    expect((await attempt.waitFor('final')).response.status).toBe(487);
    expect((await noStreamsLeft()).ports.used).toBe(0);
  });

  it('shows a conference participant’s stream with its room, call and connection', async () => {
    await registered('204');
    const created = await fetch(`${api}/api/v1/conferences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ numbers: ['204'] }),
    });
    expect(created.status).toBe(201);
    const room = (await created.json()) as ConferenceRoomView;
    let participant = room.participants[0];
    for (let attempt = 0; participant?.state !== 'joined'; attempt++) {
      if (attempt >= 200) throw new Error(`204 never joined: ${JSON.stringify(participant)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      participant = (await get<ConferenceRoomView>(`/api/v1/conferences/${room.id}`)).participants[0];
    }
    const state = await media();
    expect(state.conferences).toBe(1);
    const mixed = state.streams.filter((stream) => stream.kind === 'conference');
    expect(mixed).toEqual([
      expect.objectContaining({
        conferenceId: room.id,
        callId: participant.callId,
        connectionId: participant.connectionId,
      }),
    ]);
    // The bridge's call to the phone is anchored like any other: its legs are the call's.
    for (const stream of state.streams.filter((stream) => stream.kind !== 'conference'))
      expect(stream).toMatchObject({ kind: 'call', callId: participant.callId, conferenceId: null });

    const shown = await runCommand(registerShowCommands, ['show', 'media', '--api', api]);
    expect(shown.exitCode, shown.stderr).toBeUndefined();
    expect(shown.stdout).toMatch(
      new RegExp(`\\bconference +${room.id} +${participant.callId} +${participant.connectionId} +\\d+`),
    );

    expect((await fetch(`${api}/api/v1/conferences/${room.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await noStreamsLeft()).ports.used).toBe(0);
  });

  it('refuses a limit out of range with the reason, in the API and the command', async () => {
    for (const limit of ['0', '10001', 'abc', '-1']) {
      const refused = await get<{ message: string }>(`/api/v1/media?limit=${limit}`, 400);
      expect(refused.message, limit).toMatch(/^querystring limit: /);
    }
    const shown = await runCommand(registerShowCommands, ['show', 'media', '--api', api, '--limit', 'many']);
    expect(shown.exitCode).toBe(1);
    expect(shown.stderr).toMatch(/400 querystring limit/);
  });
});
