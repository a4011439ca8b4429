/**
 * `GET /api/v1/media` and the `strowger_rtp_*` gauges over HTTP with a media source the test
 * controls: a node that does not anchor media, a list longer than any answer, who each endpoint
 * serves, an engine that cannot be read, and one engine read per scrape.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  MediaEndpointFigures,
  MediaEndpointOwner,
  MediaFigures,
  MediaSource,
  MetricsSources,
} from '../../../src/api/index.js';
import type { Store } from '../../../src/store/index.js';
import { fakeMetrics, openDemoStore, type RunningApi, startApi, TOKEN } from './api-fixture.js';

let store: Store;
let dispose: () => Promise<void>;
const running: RunningApi[] = [];

beforeAll(async () => {
  const opened = await openDemoStore();
  store = opened.store;
  dispose = opened.dispose;
});
afterAll(async () => {
  await Promise.all(running.map((api) => api.server.close()));
  await dispose?.();
});

async function start(media: MediaSource | undefined, metrics: MetricsSources = fakeMetrics): Promise<string> {
  const api = await startApi({ store, metrics, ...(media ? { media } : {}) });
  running.push(api);
  return api.url;
}

function endpoint(index: number): MediaEndpointFigures {
  return {
    endpointId: `e${index}`,
    packetsReceived: index * 10,
    packetsSent: index * 10 + 1,
    packetsLost: index % 3,
    jitterMs: index / 4,
    malformed: 0,
    foreignSource: 0,
    unroutable: 0,
  };
}

const owners = new Map<string, MediaEndpointOwner>([
  ['e0', { kind: 'call', callId: '7', legId: '7.1', conferenceId: null }],
  ['e1', { kind: 'call', callId: '7', legId: null, conferenceId: null }],
  ['e2', { kind: 'announcement', callId: null, legId: null, conferenceId: null }],
  ['e3', { kind: 'conference', callId: '9', legId: '9.2', conferenceId: '4' }],
  ['e4', { kind: 'conference', callId: null, legId: null, conferenceId: '4' }],
]);

function figures(endpoints: number): MediaFigures {
  return {
    workers: 2,
    workerUtilization: [0.25, null],
    ports: { capacity: 20_000, used: endpoints, available: 20_000 - endpoints },
    conferences: 1,
    endpoints: Array.from({ length: endpoints }, (_, index) => endpoint(index)),
  };
}

/**
 * Endpoint e0 is a call's answered leg, e1 an offer not answered yet, e2 an announcement, e3 a
 * conference participant's, e4 one the bridge's call out has no connection for yet.
 */
function source(engine: () => Promise<MediaFigures>): MediaSource & { reads: number } {
  const counted = {
    reads: 0,
    stats: () => {
      counted.reads++;
      return engine();
    },
    ownerOf: (id: string) => owners.get(id) ?? null,
  };
  return counted;
}

