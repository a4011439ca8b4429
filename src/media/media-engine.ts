/**
 * The media engine's controller, on the main thread. It hands out port pairs, places each
 * endpoint on one worker, and turns calls into requests to the owning workers. It knows which
 * endpoints are connected or in a conference, so releasing one tidies up the other side.
 */
import { availableParallelism } from 'node:os';
import { type Clock, systemClock } from './clock.js';
import { type PortPair, PortPool } from './port-pool.js';
import type { AllocateResult, WorkerStats } from './protocol.js';
import {
  type AllocateOptions,
  type DtmfDigit,
  type DtmfMethod,
  type Endpoint,
  type EndpointSettings,
  type EndpointStats,
  MediaError,
  type MediaEvent,
  type PlaySource,
  type RecordingSummary,
} from './types.js';
import { InlineWorkerLink, ThreadWorkerLink, type WorkerLink } from './worker-link.js';

export interface MediaLogger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface MediaEngineOptions {
  /** Address the endpoints bind to and announce. */
  address: string;
  /** Inclusive range for RTP/RTCP port pairs. */
  portRange: [number, number];
  /** Worker threads; default one per spare core, at least one. 0 runs the engine on this thread. */
  workers?: number;
  /** Clock of the engine when it runs on this thread (workers: 0); workers use their own. */
  clock?: Clock;
  logger?: MediaLogger;
  /** No RTP for this long raises a `timeout` event; 0 disables. Endpoints may override it. */
  mediaTimeoutMs: number;
  /** Conferences allowed at once (CME `max-conferences`). Default 12. */
  maxConferences?: number;
}

export interface ConnectOptions {
  /** Convert μ-law ⇄ A-law when the two legs share no G.711 law. Default true. */
  transcode?: boolean;
}

export interface ConferenceOptions {
  /** Gain applied to every participant's voice in the mix, in dB (CME `gain -6`). Default 0. */
  gainDb?: number;
}

export interface Conference {
  id: string;
}

export interface EngineStats {
  workers: number;
  /** Per worker, the share of time its event loop was busy since the previous stats() (null inline). */
  workerUtilization: Array<number | null>;
  /** Per worker, the CPU seconds its thread has used (Linux; null elsewhere). */
  workerCpuSeconds: Array<number | null>;
  ports: { capacity: number; used: number; available: number };
  conferences: number;
  endpoints: EndpointStats[];
}

interface EndpointRecord {
  endpoint: Endpoint;
  worker: WorkerLink;
  ports: PortPair;
  peer: string | null;
  conference: string | null;
}

interface ConferenceRecord {
  worker: WorkerLink;
  gainDb: number;
  members: Set<string>;
}

/** How many times a busy port pair (bound by another program) is skipped before giving up. */
const BIND_ATTEMPTS = 16;

export interface MediaEngine {
  allocate(options?: AllocateOptions): Promise<Endpoint>;
  /** New settings from the leg's SDP (answer, re-INVITE): remote address, codecs, timeout. */
  update(endpointId: string, settings: EndpointSettings): Promise<void>;
  /** Relays media both ways between two endpoints, ending any earlier connection of either. */
  connect(a: string, b: string, options?: ConnectOptions): Promise<void>;
  disconnect(endpointId: string): Promise<void>;
  play(endpointId: string, source: PlaySource): Promise<void>;
  stopPlay(endpointId: string): Promise<void>;
  /** Resolves once the digit has been sent. */
  sendDtmf(endpointId: string, digit: DtmfDigit, durationMs: number, method: DtmfMethod): Promise<void>;
  onEvent(listener: (event: MediaEvent) => void): () => void;
  createConference(options?: ConferenceOptions): Promise<Conference>;
  join(conferenceId: string, endpointId: string, options?: { gainDb?: number }): Promise<void>;
  leave(conferenceId: string, endpointId: string): Promise<void>;
  endConference(conferenceId: string): Promise<void>;
  record(endpointId: string, path: string): Promise<void>;
  stopRecord(endpointId: string): Promise<RecordingSummary>;
  release(endpointId: string): Promise<void>;
  stats(): Promise<EngineStats>;
  close(): Promise<void>;
}

export async function createMediaEngine(options: MediaEngineOptions): Promise<MediaEngine> {
  const engine = new Controller(options);
  await engine.start();
  return engine;
}

