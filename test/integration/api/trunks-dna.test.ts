/** The trunk status view and digit analysis on the running configuration, through the API and `show trunks`. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTrunks } from '../../../src/cli/show.js';
import { fakeViews, openDemoStore, type RunningApi, startApi } from './api-fixture.js';

let api: RunningApi;
let dispose: () => Promise<void>;

beforeAll(async () => {
  const demo = await openDemoStore();
  dispose = demo.dispose;
  api = await startApi({ store: demo.store });
});

afterAll(async () => {
  await api.server.close();
  await dispose();
});

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> & unknown[] }> {
  const response = await fetch(`${api.url}/api/v1${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> & unknown[] };
}

describe('GET /api/v1/trunks', () => {
  it('lists each trunk with its service state and the registration of its numbers', async () => {
    const { status, body } = await get('/trunks');
    expect(status).toBe(200);
    expect(body).toEqual(JSON.parse(JSON.stringify(fakeViews.trunks())));
  });

  it('prints as show sip-ua register status: registered numbers only, then service state', () => {
    const text = formatTrunks(fakeViews.trunks());
    expect(text).toMatch(/^5123788000\s+sp\s+3412\s+yes\s+registered$/m);
    expect(text).not.toContain('5123781291');
    expect(text).toContain('1 number to register');
    expect(text).toMatch(/^sp\s+in-service\s+UDP 192\.0\.2\.50:5060\s+200 12 ms, 3 s ago\s+0$/m);
  });
});

describe('GET /api/v1/dna', () => {
  it('analyses an outbound call the way strowger dna does', async () => {
    const { status, body } = await get('/dna?calling=201&dialed=95125551234');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      outcome: 'routed',
      called: '5125551234',
      calling: '5123781291',
      route: { kind: 'dial-peer', tag: 3 },
      destination: { kind: 'trunk', name: 'sp' },
    });
    expect((body.translations as unknown[]).length).toBeGreaterThan(0);
  });

  it('analyses a call arriving on the trunk (DID to the auto attendant pilot)', async () => {
    const { status, body } = await get('/dna?calling=5125550000&dialed=5123781291&fromTrunk=sp');
    expect(status).toBe(200);
    expect(body.outcome).toBe('routed');
    expect(body.called).toBe('601');
  });

  it('answers 400 with the reason for an unknown caller or a missing parameter', async () => {
    const unknown = await get('/dna?calling=999&dialed=201');
    expect(unknown.status).toBe(400);
    expect(String(unknown.body.message)).toMatch(/999/);
    const missing = await get('/dna?calling=201');
    expect(missing.status).toBe(400);
  });
});
