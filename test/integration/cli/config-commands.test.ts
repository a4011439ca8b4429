/**
 * `strowger config validate`, `strowger apply` and `strowger start --config` as a user runs
 * them: errors with line and column and a non-zero exit, idempotent apply, and an invalid file
 * that stops the start without touching the store.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/node-process.js';

const dir = mkdtempSync(join(tmpdir(), 'strowger-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BROKEN = `partitions:
  - name: internal
lines:
  - dn: "201"
    partition: internal
phones:
  - name: phone-201
    model: SIP phone
    lines:
      - dn: "205"
        partition: internal
    colour: blue
`;

describe('strowger config validate', () => {
  it('accepts the demo configuration', async () => {
    const result = await runCli(['config', 'validate', 'examples/demo.yaml']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('examples/demo.yaml: valid\n');
  });

  it('prints every error with line and column and exits 1', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, BROKEN);
    const result = await runCli(['config', 'validate', file]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) expect(line).toMatch(new RegExp(`^${file}:\\d+:\\d+: `));
    expect(result.stderr).toContain('colour');
  });

  it('names a file that cannot be read', async () => {
    const result = await runCli(['config', 'validate', join(dir, 'missing.yaml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('missing.yaml');
  });
});

describe('strowger apply and start --config', () => {
  const dataDir = join(dir, 'data');

  it('applies the demo once, then reports no changes', async () => {
    const first = await runCli(['apply', 'examples/demo.yaml', '--data-dir', dataDir]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('+ line 201');
    expect(first.stdout).toContain('configuration version 1');
    const again = await runCli(['apply', 'examples/demo.yaml', '--data-dir', dataDir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('no changes (configuration version 1)\n');
  });

  it('refuses to start on an invalid file and leaves the store as it was', async () => {
    const file = join(dir, 'broken-start.yaml');
    writeFileSync(file, BROKEN);
    const start = await runCli(['start', '--config', file, '--data-dir', dataDir, '--sip-port', '0']);
    expect(start.code).toBe(1);
    expect(start.stderr).toMatch(/broken-start\.yaml:\d+:\d+: /);
    const again = await runCli(['apply', 'examples/demo.yaml', '--data-dir', dataDir]);
    expect(again.stdout).toBe('no changes (configuration version 1)\n');
  });
});
