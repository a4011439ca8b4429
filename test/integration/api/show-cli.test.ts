import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClientError, createApiClient } from '../../../src/cli/api-client.js';
import { registerShowCommands } from '../../../src/cli/show.js';
import { fakeViews, openDemoStore, type RunningApi, startApi, TOKEN } from './api-fixture.js';

let api: RunningApi;
let dispose: () => Promise<void>;

beforeAll(async () => {
  const opened = await openDemoStore();
  dispose = opened.dispose;
  api = await startApi({ store: opened.store, token: TOKEN });
});
afterAll(async () => {
  await api?.server.close();
  await dispose?.();
});
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

/** Runs `strowger show …` in this process and returns what it printed. */
async function show(...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: unknown }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const program = new Command('strowger').exitOverride();
  registerShowCommands(program);
  await program.parseAsync(['show', ...args], { from: 'user' });
  const exitCode = process.exitCode;
  vi.restoreAllMocks();
  return { stdout, stderr, exitCode };
}

describe('strowger show, against a running API', () => {
  it('prints phones from the configuration with their registration status', async () => {
    const { stdout, exitCode } = await show('phones', '--api', api.url, '--token', TOKEN);
    expect(exitCode).toBeUndefined();
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^Name\s+Model\s+Protocol\s+Status\s+Address\s+Lines\s+Description$/);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^phone-201\s+SIP phone\s+SIP\s+Registered\s+UDP 192\.0\.2\.10:5060\s+201\s+John Smith$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^phone-202\s+SIP phone\s+SIP\s+Unregistered\s+-\s+202\s+Enrique Zurita$/),
    );
    expect(lines).toContain('4 phones, 1 registered');
  });

  it('prints lines, registrations, calls and records', async () => {
    const lines = await show('lines', '--api', api.url, '--token', TOKEN);
    expect(lines.stdout).toMatch(/^201\s+internal\s+John Smith\s+phone-201\s+1\s+-\s+-$/m);
    const registrations = await show('registrations', '--api', api.url, '--token', TOKEN);
    expect(registrations.stdout).toMatch(/^201\s+internal\s+phone-201\s+sip:201@192\.0\.2\.10/m);
    const calls = await show('calls', '--api', api.url, '--token', TOKEN);
    expect(calls.stdout).toMatch(/^call-1\s+connected\s+201\s+202\s/m);
    const cdr = await show('cdr', '--api', api.url, '--token', TOKEN, '--limit', '5');
    expect(cdr.stdout).toContain('0 records');
    const pools = await show('device-pools', '--api', api.url, '--token', TOKEN);
    expect(pools.stdout).toMatch(/^default\s+127\.0\.0\.1\s+-\s+-\s+-\s+node\s+4\s+Demo phones$/m);
  });

  it("--json prints the API's JSON", async () => {
    const { stdout } = await show('registrations', '--api', api.url, '--token', TOKEN, '--json');
    expect(JSON.parse(stdout)).toEqual(fakeViews.registrations());
  });

  it('reads the token from STROWGER_TOKEN and explains a refusal', async () => {
    vi.stubEnv('STROWGER_TOKEN', TOKEN);
    try {
      expect((await show('calls', '--api', api.url)).exitCode).toBeUndefined();
    } finally {
      vi.unstubAllEnvs();
    }
    const refused = await show('calls', '--api', api.url, '--token', 'wrong-token-0123456789');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('401');
    expect(refused.stderr).toContain('--token');
    const invalid = await show('cdr', '--api', api.url, '--token', TOKEN, '--limit', 'many');
    expect(invalid.exitCode).toBe(1);
    expect(invalid.stderr).toMatch(/400 querystring limit/);
  });

  it('says so when the server cannot be reached', async () => {
    const client = createApiClient({ baseUrl: 'http://127.0.0.1:1' });
    await expect(client.get('/status')).rejects.toThrow(ApiClientError);
    await expect(client.get('/status')).rejects.toThrow(
      /cannot reach the Strowger API at http:\/\/127\.0\.0\.1:1/,
    );
  });
});
