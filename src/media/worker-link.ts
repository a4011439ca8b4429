/**
 * The controller's handle on one media worker: request/response over messages with the thread,
 * or, with zero workers, the same requests answered by a MediaCore on the calling thread.
 */
import type { EventLoopUtilization } from 'node:perf_hooks';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Clock } from './clock.js';
import { MediaCore } from './media-core.js';
import type { MediaWorkerData } from './media-worker.js';
import type { ControllerMessage, WorkerMessage, WorkerRequest, WorkerResult } from './protocol.js';
import { MediaError, type MediaEvent } from './types.js';

export interface WorkerLink {
  readonly index: number;
  /** Endpoints this worker owns (kept by the controller). */
  readonly endpoints: Set<string>;
  request(request: WorkerRequest): Promise<WorkerResult>;
  /** Share of time the thread's event loop was busy since the previous call (0–1), if known. */
  utilization(): number | null;
  close(): Promise<void>;
}

export interface WorkerLinkOptions {
  index: number;
  address: string;
  mediaTimeoutMs: number;
  onEvent(event: MediaEvent): void;
  /** The thread is gone for good (crash or exit); pending requests have been rejected. */
  onExit(reason: string): void;
}

export class ThreadWorkerLink implements WorkerLink {
  readonly index: number;
  readonly endpoints = new Set<string>();
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve(result: WorkerResult): void; reject(error: Error): void }
  >();
  private nextId = 1;
  private exited = false;
  private closing = false;
  readonly ready: Promise<void>;

  constructor(options: WorkerLinkOptions) {
    this.index = options.index;
    const data: MediaWorkerData = { address: options.address, mediaTimeoutMs: options.mediaTimeoutMs };
    this.worker = spawnMediaWorker(data);
    let markReady: () => void = () => undefined;
    let failReady: (error: Error) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    this.worker.on('message', (message: WorkerMessage | { ready: true }) => {
      if ('ready' in message) markReady();
      else if ('event' in message) options.onEvent(message.event);
      else this.settle(message);
    });
    const fail = (reason: string) => {
      if (this.exited) return;
      this.exited = true;
      const error = new MediaError('closed', `media worker ${this.index} stopped: ${reason}`);
      failReady(error);
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
      if (!this.closing) options.onExit(reason);
    };
    this.worker.on('error', (error) => fail(error.message));
    this.worker.on('exit', (code) => fail(`exit code ${code}`));
  }

  /** Gives this worker a direct channel to another one (connections spanning two workers). */
  static connectPeers(a: ThreadWorkerLink, b: ThreadWorkerLink): void {
    const channel = new MessageChannel();
    a.post({ peers: [{ worker: b.index, port: channel.port1 }] }, [channel.port1]);
    b.post({ peers: [{ worker: a.index, port: channel.port2 }] }, [channel.port2]);
  }

  private post(
    message: ControllerMessage,
    transfer?: import('node:worker_threads').TransferListItem[],
  ): void {
    this.worker.postMessage(message, transfer);
  }

  request(request: WorkerRequest): Promise<WorkerResult> {
    if (this.exited) return Promise.reject(new MediaError('closed', `media worker ${this.index} is gone`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ id, request });
    });
  }

  private lastUtilization: EventLoopUtilization | undefined;

  utilization(): number | null {
    if (this.exited) return null;
    const now = this.worker.performance.eventLoopUtilization();
    const since = this.lastUtilization
      ? this.worker.performance.eventLoopUtilization(now, this.lastUtilization)
      : now;
    this.lastUtilization = now;
    return since.utilization;
  }

  private settle(message: Exclude<WorkerMessage, { event: MediaEvent }>): void {
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new MediaError(message.code, message.message));
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.exited) return;
    await this.worker.terminate();
  }
}

/**
 * Built output runs media-worker.js directly. From TypeScript sources (tests, tsx) the thread
 * first registers tsx, the loader the sources are already running under.
 */
function spawnMediaWorker(data: MediaWorkerData): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSources ? './media-worker.ts' : './media-worker.js', import.meta.url);
  if (!fromSources) return new Worker(entry, { workerData: data });
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

/** Zero workers: the core runs on the calling thread, on the engine's clock. */
export class InlineWorkerLink implements WorkerLink {
  readonly index = 0;
  readonly endpoints = new Set<string>();
  private readonly core: MediaCore;

  constructor(options: WorkerLinkOptions & { clock: Clock }) {
    this.core = new MediaCore({
      address: options.address,
      clock: options.clock,
      mediaTimeoutMs: options.mediaTimeoutMs,
      emit: options.onEvent,
    });
  }

  request(request: WorkerRequest): Promise<WorkerResult> {
    return this.core.handle(request);
  }

  utilization(): null {
    return null;
  }

  close(): Promise<void> {
    return this.core.close();
  }
}
