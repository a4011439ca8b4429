/** RFC 3263 §4.1: which NAPTR records lead to a transport we support, in the order to try them. */
import type { TransportProtocol } from '../transport/types.js';
import type { NaptrRecord } from './dns.js';

/** NAPTR service fields (RFC 3263 §4.1; RFC 7118 for WebSocket) and what they select. */
const SERVICES = new Map<string, { protocol: TransportProtocol; secure: boolean }>([
  ['SIP+D2U', { protocol: 'UDP', secure: false }],
  ['SIP+D2T', { protocol: 'TCP', secure: false }],
  ['SIPS+D2T', { protocol: 'TLS', secure: true }],
  ['SIP+D2W', { protocol: 'WS', secure: false }],
  ['SIPS+D2W', { protocol: 'WSS', secure: true }],
]);

export interface NaptrChoice {
  protocol: TransportProtocol;
  /** The SRV name to query next. */
  replacement: string;
}

/**
 * Keeps records with the "s" flag (the next lookup is SRV; RFC 3263 uses no other) whose
 * service we support, a SIPS URI keeping only secure services (RFC 3263 §4.1), ordered by
 * order then preference (RFC 3403 §4.1).
 */
export function chooseNaptrRecords(
  records: readonly NaptrRecord[],
  supported: readonly TransportProtocol[],
  secureOnly: boolean,
): NaptrChoice[] {
  const chosen: Array<NaptrChoice & { order: number; preference: number }> = [];
  for (const record of records) {
    const service = SERVICES.get(record.service.toUpperCase());
    if (service === undefined || record.flags.toLowerCase() !== 's' || record.replacement === '') continue;
    if (!supported.includes(service.protocol) || (secureOnly && !service.secure)) continue;
    chosen.push({
      protocol: service.protocol,
      replacement: record.replacement,
      order: record.order,
      preference: record.preference,
    });
  }
  chosen.sort((a, b) => a.order - b.order || a.preference - b.preference);
  return chosen.map(({ protocol, replacement }) => ({ protocol, replacement }));
}
