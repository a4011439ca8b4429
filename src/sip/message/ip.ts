/** Recognising IP addresses inside a larger string, without slicing it. */

/**
 * Whether s[start, end) is a dotted-quad IPv4 address exactly as `net.isIPv4` accepts it: four
 * decimal octets 0-255 without leading zeros.
 */
export function isIPv4At(s: string, start: number, end: number): boolean {
  let i = start;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (i >= end || s.charCodeAt(i) !== 0x2e) return false;
      i++;
    }
    const digitsStart = i;
    let value = 0;
    while (i < end && i - digitsStart < 3) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      i++;
    }
    const digits = i - digitsStart;
    if (digits === 0 || value > 255 || (digits > 1 && s.charCodeAt(digitsStart) === 0x30)) return false;
  }
  return i === end;
}
