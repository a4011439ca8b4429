/**
 * The recording service on the real engine and anchor: a recording keyed by connection follows
 * its leg when a transfer moves the leg into another call (the anchor's `moveLeg`), ends by
 * itself with a complete file when the leg is released, and the folder is listed and served by
 * the names the service writes alone.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRecordingService,
  type MediaAnchor,
  type RecordingService,
} from '../../../src/adapters/media/index.js';
import { type AnchoredEngine, peerSdp, startAnchoredEngine } from '../media/anchored-engine.js';
import { RtpPeer } from '../media/rtp-peer.js';
import { sdpTarget, toneFrames } from '../media-calls/harness.js';

const POLICY = { codecs: 'any', dtmfRelay: 'rtp-nte' as const };

let anchored: AnchoredEngine;
let anchor: MediaAnchor;
let folder: string;
let recordings: RecordingService;
/** The core's view: which call each connection is in. */
const calls = new Map<string, string>();
let clock = Date.parse('2026-01-02T03:04:05Z');

/** Call `callId` between connections `a` and `b`; returns where `a`'s party sends its RTP. */
async function call(callId: string, a: string, b: string, x: RtpPeer, y: RtpPeer) {
  const offered = await anchor.anchorOffer(callId, a, peerSdp(x), { offerer: POLICY, answerer: POLICY });
  if (!offered.ok) throw new Error(offered.reason);
  const answered = await anchor.anchorAnswer(callId, b, peerSdp(y), POLICY);
  if (!answered.ok) throw new Error(answered.reason);
  calls.set(a, callId);
  calls.set(b, callId);
  return sdpTarget(answered.media.body.toString());
}

/** 20 ms frames of the left channel (what the recorded party sent) louder than -30 dBFS. */
function audibleFrames(wav: Buffer): number {
  let audible = 0;
  for (let frame = 44; frame + 160 * 4 <= wav.length; frame += 160 * 4) {
    let energy = 0;
    for (let i = 0; i < 160; i++) energy += wav.readInt16LE(frame + i * 4) ** 2;
    if (energy / 160 > 1000 ** 2) audible++;
  }
  return audible;
}

beforeAll(async () => {
  anchored = await startAnchoredEngine(45_000);
  anchor = anchored.anchor;
  folder = await mkdtemp(path.join(tmpdir(), 'strowger-recordings-'));
  recordings = createRecordingService({
    engine: anchored.engine,
    anchor,
    folder: path.join(folder, 'made-on-first-use'),
    callOf: (connectionId) => calls.get(connectionId),
    now: () => clock,
  });
});

afterAll(async () => {
  recordings.close();
  await anchored.close();
  await rm(folder, { recursive: true, force: true });
});

describe('recording service', () => {
  it('follows a leg moved into another call and ends with a complete file when it is released', async () => {
    const x = await RtpPeer.create();
    const y = await RtpPeer.create();
    const xSendsTo = await call('1', '1.1', '1.2', x, y);
    expect(await recordings.record('1.9')).toMatchObject({ ok: false, code: 'no-such-connection' });
    const started = await recordings.record('1.1');
    if (!started.ok) throw new Error(started.reason);
    expect(started.recording).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{12}$/),
      connectionId: '1.1',
      callId: '1',
      file: `20260102T030405Z-1_1-${started.recording.id}.wav`,
      startedAt: clock,
    });
    expect(await recordings.record('1.1')).toMatchObject({ ok: false, code: 'already-recording' });
    await x.stream(xSendsTo, toneFrames(700, 10, 'ulaw'), 0);

    // A transfer moves 1.1 into call 2: the recording goes on, in the new call.
    expect(await anchor.moveLeg('1.1', '1', '2')).toEqual({ ok: true });
    calls.set('1.1', '2');
    clock += 1500;
    const [active] = await recordings.active();
    expect(active).toMatchObject({ id: started.recording.id, callId: '2', seconds: 1.5 });
    expect(active?.bytes).toBeGreaterThan(0);
    await x.stream(xSendsTo, toneFrames(700, 10, 'ulaw'), 0);

    // The party leaves call 2: the engine finishes the file as it frees the port.
    await anchor.releaseLeg('2', '1.1');
    expect(recordings.count).toBe(0);
    expect(await recordings.finish(started.recording.id)).toMatchObject({ code: 'no-such-recording' });
    const { files, truncated } = await recordings.files();
    expect(truncated).toBe(false);
    expect(files).toEqual([
      expect.objectContaining({ name: started.recording.file, durationSeconds: expect.any(Number) }),
    ]);
    const [file] = files;
    // The header says how long it is, and both bursts of tone, before and after the move, are in it.
    expect(file?.size).toBe(44 + (file?.durationSeconds ?? 0) * 8000 * 4);
    expect(
      audibleFrames(await readFile(path.join(folder, 'made-on-first-use', started.recording.file))),
    ).toBeGreaterThan(15);
    const opened = await recordings.openFile(started.recording.file);
    expect(opened.ok && opened.size).toBe(file?.size);
    if (opened.ok) opened.stream.destroy();
    await anchor.release('1');
    await Promise.all([x.close(), y.close()]);
  });

  it('refuses a leg with no anchored media yet, and serves only names it writes as plain files', async () => {
    calls.set('5.1', '5');
    expect(await recordings.record('5.1')).toMatchObject({ ok: false, code: 'not-anchored' });
    const made = path.join(folder, 'made-on-first-use');
    await mkdir(made, { recursive: true });
    await writeFile(path.join(made, 'notes.wav'), 'RIFF');
    await symlink('/etc/passwd', path.join(made, '20260101T000000Z-6_1-000000000000.wav'));
    const { files } = await recordings.files();
    expect(files.map((entry) => entry.name)).not.toContain('notes.wav');
    expect(files.map((entry) => entry.name)).not.toContain('20260101T000000Z-6_1-000000000000.wav');
    for (const name of [
      'notes.wav',
      '20260101T000000Z-6_1-000000000000.wav',
      '../made-on-first-use/notes.wav',
      '/etc/passwd',
      '..',
      '',
    ])
      expect(await recordings.openFile(name), name).toEqual({ ok: false, code: 'no-such-file' });
  });
});
