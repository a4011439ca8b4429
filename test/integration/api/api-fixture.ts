import { readFileSync } from 'node:fs';
import pino from 'pino';
import {
  type ConfigSnapshot,
  snapshotOfConfiguration,
  validateConfigText,
} from '../../../src/admin/index.js';
import {
  type ApiServer,
  type ApiServerOptions,
  createApiServer,
  type EventSource,
  type MetricsSources,
  type RuntimeViews,
  type ServerEvent,
} from '../../../src/api/index.js';
import { callView, registrationView } from '../../helpers/runtime-views.js';

export { openDemoStore } from '../../helpers/demo-store.js';

/** An event source the test pushes events into. */
export class FakeEventSource implements EventSource {
  private readonly listeners = new Set<(event: ServerEvent) => void>();
  on(listener: (event: ServerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: ServerEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** The seed's CME system (examples/cme-sip-trunk.yaml) as a running node would hold it. */
function cmeSnapshot(): ConfigSnapshot {
  const text = readFileSync(new URL('../../../examples/cme-sip-trunk.yaml', import.meta.url), 'utf8');
  const validated = validateConfigText(text, 'cme-sip-trunk.yaml');
  if (!validated.ok) throw new Error('examples/cme-sip-trunk.yaml does not validate');
  return snapshotOfConfiguration(validated.file.configuration);
}
const cme = cmeSnapshot();

export const fakeViews: RuntimeViews = {
  snapshot: () => cme,
  trunks: () => [
    {
      name: 'sp',
      state: 'in-service',
      target: { protocol: 'UDP', address: '192.0.2.50', port: 5060 },
      targets: [{ protocol: 'UDP', address: '192.0.2.50', port: 5060 }],
      consecutiveFailures: 0,
      lastOptions: {
        target: { protocol: 'UDP', address: '192.0.2.50', port: 5060 },
        status: 200,
        reason: 'OK',
        rttMs: 12,
        secondsAgo: 3,
      },
      numbers: [
        {
          number: '5123788000',
          register: true,
          state: 'registered',
          status: undefined,
          reason: undefined,
          expiresIn: 3412,
          retryIn: undefined,
          registrar: 'sip:sp.example.net',
        },
        {
          number: '5123781291',
          register: false,
          state: 'none',
          status: undefined,
          reason: undefined,
          expiresIn: undefined,
          retryIn: undefined,
          registrar: undefined,
        },
      ],
    },
  ],
  registrations: () => [registrationView()],
  calls: () => [callView()],
  configVersion: () => 7,
  listeners: () => [{ protocol: 'UDP', address: '127.0.0.1', port: 5060 }],
};

export const fakeMetrics: MetricsSources = {
  sipStats: () => ({
    requests: [
      { direction: 'in', method: 'REGISTER', count: 12 },
      { direction: 'out', method: 'INVITE', count: 3 },
      { direction: 'in', method: 'XYZZY', count: 2 },
    ],
    responses: [{ direction: 'out', method: 'REGISTER', status: 401, count: 6 }],
  }),
  transactionStats: () => ({ inviteClient: 1, nonInviteClient: 2, inviteServer: 3, nonInviteServer: 4 }),
  registrationCount: () => 4,
  activeCalls: () => 2,
  callsByCause: () => ({ normalClearing: 9, busy: 1 }),
};

export const TOKEN = 'test-admin-token-0123456789';

export interface RunningApi {
  readonly server: ApiServer;
  readonly url: string;
}

export async function startApi(
  options: Partial<ApiServerOptions> & Pick<ApiServerOptions, 'store'>,
): Promise<RunningApi> {
  const server = await createApiServer({
    views: fakeViews,
    events: new FakeEventSource(),
    metrics: fakeMetrics,
    bind: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    ...options,
  });
  const { port } = await server.listen();
  return { server, url: `http://127.0.0.1:${port}` };
}
