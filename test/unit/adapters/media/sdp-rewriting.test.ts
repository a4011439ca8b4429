import { parse } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { createMediaAnchor, type MediaAnchor } from '../../../../src/adapters/media/index.js';
import type {
  AllocateOptions,
  EndpointSettings,
  MediaEngine,
  MediaEvent,
} from '../../../../src/media/index.js';

/** An engine that hands out endpoints and records what it is asked, with no sockets. */
function fakeEngine() {
  let port = 20000;
  const allocations: AllocateOptions[] = [];
  const updates: Array<[string, EndpointSettings]> = [];
  const connections: Array<[string, string, boolean | undefined]> = [];
  const released: string[] = [];
  const listeners = new Set<(event: MediaEvent) => void>();
  const engine = {
    async allocate(options: AllocateOptions = {}) {
      allocations.push(options);
      port += 2;
      return { id: `e${allocations.length}`, address: '203.0.113.5', rtpPort: port, rtcpPort: port + 1 };
    },
    async update(id: string, settings: EndpointSettings) {
      updates.push([id, settings]);
    },
    async connect(a: string, b: string, options?: { transcode?: boolean }) {
      connections.push([a, b, options?.transcode]);
    },
    async disconnect() {},
    async release(id: string) {
      released.push(id);
    },
    onEvent(listener: (event: MediaEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as MediaEngine;
  return { engine, allocations, updates, connections, released };
}

const sdp = (lines: string[]) => ({
  contentType: 'application/sdp',
  body: Buffer.from(`${lines.join('\r\n')}\r\n`),
});

const phoneOffer = sdp([
  'v=0',
  'o=phone 10 10 IN IP4 192.0.2.10',
  's=call',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 16384 RTP/AVP 0 8 18 96 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:96 opus/48000/2',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=rtcp:16391',
  'a=ptime:20',
  'a=sendonly',
  'a=candidate:1 1 UDP 2130706431 192.0.2.10 16384 typ host',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abcd',
  'm=video 16400 RTP/AVP 97',
  'a=rtpmap:97 H264/90000',
]);

const policies = {
  offerer: { codecs: 'phones', dtmfRelay: 'rtp-nte' as const },
  answerer: { codecs: 'carrier', dtmfRelay: 'rtp-nte' as const },
};

function anchorWith(engine: MediaEngine): MediaAnchor {
  return createMediaAnchor({
    engine,
    codecs: { phones: ['PCMU', 'PCMA', 'G729'], carrier: ['G729', 'PCMA'], 'alaw-only': ['PCMA'] },
    mediaTimeoutMs: 30_000,
  });
}

describe('SDP rewriting by the media anchor', () => {
  it('points the offer at the far-side endpoint with the answerer policy formats, keeping direction and RTCP', async () => {
    const fake = fakeEngine();
    const anchor = anchorWith(fake.engine);
    const result = await anchor.anchorOffer('call-1', 'a', phoneOffer, policies);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const session = parse(result.media.body.toString());
    const [audio, video] = session.media;
    expect(audio?.connection?.ip).toBe('203.0.113.5');
    expect(audio?.port).toBe(20004);
    expect(audio?.payloads).toBe('18 8 101');
    expect(audio?.rtp.map((rtp) => `${rtp.payload} ${rtp.codec}/${rtp.rate}`)).toEqual([
      '18 G729/8000',
      '8 PCMA/8000',
      '101 telephone-event/8000',
    ]);
    expect(audio?.fmtp).toEqual([
      { payload: 18, config: 'annexb=no' },
      { payload: 101, config: '0-15' },
    ]);
    expect(audio?.rtcp?.port).toBe(20005);
    expect(audio?.direction).toBe('sendonly');
    expect(audio?.ptime).toBe(20);
    const text = result.media.body.toString();
    expect(text).not.toMatch(/candidate|crypto|192\.0\.2\.10/);
    // The engine carries audio only: other m-lines are declined (RFC 3264 §6).
    expect(video?.port).toBe(0);
    expect(video?.connection?.ip).toBe('203.0.113.5');
    // The phone's endpoint latches on the phone's address; the far endpoint sits on its worker.
    expect(fake.allocations[0]?.remote).toEqual({ address: '192.0.2.10', port: 16384, rtcpPort: 16391 });
    expect(fake.allocations[0]?.codecs?.map((codec) => codec.name)).toEqual([
      'PCMU',
      'PCMA',
      'G729',
      'telephone-event',
    ]);
    expect(fake.allocations[1]?.near).toBe('e1');
  });

  it('rewrites the answer toward the offerer, maps the law and connects with transcoding', async () => {
    const fake = fakeEngine();
    const anchor = anchorWith(fake.engine);
    const offer = sdp([
      'v=0',
      'o=phone 10 10 IN IP4 192.0.2.10',
      's=-',
      'c=IN IP4 192.0.2.10',
      't=0 0',
      'm=audio 16384 RTP/AVP 0 101',
      'a=rtpmap:101 telephone-event/8000',
    ]);
    const sent = await anchor.anchorOffer('call-2', 'a', offer, {
      offerer: { codecs: 'phones', dtmfRelay: 'rtp-nte' },
      answerer: { codecs: 'alaw-only', dtmfRelay: 'inband' },
    });
    expect(sent.ok && parse(sent.media.body.toString()).media[0]?.payloads).toBe(8);
    const answer = sdp([
      'v=0',
      'o=carrier 5 5 IN IP4 198.51.100.7',
      's=-',
      'c=IN IP4 198.51.100.7',
      't=0 0',
      'm=audio 30000 RTP/AVP 8',
      'a=recvonly',
    ]);
    const back = await anchor.anchorAnswer('call-2', 'b', answer, {
      codecs: 'alaw-only',
      dtmfRelay: 'inband',
    });
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    const session = parse(back.media.body.toString());
    expect(session.media[0]?.port).toBe(20002);
    expect(session.media[0]?.payloads).toBe('0 101');
    expect(session.media[0]?.direction).toBe('recvonly');
    expect(session.media[0]?.rtcp).toBeUndefined();
    expect(fake.updates.find(([id]) => id === 'e2')?.[1]).toMatchObject({
      remote: { address: '198.51.100.7', port: 30000 },
      codecs: [{ payloadType: 8, name: 'PCMA' }],
      detectInbandDtmf: true,
      // recvonly: the carrier sends nothing, so its silence is no media timeout.
      mediaTimeoutMs: 0,
    });
    expect(fake.connections).toEqual([['e1', 'e2', true]]);
    // Each side's o= line keeps its session id and steps its version (RFC 3264 §8).
    const again = await anchor.anchorOffer('call-2', 'a', offer, {
      offerer: { codecs: 'phones', dtmfRelay: 'rtp-nte' },
      answerer: { codecs: 'alaw-only', dtmfRelay: 'inband' },
    });
    const origin = (media: { body: Buffer }) => parse(media.body.toString()).origin;
    expect(again.ok && sent.ok && origin(again.media).sessionId).toBe(
      sent.ok && origin(sent.media).sessionId,
    );
    expect(again.ok && origin(again.media).sessionVersion).toBe(2);
    await anchor.release('call-2');
    expect(fake.released.sort()).toEqual(['e1', 'e2']);
    expect(anchor.calls).toBe(0);
  });

  it('refuses an offer with nothing in common as 488 with the Warning, allocating nothing', async () => {
    const fake = fakeEngine();
    const anchor = anchorWith(fake.engine);
    const g722 = sdp([
      'v=0',
      'o=- 1 1 IN IP4 192.0.2.1',
      's=-',
      'c=IN IP4 192.0.2.1',
      't=0 0',
      'm=audio 4000 RTP/AVP 9',
    ]);
    const result = await anchor.anchorOffer('call-3', 'a', g722, {
      offerer: { codecs: 'any', dtmfRelay: 'rtp-nte' },
      answerer: { codecs: 'carrier', dtmfRelay: 'rtp-nte' },
    });
    expect(result).toMatchObject({
      ok: false,
      status: 488,
      warning: '305 strowger "Incompatible media format: offered G722; accepted G729 PCMA"',
    });
    expect(fake.allocations).toHaveLength(0);
    expect(anchor.calls).toBe(0);
  });

  it('treats the RFC 2543 hold address as a direction, not as a place to send media', async () => {
    const fake = fakeEngine();
    const anchor = anchorWith(fake.engine);
    const held = sdp([
      'v=0',
      'o=- 1 1 IN IP4 0.0.0.0',
      's=-',
      'c=IN IP4 0.0.0.0',
      't=0 0',
      'm=audio 4000 RTP/AVP 0',
    ]);
    const result = await anchor.anchorOffer('call-4', 'a', held, policies);
    expect(result.ok && parse(result.media.body.toString()).media[0]?.direction).toBe('sendonly');
    expect(fake.allocations[0]?.remote).toBeUndefined();
  });

  it('answers garbage with 488 and never throws', async () => {
    const anchor = anchorWith(fakeEngine().engine);
    for (const body of [
      '',
      'v=0\r\nm=audio x RTP/AVP 0\r\n',
      'm=audio 4000 RTP/AVP\r\n'.repeat(40),
      '\u0000\u0001',
    ]) {
      const result = await anchor.anchorOffer(
        'call-5',
        'a',
        { contentType: 'application/sdp', body: Buffer.from(body) },
        policies,
      );
      expect(result).toMatchObject({ ok: false, status: 488 });
    }
    expect(await anchor.anchorAnswer('nope', 'b', phoneOffer, policies.answerer)).toMatchObject({
      ok: false,
    });
    expect(await anchor.hold('nope', 'a')).toMatchObject({ ok: false });
    await anchor.release('nope');
  });
});