class Controller implements MediaEngine {
  private readonly pool: PortPool;
  private readonly workers: WorkerLink[] = [];
  private readonly endpoints = new Map<string, EndpointRecord>();
  private readonly conferences = new Map<string, ConferenceRecord>();
  private readonly listeners = new Set<(event: MediaEvent) => void>();
  private readonly maxConferences: number;
  private nextEndpoint = 1;
  private nextConference = 1;
  private closed = false;
  private threadsStarting: Promise<void> | undefined;

  constructor(private readonly options: MediaEngineOptions) {
    this.pool = new PortPool(options.portRange[0], options.portRange[1]);
    this.maxConferences = options.maxConferences ?? 12;
  }

  /**
   * The engine on this thread (workers: 0) starts at once. Worker threads start with the first
   * endpoint or conference instead: each costs 5–10 MB of resident memory and there is one per
   * spare core, which an idle node (no call yet) has no use for.
   */
  async start(): Promise<void> {
    if (this.workerCount() > 0) return;
    this.workers.push(
      new InlineWorkerLink({
        ...this.workerOptions(),
        index: 0,
        clock: this.options.clock ?? systemClock,
        onExit: () => undefined,
      }),
    );
  }

  private workerCount(): number {
    return this.options.workers ?? Math.max(1, availableParallelism() - 1);
  }

  private workerOptions() {
    return {
      address: this.options.address,
      mediaTimeoutMs: this.options.mediaTimeoutMs,
      onEvent: (event: MediaEvent) => this.emit(event),
    };
  }

  /** Resolves once the worker threads run; a failed start is tried again by the next call. */
  private threadsReady(): Promise<void> {
    if (this.workerCount() === 0) return Promise.resolve();
    this.threadsStarting ??= this.startThreads().catch((error: unknown) => {
      this.threadsStarting = undefined;
      throw error;
    });
    return this.threadsStarting;
  }

  private async startThreads(): Promise<void> {
    const threads: ThreadWorkerLink[] = [];
    for (let index = 0; index < this.workerCount(); index++) {
      threads.push(
        new ThreadWorkerLink({
          ...this.workerOptions(),
          index,
          onExit: (reason) => this.workerLost(index, reason),
        }),
      );
    }
    try {
      await Promise.all(threads.map((thread) => thread.ready));
    } catch (error) {
      await Promise.all(threads.map((thread) => thread.close()));
      throw error;
    }
    for (let a = 0; a < threads.length; a++) {
      for (let b = a + 1; b < threads.length; b++) ThreadWorkerLink.connectPeers(threads[a]!, threads[b]!);
    }
    this.workers.push(...threads);
  }

