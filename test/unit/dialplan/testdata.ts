import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Third-party vectors live beside the repository (`../shared/testdata`); STROWGER_TESTDATA overrides. */
const root =
  process.env.STROWGER_TESTDATA ?? fileURLToPath(new URL('../../../../shared/testdata/', import.meta.url));

export function readTestdata(relative: string): string {
  return readFileSync(`${root}/${relative}`, 'utf8');
}
