/** Hostile header field values for the tests that hold the in-place readers to the full parsers. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testdataPath } from '../../../helpers/testdata.js';

/** Every header value of both torture corpora, and each of them cut and spliced, as hostile field values. */
export function fieldValues(): string[] {
  const values = new Set<string>();
  for (const corpus of ['sip-torture-rfc4475', 'sip-torture-rfc5118']) {
    const dir = testdataPath(corpus);
    for (const file of readdirSync(dir)) {
      if (file === 'README.md' || file === 'SHA256SUMS') continue;
      const text = readFileSync(join(dir, file), 'latin1');
      const head = text.split(/\r?\n\r?\n/)[0] ?? '';
      for (const line of head.split(/\r?\n/).slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) values.add(line.slice(colon + 1).trim());
      }
    }
  }
  const seeds = [...values];
  const out = [...seeds];
  for (const [n, value] of seeds.entries()) {
    for (let cut = 0; cut <= value.length; cut += 3) {
      out.push(value.slice(0, cut));
      out.push(value.slice(cut));
      out.push(value.slice(0, cut) + (seeds[(n + cut) % seeds.length] ?? ''));
      out.push(`${value.slice(0, cut)} ${value.slice(cut)}`);
      out.push(`${value.slice(0, cut)}"${value.slice(cut)}`);
    }
  }
  return out;
}