  onEvent(listener: (event: MediaEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: MediaEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.options.logger?.error({ err: error, event: event.type }, 'media event listener failed');
      }
    }
  }

  async allocate(options: AllocateOptions = {}): Promise<Endpoint> {
    this.assertOpen();
    await this.threadsReady();
    this.assertOpen();
    const worker = options.near ? this.endpointRecord(options.near).worker : this.leastLoadedWorker();
    for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
      const ports = this.pool.take();
      if (!ports) throw new MediaError('ports-exhausted', 'no free RTP port pair in the configured range');
      const id = `m${worker.index}-${this.nextEndpoint++}`;
      worker.endpoints.add(id);
      let result: AllocateResult;
      try {
        result = (await worker.request({
          op: 'allocate',
          endpointId: id,
          rtpPort: ports.rtp,
          rtcpPort: ports.rtcp,
          settings: { ...options, near: undefined },
        })) as AllocateResult;
      } catch (error) {
        worker.endpoints.delete(id);
        this.pool.give(ports);
        throw error;
      }
      if (result.bound) {
        const endpoint: Endpoint = {
          id,
          address: this.options.address,
          rtpPort: ports.rtp,
          rtcpPort: ports.rtcp,
        };
        this.endpoints.set(id, { endpoint, worker, ports, peer: null, conference: null });
        return endpoint;
      }
      worker.endpoints.delete(id);
      this.pool.give(ports);
      if (!result.portInUse) throw new MediaError('internal', result.message);
      this.options.logger?.warn({ port: ports.rtp }, 'RTP port pair in use by another program; skipped');
    }
    throw new MediaError(
      'ports-exhausted',
      `${BIND_ATTEMPTS} port pairs in a row were in use by other programs`,
    );
  }

  async update(endpointId: string, settings: EndpointSettings): Promise<void> {
    const record = this.endpointRecord(endpointId);
    await record.worker.request({ op: 'update', endpointId, settings });
  }

  async connect(a: string, b: string, options: ConnectOptions = {}): Promise<void> {
    if (a === b) throw new MediaError('bad-request', 'an endpoint cannot be connected to itself');
    const left = this.endpointRecord(a);
    const right = this.endpointRecord(b);
    await this.detach(left);
    await this.detach(right);
    const transcode = options.transcode ?? true;
    const peerWorker = (from: EndpointRecord, to: EndpointRecord) =>
      from.worker === to.worker ? null : to.worker.index;
    await Promise.all([
      left.worker.request({
        op: 'connect',
        endpointId: a,
        peerId: b,
        peerWorker: peerWorker(left, right),
        transcode,
      }),
      right.worker.request({
        op: 'connect',
        endpointId: b,
        peerId: a,
        peerWorker: peerWorker(right, left),
        transcode,
      }),
    ]);
    left.peer = b;
    right.peer = a;
  }

  async disconnect(endpointId: string): Promise<void> {
    const record = this.endpointRecord(endpointId);
    if (!record.peer) return;
    await this.detach(record);
  }

  /** Ends the endpoint's connection or conference membership, whichever it has. */
  private async detach(record: EndpointRecord): Promise<void> {
    const id = record.endpoint.id;
    if (record.peer) {
      const peer = this.endpoints.get(record.peer);
      record.peer = null;
      const requests = [record.worker.request({ op: 'disconnect', endpointId: id })];
      if (peer) {
        peer.peer = null;
        requests.push(peer.worker.request({ op: 'disconnect', endpointId: peer.endpoint.id }));
      }
      await Promise.all(requests);
    }
    if (record.conference) await this.leave(record.conference, id);
  }

  async play(endpointId: string, source: PlaySource): Promise<void> {
    await this.endpointRecord(endpointId).worker.request({ op: 'play', endpointId, source });
  }

  async stopPlay(endpointId: string): Promise<void> {
    await this.endpointRecord(endpointId).worker.request({ op: 'stop-play', endpointId });
  }

  async sendDtmf(
    endpointId: string,
    digit: DtmfDigit,
    durationMs: number,
    method: DtmfMethod,
  ): Promise<void> {
    await this.endpointRecord(endpointId).worker.request({
      op: 'send-dtmf',
      endpointId,
      digit,
      durationMs,
      method,
    });
  }

  async createConference(options: ConferenceOptions = {}): Promise<Conference> {
    this.assertOpen();
    await this.threadsReady();
    this.assertOpen();
    if (this.conferences.size >= this.maxConferences) {
      throw new MediaError(
        'conference-limit',
        `at most ${this.maxConferences} conferences at once (max-conferences)`,
      );
    }
    const gainDb = options.gainDb ?? 0;
    if (!Number.isFinite(gainDb) || gainDb < -60 || gainDb > 20) {
      throw new MediaError('bad-request', `conference gain ${gainDb} dB is outside -60…20`);
    }
    const id = `c${this.nextConference++}`;
    const worker = this.leastLoadedWorker();
    // Reserve the slot before awaiting so concurrent creations cannot exceed the limit.
    this.conferences.set(id, { worker, gainDb, members: new Set() });
    try {
      await worker.request({ op: 'create-conference', conferenceId: id });
    } catch (error) {
      this.conferences.delete(id);
      throw error;
    }
    return { id };
  }

  async join(conferenceId: string, endpointId: string, options: { gainDb?: number } = {}): Promise<void> {
    const conference = this.conference(conferenceId);
    const record = this.endpointRecord(endpointId);
    if (record.conference === conferenceId) return;
    await this.detach(record);
    const sameWorker = conference.worker === record.worker;
    await record.worker.request({
      op: 'attach-conference',
      endpointId,
      conferenceId,
      conferenceWorker: sameWorker ? null : conference.worker.index,
    });
    try {
      await conference.worker.request({
        op: 'conference-add',
        conferenceId,
        endpointId,
        endpointWorker: sameWorker ? null : record.worker.index,
        gainDb: options.gainDb ?? conference.gainDb,
      });
    } catch (error) {
      await record.worker.request({ op: 'detach-conference', endpointId });
      throw error;
    }
    record.conference = conferenceId;
    conference.members.add(endpointId);
  }

  async leave(conferenceId: string, endpointId: string): Promise<void> {
    const conference = this.conference(conferenceId);
    const record = this.endpointRecord(endpointId);
    if (record.conference !== conferenceId) return;
    record.conference = null;
    conference.members.delete(endpointId);
    await Promise.all([
      conference.worker.request({ op: 'conference-remove', conferenceId, endpointId }),
      record.worker.request({ op: 'detach-conference', endpointId }),
    ]);
  }

  async endConference(conferenceId: string): Promise<void> {
    const conference = this.conference(conferenceId);
    for (const member of [...conference.members]) await this.leave(conferenceId, member);
    this.conferences.delete(conferenceId);
    await conference.worker.request({ op: 'end-conference', conferenceId });
  }

  async record(endpointId: string, path: string): Promise<void> {
    await this.endpointRecord(endpointId).worker.request({ op: 'record', endpointId, path });
  }

  async stopRecord(endpointId: string): Promise<RecordingSummary> {
    return (await this.endpointRecord(endpointId).worker.request({
      op: 'stop-record',
      endpointId,
    })) as RecordingSummary;
  }

  async release(endpointId: string): Promise<void> {
    const record = this.endpointRecord(endpointId);
    await this.detach(record);
    this.endpoints.delete(endpointId);
    try {
      await record.worker.request({ op: 'release', endpointId });
    } finally {
      record.worker.endpoints.delete(endpointId);
      this.pool.give(record.ports);
    }
  }

  async stats(): Promise<EngineStats> {
    const perWorker = await Promise.all(
      this.workers.map((worker) => worker.request({ op: 'stats' }) as Promise<WorkerStats>),
    );
    return {
      workers: this.workers.length,
      workerUtilization: this.workers.map((worker) => worker.utilization()),
      workerCpuSeconds: perWorker.map((stats) => stats.cpuSeconds),
      ports: { capacity: this.pool.capacity, used: this.pool.used, available: this.pool.available },
      conferences: this.conferences.size,
      endpoints: perWorker.flatMap((stats) => stats.endpoints),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Threads still starting are closed with the others; a start that failed left none.
    await this.threadsStarting?.catch(() => undefined);
    for (const id of [...this.endpoints.keys()]) {
      await this.release(id).catch((error: unknown) =>
        this.options.logger?.warn({ err: error, endpointId: id }, 'endpoint release failed during close'),
      );
    }
    await Promise.all(this.workers.map((worker) => worker.close()));
  }

  /** A worker thread died: its sockets died with it, so its ports go back to the pool. */
  private workerLost(index: number, reason: string): void {
    const worker = this.workers.find((candidate) => candidate.index === index);
    if (!worker) return;
    this.workers.splice(this.workers.indexOf(worker), 1);
    const lost = [...worker.endpoints];
    for (const id of lost) {
      const record = this.endpoints.get(id);
      if (!record) continue;
      this.endpoints.delete(id);
      this.pool.give(record.ports);
      const peer = record.peer ? this.endpoints.get(record.peer) : undefined;
      if (peer) peer.peer = null;
    }
    for (const [id, conference] of this.conferences)
      if (conference.worker === worker) this.conferences.delete(id);
    this.options.logger?.error({ worker: index, reason, lost: lost.length }, 'media worker stopped');
    this.emit({ type: 'worker-exit', worker: index, lostEndpoints: lost, reason });
  }

  private leastLoadedWorker(): WorkerLink {
    let best: WorkerLink | undefined;
    for (const worker of this.workers)
      if (!best || worker.endpoints.size < best.endpoints.size) best = worker;
    if (!best) throw new MediaError('closed', 'no media worker is running');
    return best;
  }

  private endpointRecord(endpointId: string): EndpointRecord {
    const record = this.endpoints.get(endpointId);
    if (!record) throw new MediaError('no-such-endpoint', `no endpoint ${endpointId}`);
    return record;
  }

  private conference(conferenceId: string): ConferenceRecord {
    const conference = this.conferences.get(conferenceId);
    if (!conference) throw new MediaError('no-such-conference', `no conference ${conferenceId}`);
    return conference;
  }

  private assertOpen(): void {
    if (this.closed) throw new MediaError('closed', 'the media engine is closed');
  }
}
