/** Which transfer targets a carrier can route by itself (REFER) and which stay here (hairpin). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { snapshotOfConfiguration, validateConfigText } from '../../../../src/admin/index.js';
import { createCarrierNumbering } from '../../../../src/features/transfer/index.js';

const CME = readFileSync(new URL('../../../../examples/cme-sip-trunk.yaml', import.meta.url), 'utf8');

function numberingOf(text: string) {
  const parsed = validateConfigText(text, 'plan.yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const snapshot = snapshotOfConfiguration(parsed.file.configuration);
  return createCarrierNumbering(() => snapshot);
}

describe('carrier transfers on the CME SIP-trunk example', () => {
  const numbering = numberingOf(CME);

  it('hands extensions and pilots with DIDs to the carrier, as their DIDs', () => {
    expect(numbering.carrierRoutes?.('sp', '202')).toBe(true);
    expect(numbering.redirectTarget('sp', '202')).toBe('5123781202');
    expect(numbering.carrierRoutes?.('sp', '600')).toBe(true);
    expect(numbering.redirectCalled('sp', '201')).toBe('5123781201');
  });

  it('hands external numbers to the carrier without the access code', () => {
    expect(numbering.carrierRoutes?.('sp', '95125551234')).toBe(true);
    expect(numbering.redirectTarget('sp', '95125551234')).toBe('5125551234');
  });
});

describe('carrier transfers without redirect translations', () => {
  const numbering = numberingOf(`
partitions: [{ name: internal }]
lines:
  - { dn: "207", partition: internal }
pilots:
  - { name: voicemail, kind: voicemail, number: "600", destination: "sip:600@192.0.2.5" }
trunks:
  - { name: sp, proxy: "ipv4:192.0.2.10" }
`);

  it('keeps extensions and pilots without a DID here', () => {
    expect(numbering.carrierRoutes?.('sp', '207')).toBe(false);
    expect(numbering.carrierRoutes?.('sp', '600')).toBe(false);
  });

  it('hands numbers outside the system to the carrier as dialled', () => {
    expect(numbering.carrierRoutes?.('sp', '5125551234')).toBe(true);
    expect(numbering.redirectTarget('sp', '5125551234')).toBe('5125551234');
  });
});
