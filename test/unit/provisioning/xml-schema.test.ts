/**
 * Every generated XML file is well-formed and valid against the schema written for it
 * (test/fixtures/provisioning/cisco-config.xsd), checked by Debian's xmllint.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateConfigFile, resolveProvisioningSettings } from '../../../src/provisioning/index.js';
import {
  CONFIG_XSD,
  provisioningSnapshot,
  SCCP_PHONE,
  SIP_PHONE,
  TEST_SETTINGS,
} from '../../fixtures/provisioning/config.js';
import { interopAvailable } from '../../helpers/interop.js';

const run = promisify(execFile);

/** xmllint on stdin; resolves with its exit status and messages. */
function xmllint(args: string[], input: Buffer): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('xmllint', [...args, '-'], (error, _stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    );
    child.stdin?.end(input);
  });
}

const settings = resolveProvisioningSettings({
  ...TEST_SETTINGS,
  autoRegistration: { enabled: true, devicePool: 'hq', protocol: 'sip' },
});
const files = [`${SIP_PHONE}.cnf.xml`, `${SCCP_PHONE}.cnf.xml`, 'SEPDefault.cnf.xml', 'XMLDefault.cnf.xml'];

describe.runIf(interopAvailable('xmllint'))('generated XML under xmllint', () => {
  it('loads the schema', async () => {
    await expect(run('xmllint', ['--noout', CONFIG_XSD])).resolves.toBeDefined();
  });

  it.each(files)('%s is well-formed and valid', async (name) => {
    const file = generateConfigFile(name, provisioningSnapshot(), settings);
    if (!file?.found) throw new Error(`${name} not generated`);
    expect(await xmllint(['--noout'], file.data)).toEqual({ code: 0, stderr: '' });
    const validated = await xmllint(['--noout', '--schema', CONFIG_XSD], file.data);
    expect(validated.stderr).toBe('- validates\n');
    expect(validated.code).toBe(0);
  });

  it('rejects a file that drifts from the schema', async () => {
    const file = generateConfigFile(`${SIP_PHONE}.cnf.xml`, provisioningSnapshot(), settings);
    if (!file?.found) throw new Error('not generated');
    const drifted = Buffer.from(file.data.toString().replace('<versionStamp>42<', '<versionStamp>v42<'));
    expect((await xmllint(['--noout', '--schema', CONFIG_XSD], drifted)).code).not.toBe(0);
  });
});
