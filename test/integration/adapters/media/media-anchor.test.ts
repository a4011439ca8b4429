import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'sdp-transform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMediaAnchor,
  createRecordingService,
  type DtmfMessage,
  type MediaAnchor,
  readInfo,
} from '../../../../src/adapters/media/index.js';
import { goertzelFilter, goertzelPower } from '../../../../src/media/goertzel.js';
import {
  createMediaEngine,
  decodeFrame,
  type Endpoint,
  encodeFrame,
  type MediaEngine,
} from '../../../../src/media/index.js';
import { readTelephoneEvent, writeTelephoneEvent } from '../../../../src/media/telephone-event.js';
import { encodeWav } from '../../../../src/media/wav-writer.js';
import { RtpPeer, sleep } from '../../media/rtp-peer.js';

type Law = 'ulaw' | 'alaw';
const PT: Record<Law, number> = { ulaw: 0, alaw: 8 };

function peerSdp(peer: RtpPeer, law: Law, events = true) {
  const formats = events ? `${PT[law]} 101` : `${PT[law]}`;
  const lines = ['v=0', 'o=peer 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0'];
  lines.push(`m=audio ${peer.port} RTP/AVP ${formats}`, `a=rtcp:${peer.rtcpPort}`);
  if (events) lines.push('a=rtpmap:101 telephone-event/8000');
  return { contentType: 'application/sdp', body: Buffer.from(`${lines.join('\r\n')}\r\n`) };
}

/** The endpoint an SDP from the anchor points at. */
function target(media: { body: Buffer }): Endpoint {
  const session = parse(media.body.toString());
  const audio = session.media[0]!;
  return { id: '', address: audio.connection!.ip, rtpPort: audio.port, rtcpPort: audio.port + 1 };
}

function tone(frequency: number, frames: number, law: Law, amplitude = 12000): Uint8Array[] {
  return Array.from({ length: frames }, (_, frame) => {
    const samples = new Int16Array(160);
    for (let i = 0; i < 160; i++)
      samples[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequency * (frame * 160 + i)) / 8000));
    const payload = new Uint8Array(160);
    encodeFrame(law, samples, payload);
    return payload;
  });
}

function decodeAll(payloads: Uint8Array[], law: Law): Int16Array {
  const out = new Int16Array(payloads.length * 160);
  payloads.forEach((payload, i) => {
    decodeFrame(law, payload, 0, 160, out.subarray(i * 160));
  });
  return out;
}

/** Share of the signal's energy at `frequency` (1 for a pure tone). */
function share(samples: Int16Array, frequency: number): number {
  let energy = 0;
  for (const sample of samples) energy += sample * sample;
  if (energy === 0) return 0;
  return (
    goertzelPower(goertzelFilter(frequency), samples, 0, samples.length) / ((energy * samples.length) / 2)
  );
}

