import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtmfDetector } from '../../../src/media/dtmf-detector.js';
import {
  type CodecSpec,
  createMediaEngine,
  type DtmfDigit,
  decodeFrame,
  encodeFrame,
  type MediaEngine,
  type MediaEvent,
} from '../../../src/media/index.js';
import { readTelephoneEvent, writeTelephoneEvent } from '../../../src/media/telephone-event.js';
import { dtmfTone } from '../../../src/media/tone-generator.js';
import { RtpPeer } from './rtp-peer.js';

const codecs = (eventPayloadType: number): CodecSpec[] => [
  { payloadType: 0, name: 'PCMU' },
  { payloadType: eventPayloadType, name: 'telephone-event' },
];

describe('DTMF through the engine', () => {
  let engine: MediaEngine;
  const events: MediaEvent[] = [];
  const waitFor = async (predicate: (event: MediaEvent) => boolean, what: string) => {
    for (let i = 0; i < 500; i++) {
      const found = events.find(predicate);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no ${what} event`);
  };

  beforeAll(async () => {
    engine = await createMediaEngine({
      address: '127.0.0.1',
      portRange: [41200, 41299],
      workers: 1,
      mediaTimeoutMs: 0,
    });
    engine.onEvent((event) => events.push(event));
  });
  afterAll(() => engine.close());

  it('relays RFC 4733 events with payload-type mapping and reports the digit, markers or not', async () => {
    const alice = await RtpPeer.create();
    const bob = await RtpPeer.create();
    const a = await engine.allocate({ remote: alice.remote, codecs: codecs(101) });
    const b = await engine.allocate({ remote: bob.remote, codecs: codecs(96), near: a.id });
    await engine.connect(a.id, b.id);
    const event = (end: boolean, duration: number) => {
      const data = new Uint8Array(4);
      writeTelephoneEvent(data, 0, { event: 9, end, volume: 10, duration });
      return data;
    };
    // No marker bit anywhere: the receiver must still see one event.
    for (const duration of [160, 320, 480, 640])
      alice.send(a, event(false, duration), 101, { timestamp: 8000 });
    for (let i = 0; i < 3; i++) alice.send(a, event(true, 800), 101, { timestamp: 8000 });
    await bob.until(() => bob.received.length === 7);
    expect(bob.received.every((packet) => packet.header.payloadType === 96)).toBe(true);
    expect(new Set(bob.received.map((packet) => packet.header.timestamp)).size).toBe(1);
    expect(readTelephoneEvent(bob.received[6]!.payload, 0, 4)).toMatchObject({
      event: 9,
      end: true,
      duration: 800,
    });
    const end = await waitFor(
      (e) => e.type === 'dtmf' && e.endpointId === a.id && e.state === 'end',
      'dtmf end',
    );
    expect(end).toMatchObject({ digit: '9', method: 'rfc4733', durationMs: 100 });
    expect(
      events.filter((e) => e.type === 'dtmf' && e.endpointId === a.id && e.state === 'begin'),
    ).toHaveLength(1);
    await engine.release(a.id);
    await engine.release(b.id);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('detects in-band DTMF in received G.711 audio', async () => {
    const alice = await RtpPeer.create();
    const a = await engine.allocate({ remote: alice.remote, codecs: codecs(101), detectInbandDtmf: true });
    const digits: DtmfDigit[] = ['7', '#'];
    const frames: Uint8Array[] = [];
    for (const digit of digits) {
      const audio = new Int16Array(160 * 12);
      audio.set(dtmfTone(digit, 120));
      for (let offset = 0; offset < audio.length; offset += 160) {
        const payload = new Uint8Array(160);
        encodeFrame('ulaw', audio.subarray(offset, offset + 160), payload);
        frames.push(payload);
      }
    }
    for (const frame of frames) alice.send(a, frame, 0);
    await waitFor(
      (e) => e.type === 'dtmf' && e.endpointId === a.id && e.digit === '#' && e.state === 'end',
      '# end',
    );
    const reported = events.filter((e) => e.type === 'dtmf' && e.endpointId === a.id && e.state === 'begin');
    expect(reported.map((e) => (e.type === 'dtmf' ? [e.digit, e.method] : []))).toEqual([
      ['7', 'inband'],
      ['#', 'inband'],
    ]);
    await engine.release(a.id);
    await alice.close();
  });

  it('generates RFC 4733 events and in-band tones on demand', async () => {
    const bob = await RtpPeer.create();
    const b = await engine.allocate({ remote: bob.remote, codecs: codecs(96) });
    await engine.sendDtmf(b.id, '5', 100, 'rfc4733');
    await bob.until(() => bob.received.length === 7);
    const packets = bob.received.filter((packet) => packet.header.payloadType === 96);
    const reports = packets.map((packet) => readTelephoneEvent(packet.payload, 0, 4)!);
    expect(packets[0]!.header.marker).toBe(true);
    expect(new Set(packets.map((packet) => packet.header.timestamp)).size).toBe(1);
    expect(reports.every((report) => report.event === 5)).toBe(true);
    expect(reports.map((report) => `${report.duration}${report.end ? 'E' : ''}`)).toEqual([
      '160',
      '320',
      '480',
      '640',
      '800E',
      '800E',
      '800E',
    ]);
    for (let i = 1; i < packets.length; i++) {
      expect(packets[i]!.header.sequenceNumber).toBe((packets[i - 1]!.header.sequenceNumber + 1) & 0xffff);
    }

    bob.received.length = 0;
    await engine.sendDtmf(b.id, '#', 120, 'inband');
    await engine.sendDtmf(b.id, 'D', 120, 'inband');
    // Each digit: 120 ms of tone and 60 ms of silence, 20 ms per packet.
    await bob.until(() => bob.received.length === 18);
    const heard: string[] = [];
    const detector = new DtmfDetector((digit, state) => heard.push(`${digit}:${state}`));
    const samples = new Int16Array(160);
    for (const packet of bob.received) {
      expect(packet.header.payloadType).toBe(0);
      decodeFrame('ulaw', packet.payload, 0, 160, samples);
      detector.process(samples);
    }
    detector.process(new Int16Array(640));
    expect(heard).toEqual(['#:begin', '#:end', 'D:begin', 'D:end']);

    await expect(engine.sendDtmf(b.id, 'X' as DtmfDigit, 100, 'inband')).rejects.toMatchObject({
      code: 'bad-request',
    });
    const plain = await engine.allocate({ codecs: [{ payloadType: 18, name: 'G729' }] });
    await expect(engine.sendDtmf(plain.id, '1', 100, 'rfc4733')).rejects.toMatchObject({
      code: 'codec-unsupported',
    });
    await expect(engine.sendDtmf(plain.id, '1', 100, 'inband')).rejects.toMatchObject({
      code: 'codec-unsupported',
    });
    await engine.release(plain.id);
    await engine.release(b.id);
    await bob.close();
  });

  it('raises a media timeout with its cause', async () => {
    const alice = await RtpPeer.create();
    const silent = await engine.allocate({ mediaTimeoutMs: 200 });
    const talking = await engine.allocate({ remote: alice.remote, mediaTimeoutMs: 300 });
    for (let i = 0; i < 3; i++) alice.send(talking, new Uint8Array(160), 0);
    const first = await waitFor(
      (e) => e.type === 'timeout' && e.endpointId === silent.id,
      'timeout of the silent leg',
    );
    expect(first).toMatchObject({ cause: 'no-rtp-received' });
    expect((first as { silentForMs: number }).silentForMs).toBeGreaterThanOrEqual(200);
    const second = await waitFor(
      (e) => e.type === 'timeout' && e.endpointId === talking.id,
      'timeout of the stopped leg',
    );
    expect(second).toMatchObject({ cause: 'rtp-stopped' });
    expect(events.filter((e) => e.type === 'timeout' && e.endpointId === silent.id)).toHaveLength(1);
    await engine.release(silent.id);
    await engine.release(talking.id);
    await alice.close();
  });
});
