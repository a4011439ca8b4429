/**
 * A dial-peer's session target (`ipv4:192.0.2.5[:port]`, `ipv6:[2001:db8::5]`, `dns:cue.example`)
 * as the SIP address a call to `called` goes to. A `sip:`/`sips:` URI is taken as it is.
 */

const HOST_AND_PORT = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;
const SIP_URI = /^sips?:[^\s<>"]{1,1024}$/i;

/** Undefined for a target that names no address (`sip-server` is a trunk, not an address). */
export function sipAddressOf(target: string, called: string): string | undefined {
  if (SIP_URI.test(target)) return target;
  const match = /^(ipv4|ipv6|dns):(.*)$/i.exec(target);
  const host = match?.[2];
  if (host === undefined || !HOST_AND_PORT.test(host)) return undefined;
  // RFC 3261 §25.1: `#` is not allowed in a user part and travels escaped.
  return `sip:${called.replaceAll('#', '%23')}@${host}`;
}
