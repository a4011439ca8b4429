/** G.729 test material: bitstreams whose frames can be told apart at the far end. */
export const G729_FRAME_BYTES = 10;

/** `count` 10-byte frames; frame i starts with i (16 bits, big-endian) so each one is recognised. */
export function numberedFrames(count: number): Buffer {
  const frames = Buffer.alloc(count * G729_FRAME_BYTES);
  for (let i = 0; i < count; i++) {
    frames.writeUInt16BE(i, i * G729_FRAME_BYTES);
    for (let byte = 2; byte < G729_FRAME_BYTES; byte++)
      frames[i * G729_FRAME_BYTES + byte] = (i * 7 + byte) & 0xff;
  }
  return frames;
}
