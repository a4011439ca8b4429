/**
 * Third-party test material (RFC torture messages, sipp scenarios, Cisco samples) is kept in the
 * repository under testdata/, exact bytes, with its provenance in testdata/README.md.
 */
import { fileURLToPath } from 'node:url';

export const TESTDATA_DIR = fileURLToPath(new URL('../../testdata/', import.meta.url));

export function testdataPath(...parts: string[]): string {
  return [TESTDATA_DIR.replace(/\/$/, ''), ...parts].join('/');
}
