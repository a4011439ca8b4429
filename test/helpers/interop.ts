/**
 * Interop tests run programs from Debian (sipp, kamailio, tftp clients, tshark …). When one is
 * missing locally the test is skipped with a loud message; with STROWGER_REQUIRE_INTEROP=1 (as
 * in CI) a missing program fails the run instead.
 */
import { spawnSync } from 'node:child_process';

export const interopRequired = process.env.STROWGER_REQUIRE_INTEROP === '1';

export function hasProgram(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether the interop tests needing `programs` can run. Throws when a program is missing and
 * interop is required; otherwise prints why the tests are skipped.
 */
export function interopAvailable(...programs: string[]): boolean {
  const missing = programs.filter((program) => !hasProgram(program));
  if (missing.length === 0) return true;
  const message = `interop tests need ${missing.join(', ')} (not installed)`;
  if (interopRequired) throw new Error(`${message} and STROWGER_REQUIRE_INTEROP=1`);
  console.warn(`SKIPPED: ${message}; .ci/run installs them`);
  return false;
}
