/**
 * Netascii encoding for sending (RFC 1350 §5 and the Telnet NVT of RFC 764): LF becomes CR LF
 * and a bare CR becomes CR NUL. The encoder works block by block; a pair split at a block
 * boundary leaves its second octet "owed" to the next block.
 */

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;
/** No octet owed. */
export const NOTHING_OWED = -1;

/** Where encoding stands: the next source offset, and an octet owed from a split pair. */
export interface NetasciiCursor {
  offset: number;
  owed: number;
}

/**
 * Encodes source octets starting at `cursor.offset` into `out[outStart..outEnd)` and advances
 * the cursor. `source` holds the file's octets from offset `sourceBase`. Returns octets written;
 * fewer than the room given only when the source ran out.
 */
export function encodeNetascii(
  source: Buffer,
  sourceBase: number,
  cursor: NetasciiCursor,
  out: Buffer,
  outStart: number,
  outEnd: number,
): number {
  let o = outStart;
  if (cursor.owed !== NOTHING_OWED && o < outEnd) {
    out[o++] = cursor.owed;
    cursor.owed = NOTHING_OWED;
  }
  let i = cursor.offset - sourceBase;
  while (o < outEnd && i < source.length) {
    const octet = source[i++]!;
    if (octet === LF || octet === CR) {
      out[o++] = CR;
      const second = octet === LF ? LF : NUL;
      if (o < outEnd) out[o++] = second;
      else cursor.owed = second;
    } else {
      out[o++] = octet;
    }
  }
  cursor.offset = sourceBase + i;
  return o - outStart;
}

/** Size of `data` once netascii-encoded. */
export function netasciiLength(data: Buffer): number {
  let length = data.length;
  for (let i = 0; i < data.length; i++) {
    const octet = data[i];
    if (octet === LF || octet === CR) length++;
  }
  return length;
}
