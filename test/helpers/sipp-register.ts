/**
 * One REGISTER with digest authentication by sipp, using the Asterisk test suite's
 * register_pass.xml (REGISTER → 401 → REGISTER with [authentication] → 200), as phone `dn`.
 */
import { freePort } from './ports.js';
import { runSipp, type SippResult } from './sipp.js';
import { testdataPath } from './testdata.js';

const REGISTER_SCENARIO = testdataPath('sipp-scenarios/asterisk-testsuite/auth/register_pass.xml');

export interface SippRegistration {
  /** `host:port` of the registrar. */
  readonly server: string;
  /** The scenario's [service] and the digest username. */
  readonly dn: string;
  readonly password: string;
  /** The UDP port sipp registers from (its contact), e.g. for a UAS started there next; a free one by default. */
  readonly localPort?: number;
}

export async function registerWithSipp(registration: SippRegistration): Promise<SippResult> {
  const { server, dn, password } = registration;
  const localPort = registration.localPort ?? (await freePort('UDP'));
  return runSipp([
    ...['-sf', REGISTER_SCENARIO, '-s', dn, '-au', dn, '-ap', password, '-m', '1', '-t', 'u1'],
    ...['-i', '127.0.0.1', '-p', String(localPort), '-timeout', '30s', server],
  ]);
}
