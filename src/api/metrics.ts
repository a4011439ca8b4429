/**
 * `/metrics` in the Prometheus text format: the node's own figures, read from the sources at
 * scrape time, and prom-client's default Node.js metrics (event-loop lag among them).
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { MediaFigures, MetricsSources } from './sources.js';

/**
 * RFC 3261 §27.4 and the extensions' methods. Others are counted as `other`, so that a peer
 * inventing methods cannot grow the number of series without bound.
 */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'ACK',
  'BYE',
  'CANCEL',
  'INFO',
  'INVITE',
  'MESSAGE',
  'NOTIFY',
  'OPTIONS',
  'PRACK',
  'PUBLISH',
  'REFER',
  'REGISTER',
  'SUBSCRIBE',
  'UPDATE',
]);

const methodLabel = (method: string) => (KNOWN_METHODS.has(method) ? method : 'other');
/** Counts from the sources are cumulative; anything else would make prom-client throw mid-scrape. */
const isCount = (value: number) => Number.isFinite(value) && value >= 0;
const statusLabel = (status: number) =>
  Number.isInteger(status) && status >= 100 && status <= 699 ? String(status) : 'other';

export function createMetricsRegistry(sources: MetricsSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'strowger_registrations',
    help: 'Live registration bindings',
    registers: [registry],
    collect() {
      this.set(sources.registrationCount());
    },
  });
  new Gauge({
    name: 'strowger_active_calls',
    help: 'Calls in progress',
    registers: [registry],
    collect() {
      this.set(sources.activeCalls());
    },
  });
  const conferences = sources.conferences?.bind(sources);
  if (conferences) {
    new Gauge({
      name: 'strowger_conferences',
      help: 'Conference rooms running',
      registers: [registry],
      collect() {
        this.set(conferences().rooms);
      },
    });
    new Gauge({
      name: 'strowger_conference_participants',
      help: 'Participants in conference rooms',
      registers: [registry],
      collect() {
        this.set(conferences().participants);
      },
    });
  }
  const recordings = sources.recordings?.bind(sources);
  if (recordings) {
    new Gauge({
      name: 'strowger_recordings',
      help: 'Call recordings in progress',
      registers: [registry],
      collect() {
        this.set(recordings());
      },
    });
  }
  const media = sources.media?.bind(sources);
  if (media) registerMediaGauges(registry, media);
  new Counter({
    name: 'strowger_calls_ended_total',
    help: 'Calls ended, by end cause (ECMA-269 cause)',
    labelNames: ['cause'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [cause, count] of Object.entries(sources.callsByCause())) {
        if (isCount(count)) this.inc({ cause }, count);
      }
    },
  });
  new Counter({
    name: 'strowger_sip_requests_total',
    help: 'SIP requests received (in) and sent (out), by method',
    labelNames: ['direction', 'method'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { direction, method, count } of sources.sipStats().requests) {
        if (isCount(count)) this.inc({ direction, method: methodLabel(method) }, count);
      }
    },
  });
  new Counter({
    name: 'strowger_sip_responses_total',
    help: 'SIP responses received (in) and sent (out), by method of the request and status code',
    labelNames: ['direction', 'method', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { direction, method, status, count } of sources.sipStats().responses) {
        if (isCount(count))
          this.inc({ direction, method: methodLabel(method), status: statusLabel(status) }, count);
      }
    },
  });
  new Gauge({
    name: 'strowger_sip_transactions',
    help: 'SIP transactions alive (RFC 3261 §17), by kind',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const stats = sources.transactionStats();
      this.set({ kind: 'invite_client' }, stats.inviteClient);
      this.set({ kind: 'non_invite_client' }, stats.nonInviteClient);
      this.set({ kind: 'invite_server' }, stats.inviteServer);
      this.set({ kind: 'non_invite_server' }, stats.nonInviteServer);
    },
  });
  return registry;
}

/**
 * The RTP engine's gauges. prom-client collects every metric of a scrape at once, so the three
 * share one read of the engine: a worker's utilisation is measured since the previous read, and
 * separate reads would each see only the moments since the other's. No gauge is per endpoint:
 * endpoints come and go with calls, and a series each would grow without bound.
 */
function registerMediaGauges(registry: Registry, read: () => Promise<MediaFigures>): void {
  let reading: Promise<MediaFigures | undefined> | undefined;
  const figures = () => {
    reading ??= read()
      // An engine that cannot be read (a worker gone, the node stopping) fails its gauges, not the scrape.
      .catch(() => undefined)
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  new Gauge({
    name: 'strowger_rtp_ports',
    help: 'RTP/RTCP port pairs of the media port range, by state (used, available)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      const read = await figures();
      if (!read) return;
      this.set({ state: 'used' }, read.ports.used);
      this.set({ state: 'available' }, read.ports.available);
    },
  });
  new Gauge({
    name: 'strowger_rtp_streams',
    help: 'RTP endpoints allocated (call legs, announcements, conference participants)',
    registers: [registry],
    async collect() {
      this.set((await figures())?.endpoints.length ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'strowger_rtp_worker_utilization',
    help: 'Share of time each RTP worker thread was busy since the previous scrape (0-1)',
    labelNames: ['worker'],
    registers: [registry],
    async collect() {
      this.reset();
      const read = await figures();
      if (!read) return;
      for (const [worker, utilization] of read.workerUtilization.entries())
        if (utilization !== null && Number.isFinite(utilization))
          this.set({ worker: String(worker) }, utilization);
    },
  });
}
