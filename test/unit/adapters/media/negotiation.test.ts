import { describe, expect, it } from 'vitest';
import { negotiate } from '../../../../src/adapters/media/index.js';

const sdp = (formats: string, extra: string[] = []) => ({
  contentType: 'application/sdp',
  body: Buffer.from(
    [
      'v=0',
      'o=- 1 1 IN IP4 192.0.2.1',
      's=-',
      'c=IN IP4 192.0.2.1',
      't=0 0',
      `m=audio 4000 RTP/AVP ${formats}`,
      ...extra,
      '',
    ].join('\r\n'),
  ),
});

const offer = sdp('18 0 8 101', [
  'a=rtpmap:18 G729/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
]);

describe('codec negotiation', () => {
  it('keeps the offered codecs of the preference list, in its order, with telephone-event for rtp-nte', () => {
    const result = negotiate(offer, { codecs: ['PCMA', 'G729'], dtmfRelay: 'rtp-nte' });
    expect(result.ok && result.formats.map((f) => [f.payloadType, f.encoding])).toEqual([
      [8, 'PCMA'],
      [18, 'G729'],
      [101, 'telephone-event'],
    ]);
    expect(result.ok && result.transcoded).toBe(false);
  });

  it('leaves telephone-event out for legs that relay DTMF another way', () => {
    const result = negotiate(offer, { codecs: ['PCMU'], dtmfRelay: 'sip-notify' });
    expect(result.ok && result.formats.map((f) => f.encoding)).toEqual(['PCMU']);
  });

  it('reaches the other G.711 law through the transcoder', () => {
    const result = negotiate(sdp('0'), { codecs: ['PCMA'], dtmfRelay: 'rtp-nte' });
    expect(result.ok && result.formats.map((f) => [f.payloadType, f.encoding])).toEqual([
      [8, 'PCMA'],
      [101, 'telephone-event'],
    ]);
    expect(result.ok && result.transcoded).toBe(true);
  });

  it('answers 488 with a 305 Warning naming the codecs when nothing is common and no transcoder applies', () => {
    const g729 = sdp('18', ['a=rtpmap:18 G729/8000']);
    expect(negotiate(g729, { codecs: ['PCMU'], dtmfRelay: 'rtp-nte' })).toEqual({
      ok: false,
      status: 488,
      warning: '305 strowger "Incompatible media format: offered G729; accepted PCMU"',
    });
    // Transcoding switched off: μ-law cannot reach an A-law-only leg.
    const refused = negotiate(
      sdp('0'),
      { codecs: ['PCMA'], dtmfRelay: 'inband', transcode: false },
      'pbx.example',
    );
    expect(refused).toEqual({
      ok: false,
      status: 488,
      warning: '305 pbx.example "Incompatible media format: offered PCMU; accepted PCMA"',
    });
  });

  it('keeps hostile encoding names out of the Warning quoted string', () => {
    const hostile = sdp('96', ['a=rtpmap:96 X"\\evil/8000']);
    const result = negotiate(hostile, { codecs: ['PCMU'], dtmfRelay: 'inband' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.warning).toMatch(/^305 strowger "[^"\\]*"$/);
  });

  it('refuses bodies without an RTP audio stream or that are not SDP', () => {
    const video = {
      contentType: 'application/sdp',
      body: Buffer.from('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=video 4000 RTP/AVP 96\r\n'),
    };
    const policy = { codecs: ['PCMU'] as const, dtmfRelay: 'rtp-nte' as const };
    expect(negotiate(video, policy)).toMatchObject({
      ok: false,
      status: 488,
      warning: expect.stringMatching(/^304 /),
    });
    expect(negotiate({ contentType: 'text/plain', body: Buffer.from('x') }, policy)).toMatchObject({
      ok: false,
      warning: expect.stringMatching(/^399 /),
    });
  });
});
