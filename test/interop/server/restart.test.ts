/**
 * The node as a user runs it: `strowger start` with the demo configuration, sipp registers two
 * phones with digest authentication, `strowger show registrations` lists them, and after a
 * restart (SIGTERM, exit 0, start again) they are still there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { interopAvailable } from '../../helpers/interop.js';
import { startNode } from '../../helpers/node-process.js';
import { registerWithSipp } from '../../helpers/sipp-register.js';

const canRun = interopAvailable('sipp');
const dataDir = mkdtempSync(join(tmpdir(), 'strowger-node-'));

const register = (sipPort: number, dn: string, password: string) =>
  registerWithSipp({ server: `127.0.0.1:${sipPort}`, dn, password });

interface Registration {
  dn: string;
  phone: string;
}

describe.runIf(canRun)('a node that restarts keeps its registrations', () => {
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('registers 201 and 202, lists them, restarts and lists them again', async () => {
    const first = await startNode({ dataDir, config: 'examples/demo.yaml' });
    try {
      for (const [dn, password] of [
        ['201', 'demo-201'],
        ['202', 'demo-202'],
      ] as const) {
        const result = await register(first.sipPort, dn, password);
        expect(result.successful, result.output).toBe(1);
      }
      const wrong = await register(first.sipPort, '203', 'not-the-password');
      expect(wrong.failed, wrong.output).toBe(1);

      const table = await first.cli('show', 'registrations');
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/^201\s+internal\s+phone-201/m);
      expect(table.stdout).toMatch(/^202\s+internal\s+phone-202/m);
      expect(table.stdout).toContain('2 registrations');
    } finally {
      expect(await first.stop()).toBe(0);
    }

    const second = await startNode({ dataDir, config: 'examples/demo.yaml' });
    try {
      const json = await second.cli('show', 'registrations', '--json');
      expect(json.code, json.stderr).toBe(0);
      const registrations = JSON.parse(json.stdout) as Registration[];
      expect(registrations.map((r) => `${r.dn} ${r.phone}`).sort()).toEqual([
        '201 phone-201',
        '202 phone-202',
      ]);
      expect(second.output()).toContain('configuration unchanged');
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});
