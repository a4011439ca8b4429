import { describe, expect, it } from 'vitest';
import { AudioFormatError } from '../../../src/media/audio-file.js';
import { decodeG729File } from '../../../src/media/g729-file.js';
import { framesPerPacket } from '../../../src/media/g729-player.js';
import { numberedFrames } from '../../integration/media/g729-frames.js';

/** A RIFF WAVE with format `tag` (the fields FFmpeg writes for G.729: 8 kHz, 1000 bytes/s, block 10). */
function wav(tag: number, data: Uint8Array, channels = 1): Buffer {
  const fmt = Buffer.alloc(20);
  fmt.writeUInt16LE(tag, 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(8000, 4);
  fmt.writeUInt32LE(1000, 8);
  fmt.writeUInt16LE(10, 12);
  fmt.writeUInt16LE(1, 14);
  fmt.writeUInt16LE(2, 16); // cbSize: the two bytes that follow
  const fact = Buffer.from('fact\u0004\u0000\u0000\u0000\u0000\u0000\u0000\u0000', 'latin1');
  const chunks = [
    Buffer.from('fmt '),
    Buffer.from([fmt.length, 0, 0, 0]),
    fmt,
    fact,
    Buffer.from('data'),
    Buffer.alloc(4),
    data,
  ];
  const file = Buffer.concat([Buffer.from('RIFF\u0000\u0000\u0000\u0000WAVE', 'latin1'), ...chunks]);
  file.writeUInt32LE(file.length - 8, 4);
  file.writeUInt32LE(data.length, file.indexOf('data') + 4);
  return file;
}

/** A Sun AU with `encoding` (Cisco IOS: 39 is G.729). */
function au(encoding: number, data: Uint8Array): Buffer {
  const header = Buffer.alloc(24);
  header.write('.snd', 0, 'latin1');
  header.writeUInt32BE(24, 4);
  header.writeUInt32BE(data.length, 8);
  header.writeUInt32BE(encoding, 12);
  header.writeUInt32BE(8000, 16);
  header.writeUInt32BE(1, 20);
  return Buffer.concat([header, data]);
}

describe('G.729 files', () => {
  const frames = numberedFrames(25);

  it('reads the frames of a raw .g729 bitstream, a G.729 WAV and a Cisco G.729 AU alike', () => {
    for (const [file, name] of [
      [frames, 'moh.g729'],
      [frames, 'MOH.G729'],
      [wav(0x0083, frames), 'moh.wav'],
      [wav(0x0133, frames), 'moh.wav'],
      [wav(0x0134, frames), 'moh.wav'],
      [wav(5339, frames), 'moh.wav'],
      [au(39, frames), 'moh.au'],
    ] as const) {
      const clip = decodeG729File(file, name);
      expect(clip.count).toBe(25);
      expect(Buffer.from(clip.frames)).toEqual(frames);
    }
  });

  it('drops a truncated last frame', () => {
    const clip = decodeG729File(frames.subarray(0, 10 * 24 + 7), 'cut.g729');
    expect(clip.count).toBe(24);
    expect(Buffer.from(clip.frames)).toEqual(frames.subarray(0, 240));
  });

  it('refuses G.711 or PCM files, stereo, unknown raw files and files without a whole frame', () => {
    const refused: Array<[Uint8Array, string, RegExp]> = [
      [wav(1, frames), 'moh.wav', /format tag 1 is not G\.729/],
      [wav(7, frames), 'moh.wav', /format tag 7 is not G\.729/],
      [wav(0x0083, frames, 2), 'moh.wav', /2 channels/],
      [au(1, frames), 'moh.au', /AU encoding 1 is not G\.729/],
      [frames, 'moh.mp3', /raw \.g729/],
      [frames.subarray(0, 9), 'short.g729', /no complete G\.729 frame/],
      [Buffer.alloc(0), 'empty.g729', /no complete G\.729 frame/],
      [Buffer.from('RIFF\u0004\u0000\u0000\u0000WAVE', 'latin1'), 'x.wav', /without fmt/],
    ];
    for (const [file, name, message] of refused) {
      expect(() => decodeG729File(file, name)).toThrow(AudioFormatError);
      expect(() => decodeG729File(file, name)).toThrow(message);
    }
  });

  it('survives hostile headers: huge chunk sizes and data offsets', () => {
    const hostile = wav(0x0083, frames);
    hostile.writeUInt32LE(0xffffffff, hostile.indexOf('data') + 4);
    expect(decodeG729File(hostile, 'x.wav').count).toBe(25);
    const badAu = au(39, frames);
    badAu.writeUInt32BE(0xfffffff0, 4);
    expect(() => decodeG729File(badAu, 'x.au')).toThrow(/outside the file/);
  });
});

describe('G.729 packetisation', () => {
  it('sends whole 10 ms frames per packet, 20 ms by default, at most 120 ms', () => {
    expect(framesPerPacket(undefined)).toBe(2);
    expect(framesPerPacket(10)).toBe(1);
    expect(framesPerPacket(30)).toBe(3);
    expect(framesPerPacket(25)).toBe(3);
    expect(framesPerPacket(1)).toBe(1);
    expect(framesPerPacket(0)).toBe(1);
    expect(framesPerPacket(-40)).toBe(1);
    expect(framesPerPacket(1000)).toBe(12);
    expect(framesPerPacket(Number.NaN)).toBe(2);
  });
});
