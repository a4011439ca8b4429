import { readFileSync } from 'node:fs';
import { testdataPath } from '../../helpers/testdata.js';

export function readTestdata(relative: string): string {
  return readFileSync(testdataPath(relative), 'utf8');
}
