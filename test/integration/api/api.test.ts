import { Ajv2020 } from 'ajv/dist/2020.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiConfigurationError, createApiServer } from '../../../src/api/index.js';
import type { Store } from '../../../src/store/index.js';
import {
  FakeEventSource,
  fakeMetrics,
  fakeViews,
  openDemoStore,
  type RunningApi,
  startApi,
  TOKEN,
} from './api-fixture.js';

let store: Store;
let dispose: () => Promise<void>;
let api: RunningApi;
const events = new FakeEventSource();
const reloaded: number[] = [];

beforeAll(async () => {
  ({ store, dispose } = await openDemoStore());
  api = await startApi({
    store,
    token: TOKEN,
    events,
    onConfigChanged: (version) => void reloaded.push(version),
  });
});
afterAll(async () => {
  await api?.server.close();
  await dispose?.();
});

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
  body: any;
  headers: Headers;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  token: string | null = TOKEN,
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    body: type.includes('json') ? JSON.parse(text) : text,
    headers: response.headers,
  };
}

describe('configuration CRUD', () => {
  const cases = [
    {
      collection: '/partitions',
      item: '/partitions/lobby',
      create: { name: 'lobby', description: 'Lobby phones' },
      stored: { name: 'lobby', description: 'Lobby phones' },
      update: { name: 'lobby', description: 'Lobby and hall' },
      changed: { description: 'Lobby and hall' },
    },
    {
      collection: '/calling-search-spaces',
      item: '/calling-search-spaces/lobby-css',
      create: { name: 'lobby-css', partitions: ['internal'] },
      stored: { name: 'lobby-css', description: '', partitions: ['internal'] },
      update: { name: 'lobby-css', description: 'Lobby', partitions: ['internal'] },
      changed: { description: 'Lobby' },
    },
    {
      collection: '/device-pools',
      item: '/device-pools/geneva',
      create: { name: 'geneva', callManagerGroup: ['10.0.0.1'], toneRegion: 'itu' },
      stored: { name: 'geneva', description: '', callManagerGroup: ['10.0.0.1'], toneRegion: 'itu' },
      update: { name: 'geneva', description: 'Geneva office', locale: 'French_France', toneRegion: 'itu' },
      changed: { description: 'Geneva office', callManagerGroup: [], locale: 'French_France' },
    },
    {
      collection: '/users',
      item: '/users/jsmith',
      create: { userid: 'jsmith' },
      stored: { userid: 'jsmith', name: '' },
      update: { userid: 'jsmith', name: 'John Smith' },
      changed: { name: 'John Smith' },
    },
    {
      collection: '/lines',
      item: '/lines/internal/205',
      create: { dn: '205', partition: 'internal', displayName: 'Lobby', forward: { busy: '201' } },
      stored: {
        dn: '205',
        partition: 'internal',
        displayName: 'Lobby',
        description: '',
        forward: { busy: '201' },
        mwi: true,
      },
      update: { dn: '205', partition: 'internal', displayName: 'Lobby', mwi: false, voicemail: '600' },
      changed: { mwi: false, voicemail: '600', forward: undefined },
    },
    {
      collection: '/phones',
      item: '/phones/SEP0008A37128E9',
      create: {
        name: 'SEP0008A37128E9',
        model: 'Cisco 7960',
        devicePool: 'default',
        sip: { username: '205', password: 'secret-205' },
        lines: [{ dn: '203' }],
      },
      stored: {
        name: 'SEP0008A37128E9',
        model: 'Cisco 7960',
        protocol: 'sip',
        description: '',
        devicePool: 'default',
        sip: { username: '205' },
        lines: [{ button: 1, dn: '203', partition: 'internal' }],
      },
      update: {
        name: 'SEP0008A37128E9',
        model: 'Cisco 7960',
        description: 'Lobby',
        sip: { username: '205' },
        lines: [{ dn: '203' }, { dn: '204', label: 'Hall' }],
      },
      changed: {
        description: 'Lobby',
        devicePool: undefined,
        lines: [
          { button: 1, dn: '203', partition: 'internal' },
          { button: 2, dn: '204', partition: 'internal', label: 'Hall' },
        ],
      },
    },
  ];

  it.each(cases)('$collection: create, read, update, list, delete', async (c) => {
    const created = await call('POST', `/api/v1${c.collection}`, c.create);
    expect(created.status).toBe(201);
    expect(created.body.object).toEqual(c.stored);
    expect(created.body.changes).toHaveLength(1);
    expect(created.body.changes[0].action).toBe('+');
    expect(created.headers.get('location')).toBe(`/api/v1${c.item}`);
    const createdVersion = created.body.version;
    expect(reloaded.at(-1)).toBe(createdVersion);

    expect((await call('GET', `/api/v1${c.item}`)).body).toEqual(c.stored);
    expect((await call('POST', `/api/v1${c.collection}`, c.create)).status).toBe(409);

    const updated = await call('PUT', `/api/v1${c.item}`, c.update);
    expect(updated.status).toBe(200);
    const expected = JSON.parse(JSON.stringify({ ...c.stored, ...c.changed }));
    expect(updated.body.object).toEqual(expected);
    expect(updated.body.version).toBe(createdVersion + 1);
    expect(updated.body.changes.map((change: { action: string }) => change.action)).toEqual(['~']);

    const again = await call('PUT', `/api/v1${c.item}`, c.update);
    expect(again.body).toMatchObject({ version: createdVersion + 1, changes: [] });

    const list = await call('GET', `/api/v1${c.collection}`);
    expect(list.status).toBe(200);
    expect(list.body).toContainEqual(expected);

    const removed = await call('DELETE', `/api/v1${c.item}`);
    expect(removed.status).toBe(200);
    expect(removed.body.changes).toEqual([expect.objectContaining({ action: '-' })]);
    expect((await call('GET', `/api/v1${c.item}`)).status).toBe(404);
    expect((await call('DELETE', `/api/v1${c.item}`)).status).toBe(404);
    expect((await call('PUT', `/api/v1${c.item}`, c.update)).status).toBe(404);
  });

  it('never shows a SIP password, and keeps it when an update leaves it out', async () => {
    const phones = await call('GET', '/api/v1/phones');
    expect(JSON.stringify(phones.body)).not.toContain('demo-20');
    const update = {
      name: 'phone-203',
      model: 'SIP phone',
      devicePool: 'default',
      callingSearchSpace: 'internal-css',
      sip: { username: '203' },
      lines: [{ dn: '203' }],
      description: 'Hall',
    };
    expect((await call('PUT', '/api/v1/phones/phone-203', update)).status).toBe(200);
    const rows = await store.configuration.readAll();
    expect(rows.devices.find((d) => d.name === 'phone-203')?.sipPassword).toBe('demo-203');
  });

  it('reports an invalid object with 400, the reason and the path inside the object', async () => {
    const bad = await call('POST', '/api/v1/lines', { dn: '20x', partition: 'internal' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'Bad Request', details: [{ path: 'dn' }] });
    expect(bad.body.details[0].message).toContain('directory number');

    const name = await call('POST', '/api/v1/phones', { name: 'SEP1234', model: 'x' });
    expect(name.status).toBe(400);
    expect(name.body.details).toEqual([{ path: 'name', message: expect.stringContaining('MAC address') }]);

    const references = await call('POST', '/api/v1/phones', {
      name: 'lobby',
      model: 'x',
      devicePool: 'nowhere',
      lines: [{ dn: '999' }],
    });
    expect(references.status).toBe(400);
    expect(references.body.details).toEqual([
      { path: '', message: 'device pool nowhere is not defined' },
      { path: 'lines[0]', message: 'line 999 is not defined' },
    ]);

    const typed = await call('POST', '/api/v1/users', { userid: 5, extra: true });
    expect(typed.status).toBe(400);
    expect(typed.body.details).toEqual(
      expect.arrayContaining([
        { path: 'userid', message: expect.any(String) },
        { path: '', message: 'unknown key ["extra"]' },
      ]),
    );

    const renamed = await call('PUT', '/api/v1/partitions/internal', { name: 'other' });
    expect(renamed.status).toBe(400);
    expect(renamed.body.message).toContain('cannot be renamed');
  });

  it('refuses to delete a partition that is still used, with 409 and who uses it', async () => {
    const before = await store.configuration.readAll();
    const refused = await call('DELETE', '/api/v1/partitions/internal');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('Conflict');
    expect(refused.body.message).toMatch(
      /^partition internal is still used by calling search space internal-css/,
    );
    expect(refused.body.details).toContainEqual({
      path: '',
      object: 'line 201 in internal',
      message: 'partition internal is not defined',
    });
    expect(await store.configuration.readAll()).toEqual(before);
  });

  it('applies concurrent changes one after the other, losing none', async () => {
    const names = ['room-1', 'room-2', 'room-3', 'room-4', 'room-5'];
    const created = await Promise.all(names.map((name) => call('POST', '/api/v1/partitions', { name })));
    expect(created.map((answer) => answer.status)).toEqual(names.map(() => 201));
    expect(new Set(created.map((answer) => answer.body.version)).size).toBe(names.length);
    const listed = (await call('GET', '/api/v1/partitions')).body.map((p: { name: string }) => p.name);
    expect(listed).toEqual(expect.arrayContaining(names));
    const removed = await Promise.all(names.map((name) => call('DELETE', `/api/v1/partitions/${name}`)));
    expect(removed.map((answer) => answer.status)).toEqual(names.map(() => 200));
  });

  it('refuses a tone region the node has no tones for, and a device pool phones still use', async () => {
    const refused = await call('POST', '/api/v1/device-pools', { name: 'tokyo', toneRegion: 'japan' });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/toneRegion/);
    const used = await call('DELETE', '/api/v1/device-pools/default');
    expect(used.status).toBe(409);
    expect((await call('GET', '/api/v1/device-pools/default')).status).toBe(200);
  });

  it('refuses a reference to an object that does not exist', async () => {
    const css = await call('POST', '/api/v1/calling-search-spaces', { name: 'x', partitions: ['ghost'] });
    expect(css.status).toBe(400);
    expect(css.body.details).toEqual([{ path: 'partitions[0]', message: 'partition ghost is not defined' }]);
  });
});

