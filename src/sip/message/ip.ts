/** Recognising IP addresses inside the received octets, without slicing them. */

/**
 * Whether o[start, end) is a dotted-quad IPv4 address exactly as `net.isIPv4` accepts it: four
 * decimal octets 0-255 without leading zeros.
 */
export function isIPv4In(o: Uint8Array, start: number, end: number): boolean {
  let i = start;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (i >= end || o[i] !== 0x2e) return false;
      i++;
    }
    const digitsStart = i;
    let value = 0;
    while (i < end && i - digitsStart < 3) {
      const c = o[i]!;
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      i++;
    }
    const digits = i - digitsStart;
    if (digits === 0 || value > 255 || (digits > 1 && o[digitsStart] === 0x30)) return false;
  }
  return i === end;
}
