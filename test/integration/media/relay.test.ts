import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMediaEngine, type MediaEngine, type MediaEvent } from '../../../src/media/index.js';
import { markedPayload, RtpPeer, sleep } from './rtp-peer.js';

describe('media engine relay (worker thread, real UDP)', () => {
  let engine: MediaEngine;
  const events: MediaEvent[] = [];

  beforeAll(async () => {
    engine = await createMediaEngine({
      address: '127.0.0.1',
      portRange: [41000, 41099],
      workers: 1,
      mediaTimeoutMs: 0,
    });
    engine.onEvent((event) => events.push(event));
  });

  afterAll(async () => {
    await engine.close();
  });

  it('relays both ways with continuous numbering on its own SSRC, latched to the real source', async () => {
    const alice = await RtpPeer.create();
    const bob = await RtpPeer.create();
    // Alice's SDP names a port she does not send from (NAT): latching must find the real one.
    const a = await engine.allocate({ remote: { address: '127.0.0.1', port: 9, rtcpPort: 10 } });
    const b = await engine.allocate({ remote: bob.remote, near: a.id });
    expect(a.rtpPort % 2).toBe(0);
    expect(a.rtcpPort).toBe(a.rtpPort + 1);
    await engine.connect(a.id, b.id);

    for (let i = 0; i < 50; i++) alice.send(a, markedPayload(i));
    await bob.until(() => bob.received.length === 50, 5000, '50 packets at Bob');
    const ssrcs = new Set(bob.received.map((packet) => packet.header.ssrc));
    expect(ssrcs.size).toBe(1);
    expect(ssrcs.has(alice.ssrc)).toBe(false);
    bob.received.forEach((packet, i) => {
      expect(packet.payload.equals(markedPayload(i))).toBe(true);
      if (i > 0) {
        const previous = bob.received[i - 1]!.header;
        expect(packet.header.sequenceNumber).toBe((previous.sequenceNumber + 1) & 0xffff);
        expect(packet.header.timestamp).toBe((previous.timestamp + 160) >>> 0);
      }
    });
    expect(events).toContainEqual({
      type: 'latched',
      endpointId: a.id,
      kind: 'rtp',
      address: '127.0.0.1',
      port: alice.port,
    });

    // The way back goes to Alice's real source port, not to the SDP's port 9.
    for (let i = 0; i < 10; i++) bob.send(b, markedPayload(100 + i));
    await alice.until(() => alice.received.length === 10, 5000, '10 packets at Alice');
    expect(alice.received[0]!.payload.equals(markedPayload(100))).toBe(true);

    // After latching, another source is ignored (the endpoint's socket is connected to Alice, so
    // the kernel drops it): nothing more reaches Bob.
    const intruder = createSocket('udp4');
    await new Promise<void>((resolve) => intruder.bind(0, '127.0.0.1', resolve));
    for (let i = 0; i < 5; i++) intruder.send(serialize(i), a.rtpPort, '127.0.0.1');
    alice.send(a, markedPayload(200));
    await bob.until(() => bob.received.length === 51, 5000, "Alice's next packet");
    expect(bob.received[50]!.payload.equals(markedPayload(200))).toBe(true);
    const stats = (await engine.stats()).endpoints.find((entry) => entry.endpointId === a.id)!;
    expect(stats.packetsReceived).toBe(51);
    intruder.close();

    await engine.release(a.id);
    await engine.release(b.id);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('keeps its own SSRC and continues numbering when the source feeding a leg changes', async () => {
    const alice = await RtpPeer.create();
    const carol = await RtpPeer.create();
    const bob = await RtpPeer.create();
    const a = await engine.allocate({ remote: alice.remote });
    const c = await engine.allocate({ remote: carol.remote, near: a.id });
    const b = await engine.allocate({ remote: bob.remote, near: a.id });
    await engine.connect(a.id, b.id);
    for (let i = 0; i < 5; i++) alice.send(a, markedPayload(i));
    await bob.until(() => bob.received.length === 5);
    // Transfer: Bob is now connected to Carol, whose stream has its own SSRC and numbering.
    await engine.connect(c.id, b.id);
    for (let i = 0; i < 5; i++) carol.send(c, markedPayload(50 + i));
    await bob.until(() => bob.received.length === 10);
    const headers = bob.received.map((packet) => packet.header);
    expect(new Set(headers.map((header) => header.ssrc)).size).toBe(1);
    for (let i = 1; i < headers.length; i++) {
      expect(headers[i]!.sequenceNumber).toBe((headers[i - 1]!.sequenceNumber + 1) & 0xffff);
      expect((headers[i]!.timestamp - headers[i - 1]!.timestamp) >>> 0).toBeGreaterThanOrEqual(160);
      expect((headers[i]!.timestamp - headers[i - 1]!.timestamp) >>> 0).toBeLessThan(0x80000000);
    }
    expect(headers[5]!.marker).toBe(true);
    for (const id of [a.id, b.id, c.id]) await engine.release(id);
    await Promise.all([alice.close(), bob.close(), carol.close()]);
  });

  it('without latching, hears only the configured remote', async () => {
    const alice = await RtpPeer.create();
    const mallory = await RtpPeer.create();
    const bob = await RtpPeer.create();
    const a = await engine.allocate({ remote: alice.remote, latching: false });
    const b = await engine.allocate({ remote: bob.remote, near: a.id });
    await engine.connect(a.id, b.id);
    for (let i = 0; i < 3; i++) mallory.send(a, markedPayload(i));
    alice.send(a, markedPayload(9));
    await bob.until(() => bob.received.length === 1);
    expect(bob.received[0]!.payload.equals(markedPayload(9))).toBe(true);
    const stats = (await engine.stats()).endpoints.find((entry) => entry.endpointId === a.id)!;
    expect(stats.foreignSource).toBe(3);
    expect(events.some((event) => event.type === 'latched' && event.endpointId === a.id)).toBe(false);
    await engine.release(a.id);
    await engine.release(b.id);
    await Promise.all([alice.close(), mallory.close(), bob.close()]);
  });

  it('survives 1,000 malformed packets and still relays', async () => {
    const alice = await RtpPeer.create();
    const bob = await RtpPeer.create();
    const a = await engine.allocate({ remote: alice.remote });
    const b = await engine.allocate({ remote: bob.remote, near: a.id });
    await engine.connect(a.id, b.id);
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 1000; i++) {
      const length = random() % 40;
      const junk = Buffer.alloc(length);
      for (let j = 0; j < length; j++) junk[j] = random() & 0xff;
      // Keep some looking like RTP version 2 with hostile lengths, so the deeper checks run.
      if (length > 0 && i % 2 === 0) junk[0] = 0x80 | (junk[0]! & 0x3f);
      if (length > 0 && i % 4 === 0) junk[0] = 0xbf; // padding, extension and 15 CSRCs
      alice.sendRaw(a, junk, i % 3 === 0);
      if (i % 100 === 99) await sleep(5);
    }
    alice.send(a, markedPayload(7));
    await bob.until(
      () => bob.received.some((packet) => packet.payload.equals(markedPayload(7))),
      5000,
      'the valid packet',
    );
    const stats = (await engine.stats()).endpoints.find((entry) => entry.endpointId === a.id)!;
    expect(stats.malformed).toBeGreaterThan(500);
    await engine.release(a.id);
    await engine.release(b.id);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('returns every port pair once the endpoints are released', async () => {
    const endpoints = await Promise.all(Array.from({ length: 10 }, () => engine.allocate()));
    expect((await engine.stats()).ports.used).toBe(10);
    await Promise.all(endpoints.map((endpoint) => engine.release(endpoint.id)));
    const { ports } = await engine.stats();
    expect(ports.used).toBe(0);
    expect(ports.available).toBe(ports.capacity);
  });
});

function serialize(i: number): Buffer {
  const packet = Buffer.alloc(172);
  packet[0] = 0x80;
  packet[3] = i;
  return packet;
}