describe('runtime views', () => {
  it('serves registrations, calls and status from the views', async () => {
    expect((await call('GET', '/api/v1/registrations')).body).toEqual(fakeViews.registrations());
    expect((await call('GET', '/api/v1/calls')).body).toEqual(fakeViews.calls());
    const status = await call('GET', '/api/v1/status');
    expect(status.body).toMatchObject({ configVersion: 7, listeners: fakeViews.listeners() });
    expect(status.body.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });

  it('serves call detail records newest first, bounded by limit', async () => {
    const base = Date.UTC(2030, 0, 1);
    for (let i = 0; i < 3; i++) {
      await store.callRecords.insert({
        callId: `cdr-${i}`,
        calling: '201',
        called: '202',
        originalCalled: null,
        setupAt: new Date(base + i * 60_000),
        answerAt: new Date(base + i * 60_000 + 2000),
        endAt: new Date(base + i * 60_000 + 32_000),
        cause: 'normalClearing',
      });
    }
    const cdrs = await call('GET', '/api/v1/cdrs?limit=2');
    expect(cdrs.status).toBe(200);
    expect(cdrs.body.map((r: { callId: string }) => r.callId)).toEqual(['cdr-2', 'cdr-1']);
    expect(cdrs.body[0]).toMatchObject({
      duration: 30,
      endAt: new Date(base + 152_000).toISOString(),
      answerAt: expect.any(String),
    });
    expect((await call('GET', '/api/v1/cdrs?limit=0')).status).toBe(400);
    expect((await call('GET', '/api/v1/cdrs?limit=abc')).status).toBe(400);
  });
});

describe('admin token', () => {
  it('is required under /api/v1 (401 without, 401 with a wrong one)', async () => {
    const without = await call('GET', '/api/v1/phones', undefined, null);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(without.body).toMatchObject({ error: 'Unauthorized' });
    expect((await call('GET', '/api/v1/phones', undefined, 'wrong-token-0123456789')).status).toBe(401);
    expect((await call('DELETE', '/api/v1/partitions/internal', undefined, 'x')).status).toBe(401);
    expect((await call('GET', '/api/v1/phones')).status).toBe(200);
  });

  it('is not needed for /metrics and the OpenAPI document', async () => {
    expect((await call('GET', '/metrics', undefined, null)).status).toBe(200);
    expect((await call('GET', '/api/v1/openapi.json', undefined, null)).status).toBe(200);
  });

  it('without one, the API refuses to bind anywhere but loopback', async () => {
    const options = {
      store,
      views: fakeViews,
      events: new FakeEventSource(),
      metrics: fakeMetrics,
      port: 0,
      logger: pino({ level: 'silent' }),
    };
    for (const bind of ['0.0.0.0', '::', '192.0.2.1']) {
      await expect(createApiServer({ ...options, bind })).rejects.toThrow(ApiConfigurationError);
    }
    const open = await startApi({ store });
    try {
      const answer = await fetch(`${open.url}/api/v1/partitions`);
      expect(answer.status).toBe(200);
    } finally {
      await open.server.close();
    }
  });
});

describe('events WebSocket', () => {
  const connect = (url: string, headers: Record<string, string> = {}) =>
    new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.once('open', () => resolve(socket));
      socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`HTTP ${response.statusCode}`)),
      );
      socket.once('error', reject);
    });
  const nextMessage = (socket: WebSocket) =>
    new Promise<unknown>((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)))));

  it('delivers the events of the source as JSON, to clients with the token', async () => {
    const wsUrl = `${api.url.replace('http', 'ws')}/api/v1/events`;
    const byQuery = await connect(`${wsUrl}?token=${TOKEN}`);
    const byHeader = await connect(wsUrl, { authorization: `Bearer ${TOKEN}` });
    try {
      const event = { type: 'delivered', callId: 'call-9', alertingDevice: 'phone-202' };
      const received = Promise.all([nextMessage(byQuery), nextMessage(byHeader)]);
      events.emit(event);
      expect(await received).toEqual([event, event]);
    } finally {
      byQuery.close();
      byHeader.close();
    }
    await expect(connect(wsUrl)).rejects.toThrow('HTTP 401');
    expect((await call('GET', '/api/v1/events')).status).toBe(426);
    await expect(connect(`${wsUrl}?token=nope`)).rejects.toThrow('HTTP 401');
  });

  it('skips an event that is not JSON and goes on with the next', async () => {
    const socket = await connect(`${api.url.replace('http', 'ws')}/api/v1/events?token=${TOKEN}`);
    try {
      const received = nextMessage(socket);
      events.emit({ type: 'weird', value: 10n } as never);
      events.emit({ type: 'fine' });
      expect(await received).toEqual({ type: 'fine' });
    } finally {
      socket.close();
    }
  });
});