/** SNR of a received tone against the ideal sine of the same frequency, fitted in phase and amplitude. */
function toneSnrDb(samples: Int16Array, frequency: number): number {
  let sin = 0;
  let cos = 0;
  for (let i = 0; i < samples.length; i++) {
    sin += samples[i]! * Math.sin((2 * Math.PI * frequency * i) / 8000);
    cos += samples[i]! * Math.cos((2 * Math.PI * frequency * i) / 8000);
  }
  const a = (2 * sin) / samples.length;
  const b = (2 * cos) / samples.length;
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < samples.length; i++) {
    const ideal =
      a * Math.sin((2 * Math.PI * frequency * i) / 8000) + b * Math.cos((2 * Math.PI * frequency * i) / 8000);
    signal += ideal * ideal;
    noise += (samples[i]! - ideal) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

const audioFrom = (peer: RtpPeer, payloadType: number) =>
  peer.received.filter((packet) => packet.header.payloadType === payloadType).map((packet) => packet.payload);

describe('media anchor with the real engine', () => {
  let engine: MediaEngine;
  let anchor: MediaAnchor;
  let folder: string;
  const signals: Array<{ callId: string; legId: string; message: DtmfMessage }> = [];
  const policy = (dtmfRelay: 'rtp-nte' | 'sip-info' | 'inband' | 'sip-notify', codecs = 'any') => ({
    codecs,
    dtmfRelay,
  });

  beforeAll(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'strowger-anchor-'));
    const moh = new Int16Array(8000 * 2);
    for (let i = 0; i < moh.length; i++)
      moh[i] = Math.round(10000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
    writeFileSync(path.join(folder, 'moh.wav'), encodeWav(moh, 8000, 1));
    engine = await createMediaEngine({
      address: '127.0.0.1',
      portRange: [42000, 42099],
      workers: 1,
      mediaTimeoutMs: 0,
    });
    anchor = createMediaAnchor({
      engine,
      codecs: { ulaw: ['PCMU'], alaw: ['PCMA'] },
      mediaTimeoutMs: 0,
      musicOnHold: { default: path.join(folder, 'moh.wav') },
      onDtmfSignal: (callId, legId, message) => signals.push({ callId, legId, message }),
    });
  });
  afterAll(async () => {
    anchor.close();
    await engine.close();
    rmSync(folder, { recursive: true, force: true });
  });

  /** A call from `caller` to `callee` anchored through offer and answer; returns where each sends. */
  async function call(
    callId: string,
    caller: RtpPeer,
    callee: RtpPeer,
    laws: [Law, Law],
    relays: [Parameters<typeof policy>[0], Parameters<typeof policy>[0]],
  ) {
    const offered = await anchor.anchorOffer(callId, 'a', peerSdp(caller, laws[0]), {
      offerer: policy(relays[0], laws[0]),
      answerer: policy(relays[1], laws[1]),
    });
    if (!offered.ok) throw new Error(offered.reason);
    const answered = await anchor.anchorAnswer(
      callId,
      'b',
      peerSdp(callee, laws[1], relays[1] === 'rtp-nte'),
      policy(relays[1], laws[1]),
    );
    if (!answered.ok) throw new Error(answered.reason);
    return {
      callerSendsTo: target(answered.media),
      calleeSendsTo: target(offered.media),
      answer: answered.media,
    };
  }

  it('a μ-law phone and an A-law carrier hear each other’s 1 kHz tone through the transcoder', async () => {
    const u = await RtpPeer.create();
    const a = await RtpPeer.create();
    const { callerSendsTo, calleeSendsTo, answer } = await call(
      'tones',
      u,
      a,
      ['ulaw', 'alaw'],
      ['rtp-nte', 'rtp-nte'],
    );
    expect(parse(answer.body.toString()).media[0]?.payloads).toBe('0 101');
    await u.stream(callerSendsTo, tone(1000, 25, 'ulaw'), 0);
    await a.until(() => audioFrom(a, 8).length >= 25, 5000, 'A-law audio');
    expect(toneSnrDb(decodeAll(audioFrom(a, 8).slice(0, 25), 'alaw'), 1000)).toBeGreaterThan(30);
    await a.stream(calleeSendsTo, tone(1000, 25, 'alaw'), 8);
    await u.until(() => audioFrom(u, 0).length >= 25, 5000, 'μ-law audio');
    expect(toneSnrDb(decodeAll(audioFrom(u, 0).slice(0, 25), 'ulaw'), 1000)).toBeGreaterThan(30);
    await anchor.release('tones');
    await Promise.all([u.close(), a.close()]);
  });

  it('turns an RFC 4733 digit into an INFO on a sip-info leg, and an INFO into RFC 4733 events', async () => {
    const phone = await RtpPeer.create();
    const ivr = await RtpPeer.create();
    const { callerSendsTo } = await call('digits', phone, ivr, ['ulaw', 'ulaw'], ['rtp-nte', 'sip-info']);
    signals.length = 0;
    const event = Buffer.alloc(4);
    const start = 123456;
    for (let i = 1; i <= 5; i++) {
      writeTelephoneEvent(event, 0, { event: 7, end: false, volume: 10, duration: i * 160 });
      phone.send(callerSendsTo, event, 101, { marker: i === 1, timestamp: start });
      await sleep(20);
    }
    for (let i = 0; i < 3; i++) {
      writeTelephoneEvent(event, 0, { event: 7, end: true, volume: 10, duration: 960 });
      phone.send(callerSendsTo, event, 101, { timestamp: start });
    }
    for (let i = 0; i < 200 && signals.length === 0; i++) await sleep(10);
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ callId: 'digits', legId: 'b' });
    expect(signals[0]!.message.contentType).toBe('application/dtmf-relay');
    expect(readInfo(signals[0]!.message.contentType, signals[0]!.message.body)).toEqual({
      digit: '7',
      durationMs: 120,
      end: true,
    });
    // The RFC 4733 packets themselves never reach the INFO leg.
    expect(ivr.received.filter((packet) => packet.header.payloadType === 101)).toHaveLength(0);

    const received = await anchor.receiveDtmf('digits', 'b', {
      method: 'INFO',
      contentType: 'application/dtmf-relay',
      body: Buffer.from('Signal=#\r\nDuration=100\r\n'),
    });
    expect(received).toEqual({ ok: true });
    const events = () => phone.received.filter((packet) => packet.header.payloadType === 101);
    await phone.until(() =>
      events().some((packet) => readTelephoneEvent(packet.payload, 0, packet.payload.length)?.end === true),
    );
    const decoded = events().map((packet) => readTelephoneEvent(packet.payload, 0, packet.payload.length)!);
    expect(new Set(decoded.map((entry) => entry.event))).toEqual(new Set([11]));
    expect(
      await anchor.receiveDtmf('digits', 'b', {
        method: 'INFO',
        contentType: 'text/plain',
        body: Buffer.from('x'),
      }),
    ).toMatchObject({ ok: false });
    await anchor.release('digits');
    await Promise.all([phone.close(), ivr.close()]);
  });

  it('plays MOH to the held party, silences the holder, and retrieve restores the path', async () => {
    const holder = await RtpPeer.create();
    const held = await RtpPeer.create();
    const { callerSendsTo, calleeSendsTo } = await call(
      'hold',
      holder,
      held,
      ['ulaw', 'alaw'],
      ['rtp-nte', 'rtp-nte'],
    );
    expect(await anchor.hold('hold', 'a')).toEqual({ ok: true, moh: true });
    await held.until(() => audioFrom(held, 8).length >= 20, 5000, 'MOH');
    expect(share(decodeAll(audioFrom(held, 8).slice(5, 20), 'alaw'), 440)).toBeGreaterThan(0.9);
    // What the held party says goes nowhere while it is held.
    await held.stream(calleeSendsTo, tone(1000, 5, 'alaw'), 8);
    await sleep(60);
    expect(audioFrom(holder, 0)).toHaveLength(0);

    expect(await anchor.retrieve('hold', 'a')).toEqual({ ok: true });
    const before = held.received.length;
    await holder.stream(callerSendsTo, tone(1000, 25, 'ulaw'), 0);
    await held.until(() => held.received.length >= before + 25, 5000, 'voice after retrieve');
    const after = held.received.slice(-20).map((packet) => packet.payload);
    expect(share(decodeAll(after, 'alaw'), 1000)).toBeGreaterThan(0.9);
    await held.stream(calleeSendsTo, tone(1000, 5, 'alaw'), 8);
    await holder.until(() => audioFrom(holder, 0).length >= 5, 5000, 'voice back to the holder');
    await anchor.release('hold');
    await Promise.all([holder.close(), held.close()]);
  });

  it('records a leg to a WAV file named after the call, whatever the Call-ID holds', async () => {
    const recordings = createRecordingService({ engine, anchor, folder });
    const x = await RtpPeer.create();
    const y = await RtpPeer.create();
    const callId = '../../etc/passwd@host';
    const { callerSendsTo } = await call(callId, x, y, ['ulaw', 'ulaw'], ['rtp-nte', 'rtp-nte']);
    const started = await recordings.start(callId, 'a');
    expect(started).toEqual({ ok: true, path: recordings.pathFor(callId, 'a') });
    expect(path.dirname(recordings.pathFor(callId, 'a'))).toBe(folder);
    await x.stream(callerSendsTo, tone(1000, 10, 'ulaw'), 0);
    await y.until(() => audioFrom(y, 0).length >= 10, 5000, 'recorded call audio');
    const stopped = await recordings.stop(callId, 'a');
    expect(stopped.ok && stopped.samples).toBeGreaterThanOrEqual(1600);
    expect(await recordings.start('no-such-call', 'a')).toMatchObject({ ok: false });
    await anchor.release(callId);
    await Promise.all([x.close(), y.close()]);
  });

  it('gives every port back on release', async () => {
    const before = (await engine.stats()).ports.used;
    const x = await RtpPeer.create();
    const y = await RtpPeer.create();
    await call('ports', x, y, ['ulaw', 'alaw'], ['inband', 'sip-notify']);
    expect((await engine.stats()).ports.used).toBe(before + 2);
    await anchor.release('ports');
    expect((await engine.stats()).ports.used).toBe(before);
    expect(anchor.calls).toBe(0);
    await Promise.all([x.close(), y.close()]);
  });
});
