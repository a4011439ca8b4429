/**
 * Failure tones (`node.media.callFailure`): a caller whose call fails before any answer hears the
 * failure in-band as early media (a 183 with the node's description, RFC 3960 §3) — the intercept
 * SIT for a number not in service, busy or reorder — then gets the final response: when an
 * announcement file ends, after the configured time, or at once on its CANCEL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type CallFailureSettings, resolveNodeSettings } from '../../../src/admin/index.js';
import { encodeWav } from '../../../src/media/wav-writer.js';
import { startServer } from '../../../src/server/server.js';
import { sleep } from '../media/rtp-peer.js';
import {
  carrierCalls,
  dial,
  eventually,
  heard,
  type MediaNode,
  type MediaNodeOptions,
  type MediaParty,
  Parties,
  register,
  sdpTarget,
  share,
  sine,
  startMediaNode,
} from './harness.js';

/** A DID of the example's range that no line has. */
const UNASSIGNED_DID = '5123781299';
/** One 20 ms G.711 frame, in samples. */
const FRAME = 160;

let node: MediaNode | undefined;
const parties = new Parties();
const folders: string[] = [];

afterEach(async () => {
  await parties.closeAll();
  await node?.close();
  node = undefined;
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

async function start(callFailure: Partial<CallFailureSettings>, options: MediaNodeOptions = {}) {
  node = await startMediaNode({
    ...options,
    callFailure: { inband: 'trunks', seconds: 3, notInService: null, ...callFailure },
  });
  return node;
}

/** The share of each `frequencies` in each 20 ms frame the party heard. */
function frameShares(party: MediaParty, frequencies: readonly number[]): number[][] {
  const audio = heard(party);
  const shares: number[][] = [];
  for (let offset = 0; offset + FRAME <= audio.length; offset += FRAME) {
    const frame = audio.subarray(offset, offset + FRAME);
    shares.push(frequencies.map((frequency) => share(frame, frequency)));
  }
  return shares;
}

/** The order in which `frequencies` dominate the heard frames (each run of frames counted once). */
function sequenceHeard(party: MediaParty, frequencies: readonly number[]): number[] {
  const order: number[] = [];
  for (const shares of frameShares(party, frequencies)) {
    const best = shares.indexOf(Math.max(...shares));
    if ((shares[best] ?? 0) < 0.8) continue;
    const frequency = frequencies[best]!;
    if (order.at(-1) !== frequency) order.push(frequency);
  }
  return order;
}

describe('failure tones', () => {
  it('plays a carrier’s caller of an unassigned DID the intercept SIT as early media, then answers 404', async () => {
    const media = await start({ inband: 'trunks', seconds: 3 });
    const gateway = await parties.callingGateway(media, 'ulaw');
    const attempt = carrierCalls(media, gateway, UNASSIGNED_DID);
    const early = await attempt.waitFor(183);
    const body = early.response.body.toString();
    expect(early.response.headers.get('Content-Type')).toBe('application/sdp');
    expect(body).toMatch(/^m=audio \d+ RTP\/AVP 0\r$/m);
    expect(body).toContain('a=sendonly');
    const final = await attempt.waitFor('final');
    expect(final.response.status).toBe(404);
    // Telcordia's intercept: 913.8, 1370.6, then 1776.7 Hz, rising, in the caller's μ-law.
    expect(sequenceHeard(gateway, [913.8, 1370.6, 1776.7]).slice(0, 3)).toEqual([913.8, 1370.6, 1776.7]);
    await eventually(() => media.anchor.calls === 0, 'the announcement’s endpoint released');
  });

  it('plays the ITU-T intercept (950, 1400, 1800 Hz) in A-law when the node’s tones are ITU-T', async () => {
    const media = await start(
      { inband: 'trunks', seconds: 3 },
      { toneRegion: 'itu', trunk: { codecs: ['g711alaw'] } },
    );
    const gateway = await parties.callingGateway(media, 'alaw');
    const attempt = carrierCalls(media, gateway, UNASSIGNED_DID);
    expect((await attempt.waitFor(183)).response.body.toString()).toMatch(/^m=audio \d+ RTP\/AVP 8\r$/m);
    expect((await attempt.waitFor('final')).response.status).toBe(404);
    expect(sequenceHeard(gateway, [950, 1400, 1800]).slice(0, 3)).toEqual([950, 1400, 1800]);
  });

  it('plays an announcement file to its end, then answers 404 without waiting for the time limit', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'strowger-announcement-'));
    folders.push(folder);
    const file = path.join(folder, 'not-in-service.wav');
    writeFileSync(file, encodeWav(sine(700, 8000), 8000, 1));
    const media = await start({ inband: 'trunks', seconds: 60, notInService: file });
    const gateway = await parties.callingGateway(media, 'ulaw');
    const attempt = carrierCalls(media, gateway, UNASSIGNED_DID);
    await attempt.waitFor(183);
    // A one-second file: the 404 follows its end, long before the 60 s limit (the test's timeout).
    expect((await attempt.waitFor('final')).response.status).toBe(404);
    const audio = heard(gateway);
    expect(audio.length).toBeGreaterThanOrEqual(40 * FRAME);
    expect(share(audio.subarray(5 * FRAME, 45 * FRAME), 700)).toBeGreaterThan(0.9);
  });

  it('ends the announcement at the caller’s CANCEL: 487, and the endpoint is released', async () => {
    const media = await start({ inband: 'trunks', seconds: 60 });
    const gateway = await parties.callingGateway(media, 'ulaw');
    const attempt = carrierCalls(media, gateway, UNASSIGNED_DID);
    const early = await attempt.waitFor(183);
    const target = sdpTarget(early.response.body.toString());
    await gateway.rtp.until(() => gateway.rtp.received.length >= 5, 5000, 'the tone');
    expect(target.rtpPort).toBeGreaterThan(0);
    attempt.outgoing.cancel();
    expect((await attempt.waitFor('final')).response.status).toBe(487);
    await eventually(() => media.anchor.calls === 0, 'the announcement’s endpoint released');
    const received = gateway.rtp.received.length;
    await sleep(200);
    expect(gateway.rtp.received.length - received).toBeLessThanOrEqual(1);
  });

  it('refuses a phone at once under `inband: trunks` (phones play their own tones)', async () => {
    const media = await start({ inband: 'trunks' });
    const phone = await parties.phone('ulaw');
    register(media, '201', phone, 'SEP0008A37128E9');
    const attempt = await dial(phone, media, '201', '299');
    expect((await attempt.waitFor('final')).response.status).toBe(404);
    expect(attempt.responses.some((r) => r.response.status === 183)).toBe(false);
    expect(phone.rtp.received).toHaveLength(0);
  });

  it('plays a phone the busy tone under `inband: all` when the called phone is busy, then 486', async () => {
    const media = await start({ inband: 'all', seconds: 2 }, { toneRegion: 'itu' });
    const caller = await parties.phone('ulaw');
    const busy = await parties.ringingPhone('ulaw', (incoming) => incoming.reply(486));
    register(media, '201', caller, 'SEP0008A37128E9');
    register(media, '202', busy, 'SEP0008A3465C7F');
    const attempt = await dial(caller, media, '201', '202');
    await attempt.waitFor(183);
    expect((await attempt.waitFor('final')).response.status).toBe(486);
    // ITU-T busy: 425 Hz, 500 ms on and 500 ms off.
    const frames = frameShares(caller, [425]).map(([tone]) => (tone ?? 0) > 0.9);
    expect(frames.filter(Boolean).length).toBeGreaterThanOrEqual(20);
    expect(frames.slice(0, 50).filter((on) => !on).length).toBeGreaterThanOrEqual(20);
  });

  it('leaves a caller without G.711 to the plain response', async () => {
    const media = await start({ inband: 'trunks' }, { trunk: { codecs: ['g729'] } });
    const gateway = await parties.callingGateway(media, 'ulaw');
    const offer = gateway.sdp('sendrecv', ['G729']);
    gateway.sdp = () => offer;
    const attempt = carrierCalls(media, gateway, UNASSIGNED_DID);
    expect((await attempt.waitFor('final')).response.status).toBe(404);
    expect(attempt.responses.some((r) => r.response.status === 183)).toBe(false);
    await eventually(() => media.anchor.calls === 0, 'nothing left anchored');
  });
});

describe('failure tones at start', () => {
  it('stops the start on an announcement file it cannot play, naming the setting and the file', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'strowger-announcement-'));
    folders.push(folder);
    const file = path.join(folder, 'not-in-service.wav');
    writeFileSync(file, 'not audio');
    const resolved = resolveNodeSettings({
      flags: { dataDir: folder, callFailureInband: 'all', notInServiceAnnouncement: file },
    });
    if (!resolved.ok) throw new Error(resolved.errors.join('; '));
    await expect(
      startServer({ settings: resolved.settings, logger: pino({ level: 'silent' }) }),
    ).rejects.toThrow(`node.media.callFailure.notInService: ${file}: neither a RIFF WAVE nor a Sun AU file`);
    const missing = resolveNodeSettings({
      flags: { dataDir: folder, notInServiceAnnouncement: path.join(folder, 'absent.wav') },
    });
    if (!missing.ok) throw new Error(missing.errors.join('; '));
    await expect(
      startServer({ settings: missing.settings, logger: pino({ level: 'silent' }) }),
    ).rejects.toThrow(/node\.media\.callFailure\.notInService: .*absent\.wav: ENOENT/);
  });
});