describe('/metrics', () => {
  it('exposes the sources in Prometheus text format, with Node.js metrics', async () => {
    const answer = await call('GET', '/metrics', undefined, null);
    expect(answer.headers.get('content-type')).toContain('text/plain');
    const text: string = answer.body;
    for (const line of [
      'strowger_registrations 4',
      'strowger_active_calls 2',
      'strowger_calls_ended_total{cause="normalClearing"} 9',
      'strowger_calls_ended_total{cause="busy"} 1',
      'strowger_sip_requests_total{direction="in",method="REGISTER"} 12',
      'strowger_sip_requests_total{direction="out",method="INVITE"} 3',
      'strowger_sip_requests_total{direction="in",method="other"} 2',
      'strowger_sip_responses_total{direction="out",method="REGISTER",status="401"} 6',
      'strowger_sip_transactions{kind="invite_client"} 1',
      'strowger_sip_transactions{kind="non_invite_server"} 4',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
    expect(text).toContain('# TYPE strowger_calls_ended_total counter');
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    // A second scrape reports the same totals, not their double.
    const again: string = (await call('GET', '/metrics', undefined, null)).body;
    expect(again.split('\n')).toContain('strowger_calls_ended_total{cause="normalClearing"} 9');
  });
});

describe('hostile input', () => {
  it('answers malformed JSON with 400 and a JSON reason', async () => {
    const answer = await call('POST', '/api/v1/partitions', '{"name": ');
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'Bad Request', message: expect.any(String) });
    expect(JSON.stringify(answer.body)).not.toMatch(/at .*\.js/);
  });

  it('answers an unknown route with 404', async () => {
    const answer = await call('GET', '/api/v1/nothing-here');
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: 'Not Found' });
  });

  it('keeps serving after a run of hostile requests', async () => {
    const hostile: [string, string, unknown][] = [
      ['POST', '/api/v1/partitions', '{"__proto__": {"admin": true}, "name": "p"}'],
      ['POST', '/api/v1/partitions', '[]'],
      ['POST', '/api/v1/partitions', 'null'],
      ['POST', '/api/v1/partitions', '"name"'],
      ['POST', '/api/v1/partitions', `{"name": "${'a'.repeat(2 * 1024 * 1024)}"}`],
      [
        'POST',
        '/api/v1/phones',
        `{"name": "p", "model": "m", "lines": ${'['.repeat(5000)}${']'.repeat(5000)}}`,
      ],
      ['POST', '/api/v1/partitions', { name: 'a: b\n- c', description: '&anchor *alias' }],
      ['POST', '/api/v1/partitions', { name: 'x'.repeat(10_000) }],
      ['PUT', `/api/v1/phones/${'%00'.repeat(50)}`, { name: '\u0000', model: 'm' }],
      ['GET', `/api/v1/lines/${'%2F'.repeat(30)}/201`, undefined],
      ['GET', `/api/v1/phones/${'x'.repeat(5000)}`, undefined],
      ['DELETE', '/api/v1/lines/internal', undefined],
      ['GET', '/api/v1/cdrs?limit=1e309', undefined],
      ['GET', '/api/v1/cdrs?limit=5&limit=6', undefined],
    ];
    for (const [method, path, body] of hostile) {
      const answer = await call(method, path, body);
      expect(answer.status, `${method} ${path.slice(0, 60)}`).toBeGreaterThanOrEqual(400);
      expect(answer.status, `${method} ${path.slice(0, 60)}`).toBeLessThan(500);
      expect(answer.body, `${method} ${path.slice(0, 60)}`).toMatchObject({
        error: expect.any(String),
        message: expect.any(String),
      });
    }
    const raw = await fetch(`${api.url}/api/v1/partitions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' },
      body: 'name=p',
    });
    expect(raw.status).toBe(400);
    expect({} as Record<string, unknown>).not.toHaveProperty('admin');
    expect((await call('GET', '/api/v1/partitions')).body).toEqual([
      { name: 'internal', description: 'Internal extensions' },
    ]);
  });
});

interface MediaTypes {
  readonly 'application/json'?: { readonly schema: object };
}

/** The parts of an OpenAPI 3.1 Operation Object the checks read. */
interface Operation {
  readonly responses: Record<string, { readonly description: string; readonly content?: MediaTypes }>;
  readonly parameters?: readonly { readonly in: string; readonly name: string; readonly schema: object }[];
  readonly requestBody?: { readonly content?: MediaTypes };
}

describe('OpenAPI document', () => {
  const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

  it('is OpenAPI 3 and lists every route with its parameters, bodies and answers', async () => {
    const answer = await call('GET', '/api/v1/openapi.json', undefined, null);
    expect(answer.status).toBe(200);
    const document = answer.body;
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(document.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(document.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });

    const operations = Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(
      ([path, item]) =>
        Object.entries(item)
          .filter(([method]) => methods.includes(method))
          .map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, operation })),
    );
    const crud = (collection: string, item: string) => [
      `GET /api/v1/${collection}`,
      `POST /api/v1/${collection}`,
      `GET /api/v1/${collection}/${item}`,
      `PUT /api/v1/${collection}/${item}`,
      `DELETE /api/v1/${collection}/${item}`,
    ];
    expect(operations.map((o) => o.key).sort()).toEqual(
      [
        ...crud('partitions', '{name}'),
        ...crud('calling-search-spaces', '{name}'),
        ...crud('device-pools', '{name}'),
        ...crud('users', '{userid}'),
        ...crud('lines', '{partition}/{dn}'),
        ...crud('phones', '{name}'),
        'GET /api/v1/registrations',
        'GET /api/v1/trunks',
        'GET /api/v1/dna',
        'GET /api/v1/calls',
        'GET /api/v1/cdrs',
        'GET /api/v1/status',
        'GET /api/v1/media',
        'GET /api/v1/events',
        'GET /api/v1/conferences',
        'POST /api/v1/conferences',
        'GET /api/v1/conferences/{id}',
        'DELETE /api/v1/conferences/{id}',
        'POST /api/v1/conferences/{id}/participants',
        'DELETE /api/v1/conferences/{id}/participants/{connectionId}',
        'GET /api/v1/recordings',
        'POST /api/v1/recordings',
        'DELETE /api/v1/recordings/{id}',
        'GET /api/v1/recordings/files/{name}',
        'GET /metrics',
      ].sort(),
    );

    // Every schema in the document is a valid JSON Schema (2020-12, the dialect of OpenAPI 3.1).
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const schemas: unknown[] = [];
    for (const { key, operation } of operations) {
      expect(operation.responses, key).toBeTypeOf('object');
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(status, key).toMatch(/^[1-5]\d\d$/);
        expect(response.description, key).toBeTypeOf('string');
        const schema = response.content?.['application/json']?.schema;
        if (schema) schemas.push(schema);
      }
      for (const parameter of operation.parameters ?? []) {
        expect(['path', 'query'], key).toContain(parameter.in);
        if (parameter.in === 'path') expect(key).toContain(`{${parameter.name}}`);
        schemas.push(parameter.schema);
      }
      const body = operation.requestBody?.content?.['application/json']?.schema;
      if (key.startsWith('POST') || key.startsWith('PUT')) expect(body, key).toBeDefined();
      if (body) schemas.push(body);
    }
    for (const schema of schemas) expect(() => ajv.compile(schema as object)).not.toThrow();
    expect(JSON.stringify(document)).not.toContain('"$ref"');

    const cdrs = operations.find((o) => o.key === 'GET /api/v1/cdrs')!.operation;
    expect(cdrs.parameters).toContainEqual(expect.objectContaining({ in: 'query', name: 'limit' }));
    const phoneWrite = operations.find((o) => o.key === 'PUT /api/v1/phones/{name}')!.operation;
    expect(Object.keys(phoneWrite.responses).sort()).toEqual(['200', '400', '401', '404', '409']);
    expect(document.security).toEqual([{ bearer: [] }]);
  });

  it('describes what the routes answer: a response matches its schema', async () => {
    const document = (await call('GET', '/api/v1/openapi.json', undefined, null)).body;
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    for (const [path, route] of [
      ['/api/v1/phones', '/api/v1/phones'],
      ['/api/v1/phones/phone-201', '/api/v1/phones/{name}'],
      ['/api/v1/device-pools', '/api/v1/device-pools'],
      ['/api/v1/lines/internal/201', '/api/v1/lines/{partition}/{dn}'],
      ['/api/v1/registrations', '/api/v1/registrations'],
      ['/api/v1/calls', '/api/v1/calls'],
      ['/api/v1/status', '/api/v1/status'],
      ['/api/v1/nothing', '/api/v1/phones/{name}'],
    ] as const) {
      const answer = await call('GET', path);
      const schema =
        document.paths[route].get.responses[String(answer.status)].content['application/json'].schema;
      const validate = ajv.compile(schema);
      expect(validate(answer.body), `${path}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});