async function getJson<T>(url: string, status = 200): Promise<T> {
  const response = await fetch(url);
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

interface Answer {
  readonly anchored: boolean;
  readonly totalStreams: number;
  readonly streams: readonly { readonly endpointId: string }[];
}

describe('GET /api/v1/media', () => {
  it('answers anchored: false with zeros on a node that does not anchor media, and exports no RTP gauge', async () => {
    const url = await start(undefined);
    expect(await getJson(`${url}/api/v1/media`)).toEqual({
      anchored: false,
      workers: 0,
      ports: { capacity: 0, used: 0, available: 0 },
      conferences: 0,
      workerUtilization: [],
      totalStreams: 0,
      streams: [],
    });
    // The limit is checked whether or not media is anchored.
    await getJson(`${url}/api/v1/media?limit=0`, 400);
    expect(await (await fetch(`${url}/metrics`)).text()).not.toContain('strowger_rtp_');
  });

  it('lists at most the limit, says how many there are, and names who each stream serves', async () => {
    const media = source(async () => figures(10_005));
    const url = await start(media);
    const all = await getJson<Answer>(`${url}/api/v1/media`);
    expect(all.totalStreams).toBe(10_005);
    expect(all.streams).toHaveLength(1000);
    expect((await getJson<Answer>(`${url}/api/v1/media?limit=10000`)).streams).toHaveLength(10_000);
    const firstSix = await getJson<Record<string, unknown>>(`${url}/api/v1/media?limit=6`);
    expect(firstSix).toEqual({
      anchored: true,
      workers: 2,
      ports: { capacity: 20_000, used: 10_005, available: 9995 },
      conferences: 1,
      workerUtilization: [0.25, null],
      totalStreams: 10_005,
      streams: [
        { ...endpoint(0), kind: 'call', callId: '7', connectionId: '7.1', conferenceId: null },
        { ...endpoint(1), kind: 'call', callId: '7', connectionId: null, conferenceId: null },
        { ...endpoint(2), kind: 'announcement', callId: null, connectionId: null, conferenceId: null },
        { ...endpoint(3), kind: 'conference', callId: '9', connectionId: '9.2', conferenceId: '4' },
        { ...endpoint(4), kind: 'conference', callId: null, connectionId: null, conferenceId: '4' },
        { ...endpoint(5), kind: 'other', callId: null, connectionId: null, conferenceId: null },
      ],
    });
    for (const limit of ['0', '10001', 'x', '']) {
      const refused = await getJson<{ message: string }>(`${url}/api/v1/media?limit=${limit}`, 400);
      expect(refused.message, limit).toMatch(/^querystring limit: /);
    }
    const unknown = await getJson<{ message: string }>(`${url}/api/v1/media?all=1`, 400);
    expect(unknown.message).toBe('querystring: unknown key ["all"]');
  });

  it('answers 503 when the engine cannot be read, and the scrape goes on without RTP figures', async () => {
    const media = source(() => Promise.reject(new Error('worker 0 exited')));
    const url = await start(media, { ...fakeMetrics, media: () => media.stats() });
    const refused = await getJson<{ message: string }>(`${url}/api/v1/media`, 503);
    expect(refused.message).toBe('the RTP engine did not answer');
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^strowger_active_calls 2$/m);
    expect(text).toMatch(/^strowger_rtp_streams nan$/im);
    expect(text).not.toMatch(/^strowger_rtp_ports\{/m);
    expect(text).not.toMatch(/^strowger_rtp_worker_utilization\{/m);
  });

  it('asks for the admin token like the other runtime routes, and answers as its OpenAPI schema says', async () => {
    const api = await startApi({ store, token: TOKEN, media: source(async () => figures(6)) });
    running.push(api);
    expect((await fetch(`${api.url}/api/v1/media`)).status).toBe(401);
    const authorization = { authorization: `Bearer ${TOKEN}` };
    const allowed = await fetch(`${api.url}/api/v1/media`, { headers: authorization });
    expect(allowed.status).toBe(200);
    const openapi = await getJson<{
      paths: Record<
        string,
        { get: { responses: Record<string, { content: Record<string, { schema: object }> }> } }
      >;
    }>(`${api.url}/api/v1/openapi.json`);
    const responses = openapi.paths['/api/v1/media']?.get.responses;
    expect(Object.keys(responses ?? {}).sort()).toEqual(['200', '400', '401', '503']);
    const schema = (status: number) => responses?.[String(status)]?.content['application/json']?.schema ?? {};
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const anchored = ajv.compile(schema(200));
    expect(anchored(await allowed.json()), JSON.stringify(anchored.errors)).toBe(true);
    const off = await start(undefined);
    expect(anchored(await getJson(`${off}/api/v1/media`)), JSON.stringify(anchored.errors)).toBe(true);
    const refused = await fetch(`${api.url}/api/v1/media?limit=0`, { headers: authorization });
    expect(ajv.validate(schema(400), await refused.json())).toBe(true);
  });
});

describe('strowger_rtp_* gauges', () => {
  it('reports ports by state, streams and each worker’s utilisation from one engine read per scrape', async () => {
    const media = source(async () => figures(6));
    const url = await start(undefined, { ...fakeMetrics, media: () => media.stats() });
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(media.reads).toBe(1);
    expect(text).toMatch(/^strowger_rtp_ports\{state="used"\} 6$/m);
    expect(text).toMatch(/^strowger_rtp_ports\{state="available"\} 19994$/m);
    expect(text).toMatch(/^strowger_rtp_streams 6$/m);
    expect(text).toMatch(/^strowger_rtp_worker_utilization\{worker="0"\} 0.25$/m);
    // A worker whose utilisation is not known has no sample rather than a made-up one.
    expect(text).not.toContain('worker="1"');
    // Nothing is labelled per endpoint.
    expect(text).not.toMatch(/^strowger_rtp_\w+\{[^}]*endpoint/m);
    await fetch(`${url}/metrics`);
    expect(media.reads).toBe(2);
  });
});
