/**
 * A copy of `text` that owns its characters. V8 keeps a substring as a view of the string it was
 * cut from, and every value parsed from a SIP message is cut from that message's whole head: a
 * value kept long after its message (a nonce's count record, a registration binding) would keep
 * the head alive, hundreds of bytes for a few characters. A JSON round trip is the cheapest way
 * to a flat copy; use it for values kept, not on every read.
 */
export function ownedText(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}
