/**
 * Option negotiation for read requests: RFC 2347 (framework), RFC 2348 (blksize),
 * RFC 2349 (timeout, tsize) and RFC 7440 (windowsize).
 */
import type { OptionList } from './packet.js';

/** RFC 1350 §2: data travels in 512-octet blocks unless blksize says otherwise. */
export const DEFAULT_BLOCK_SIZE = 512;
/** RFC 2348 §2: blksize is 8..65464 octets. */
export const MIN_BLOCK_SIZE = 8;
export const MAX_BLOCK_SIZE = 65464;
/** IPv4 (20) or IPv6 (40) header, UDP header (8), TFTP DATA header (4). */
const IPV4_OVERHEAD = 32;
const IPV6_OVERHEAD = 52;

export interface NegotiationLimits {
  /** Largest blksize the server grants (RFC 2348 lets the server answer a smaller value). */
  maxBlockSize: number;
  /** Path MTU to the clients, if known: blksize is clamped so a DATA packet is never fragmented. */
  mtu?: number;
  /** Largest windowsize the server grants (RFC 7440 §3 lets the server answer a smaller value). */
  maxWindowsize: number;
  /** Octets one window may hold, which bounds the memory a single transfer pins. */
  maxWindowBytes: number;
}

export interface RequestContext {
  /** Size of the file as sent, when known before sending (octet mode only). */
  transferSize: number | undefined;
  ipv6: boolean;
}

export interface Negotiated {
  blockSize: number;
  windowsize: number;
  /** Retransmission interval the client asked for (RFC 2349 §2), in ms. */
  timeoutMs: number | undefined;
  /** Options to acknowledge; empty means no OACK, the transfer starts with DATA 1 (RFC 2347 §4). */
  acknowledged: [string, string][];
}

/** A decimal option value within [min, max], or undefined when it is not one. */
function parseDecimal(value: string, min: number, max: number): number | undefined {
  if (!/^[0-9]{1,10}$/.test(value)) return undefined;
  const n = Number(value);
  return n >= min && n <= max ? n : undefined;
}

function largestBlockSize(limits: NegotiationLimits, ipv6: boolean): number {
  let largest = Math.min(MAX_BLOCK_SIZE, limits.maxBlockSize);
  if (limits.mtu !== undefined)
    largest = Math.min(largest, limits.mtu - (ipv6 ? IPV6_OVERHEAD : IPV4_OVERHEAD));
  return Math.max(MIN_BLOCK_SIZE, largest);
}

/**
 * Decides every option of a read request. RFC 2347 §4: options the server does not know or does
 * not accept are left out of the OACK; values are answered in the order the client sent them.
 */
export function negotiateOptions(
  requested: OptionList,
  limits: NegotiationLimits,
  context: RequestContext,
): Negotiated {
  const result: Negotiated = {
    blockSize: DEFAULT_BLOCK_SIZE,
    windowsize: 1,
    timeoutMs: undefined,
    acknowledged: [],
  };
  let askedWindow: number | undefined;
  for (const [name, value] of requested) {
    switch (name) {
      case 'blksize': {
        const asked = parseDecimal(value, MIN_BLOCK_SIZE, MAX_BLOCK_SIZE);
        if (asked === undefined) break;
        result.blockSize = Math.min(asked, largestBlockSize(limits, context.ipv6));
        result.acknowledged.push([name, String(result.blockSize)]);
        break;
      }
      case 'timeout': {
        // RFC 2349 §2: 1..255 seconds; the server answers the same value or leaves it out.
        const seconds = parseDecimal(value, 1, 255);
        if (seconds === undefined) break;
        result.timeoutMs = seconds * 1000;
        result.acknowledged.push([name, value.replace(/^0+/, '')]);
        break;
      }
      case 'tsize':
        // RFC 2349 §4: a read request carries 0 and the server answers the size it will send.
        if (
          context.transferSize === undefined ||
          parseDecimal(value, 0, Number.MAX_SAFE_INTEGER) === undefined
        )
          break;
        result.acknowledged.push([name, String(context.transferSize)]);
        break;
      case 'windowsize':
        askedWindow = parseDecimal(value, 1, 65535);
        if (askedWindow !== undefined) result.acknowledged.push([name, '']);
        break;
    }
  }
  if (askedWindow !== undefined) {
    // Decided last because the window's memory bound depends on the block size.
    const byMemory = Math.max(1, Math.floor(limits.maxWindowBytes / result.blockSize));
    result.windowsize = Math.max(1, Math.min(askedWindow, limits.maxWindowsize, byMemory));
    const entry = result.acknowledged.find(([name]) => name === 'windowsize')!;
    entry[1] = String(result.windowsize);
  }
  return result;
}
