/**
 * Reads G.729 audio an administrator prepares for MOH on G.729 legs, the way CUCM keeps one MOH
 * source per codec: the frames are played as they are (Strowger does not transcode G.729).
 * Accepted:
 * - RIFF WAVE with a G.729 format tag: 0x0083 (WAVE_FORMAT_G729A, what FFmpeg writes and reads),
 *   0x0133 / 0x0134 (SIPRO Lab G.729 / G.729A), 5339 (Cisco IOS CISCO_G729);
 * - Sun AU with Cisco IOS's encoding 39 (CISCO_G729);
 * - a raw bitstream (`.g729`): frames back to back.
 * RFC 3551 §4.5.6: a G.729 frame is 10 ms in 80 bits (10 bytes). Annex B SID frames (2 bytes)
 * would make frame boundaries unknowable in a file, so the data must be whole 10-byte frames; a
 * truncated last frame is dropped.
 */
import {
  AudioFormatError,
  type Container,
  isAu,
  isWav,
  readAuContainer,
  readWavContainer,
} from './audio-file.js';

export const G729_FRAME_BYTES = 10;
export const G729_FRAME_MS = 10;
/** RTP timestamp units per frame (8 kHz clock, RFC 3551 §4.5.6). */
export const G729_FRAME_SAMPLES = 80;

/** G.729 frames ready to play. */
export interface G729Clip {
  /** `count` frames of G729_FRAME_BYTES each, back to back. */
  readonly frames: Uint8Array;
  readonly count: number;
}

const WAV_G729_TAGS: ReadonlySet<number> = new Set([0x0083, 0x0133, 0x0134, 5339]);
const AU_CISCO_G729 = 39;
/** Longest file accepted: one hour of frames. */
const MAX_FRAMES = 3600 * (1000 / G729_FRAME_MS);

/** The frames of a G.729 file; `name` tells a raw bitstream (`.g729`) from a mistaken file. */
export function decodeG729File(file: Uint8Array, name: string): G729Clip {
  const data = isWav(file)
    ? g729Data(readWavContainer(file), WAV_G729_TAGS.has.bind(WAV_G729_TAGS), 'WAV format tag')
    : isAu(file)
      ? g729Data(readAuContainer(file), (code) => code === AU_CISCO_G729, 'AU encoding')
      : rawData(file, name);
  const count = Math.min(MAX_FRAMES, Math.floor(data.length / G729_FRAME_BYTES));
  if (count === 0) throw new AudioFormatError('no complete G.729 frame');
  // A copy, so a capped clip does not keep the whole file's buffer alive.
  return { frames: data.slice(0, count * G729_FRAME_BYTES), count };
}

function g729Data(container: Container, isG729: (code: number) => boolean, what: string): Uint8Array {
  if (!isG729(container.code)) throw new AudioFormatError(`${what} ${container.code} is not G.729`);
  if (container.channels !== 1)
    throw new AudioFormatError(`G.729 audio with ${container.channels} channels; MOH is mono`);
  return container.data;
}

function rawData(file: Uint8Array, name: string): Uint8Array {
  if (!name.toLowerCase().endsWith('.g729'))
    throw new AudioFormatError('neither a G.729 WAV or AU file nor a raw .g729 bitstream');
  return file;
}
