/**
 * Strowger's media engine (one worker thread) in a process of its own, so the whole relay can be
 * pinned to one CPU and its CPU time read like any other relay's. Set up through the engine API
 * the media anchor uses: allocate both legs on one worker, connect them; or a conference per
 * group of participants. Controlled over the fork IPC channel (see RelayRequest).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMediaEngine, type Endpoint } from '../../src/media/index.js';
import { type Placement, placeProcess } from './placement.js';

type RelayRequest =
  /** One call per pair: the generator ports of side A and side B. */
  | { op: 'calls'; remotes: Array<[number, number]> }
  /** Conferences of `size` participants, one generator port per participant. */
  | { op: 'conferences'; remotes: number[]; size: number }
  | { op: 'clear' };

/** Calls: the relay port each side sends to; conferences: one port per participant. */
type RelayReply = { ports: Array<[number, number]> | number[] } | { error: string };

const PORT_RANGE: [number, number] = [8000, 31999];
/** Requests in flight at once while setting up; the worker answers them in order. */
const SETUP_CONCURRENCY = 64;

async function inChunks<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += SETUP_CONCURRENCY) {
    results.push(...(await Promise.all(items.slice(i, i + SETUP_CONCURRENCY).map(work))));
  }
  return results;
}

async function serve(): Promise<void> {
  const engine = await createMediaEngine({
    address: '127.0.0.1',
    portRange: PORT_RANGE,
    workers: 1,
    mediaTimeoutMs: 0,
    maxConferences: 100_000,
  });
  let endpoints: Endpoint[] = [];
  let conferences: string[] = [];
  const remote = (port: number) => ({ remote: { address: '127.0.0.1', port }, mediaTimeoutMs: 0 });

  const handle = async (request: RelayRequest): Promise<RelayReply> => {
    switch (request.op) {
      case 'calls':
        return {
          ports: await inChunks(request.remotes, async ([portA, portB]) => {
            const a = await engine.allocate({ ...remote(portA), rtcp: 'relay' });
            const b = await engine.allocate({ ...remote(portB), rtcp: 'relay', near: a.id });
            endpoints.push(a, b);
            await engine.connect(a.id, b.id);
            return [a.rtpPort, b.rtpPort] as [number, number];
          }),
        };
      case 'conferences': {
        const groups: number[][] = [];
        for (let i = 0; i < request.remotes.length; i += request.size)
          groups.push(request.remotes.slice(i, i + request.size));
        const perGroup = await inChunks(groups, async (group) => {
          const conference = await engine.createConference();
          conferences.push(conference.id);
          const ports: number[] = [];
          for (const port of group) {
            const endpoint = await engine.allocate(remote(port));
            endpoints.push(endpoint);
            await engine.join(conference.id, endpoint.id);
            ports.push(endpoint.rtpPort);
          }
          return ports;
        });
        return { ports: perGroup.flat() };
      }
      case 'clear':
        for (const id of conferences) await engine.endConference(id);
        await inChunks(endpoints, (endpoint) => engine.release(endpoint.id));
        endpoints = [];
        conferences = [];
        return { ports: [] };
    }
  };

  process.on('message', (request: RelayRequest) => {
    handle(request).then(
      (reply) => process.send!(reply),
      (error: unknown) => process.send!({ error: error instanceof Error ? error.message : String(error) }),
    );
  });
  process.on('disconnect', () => {
    void engine.close().then(() => process.exit(0));
  });
  process.send!({ ports: [] });
}

/** The parent's handle on the relay process. */
export class StrowgerRelay {
  private constructor(private readonly child: ChildProcess) {}

  /** Starts the process (same loader flags as this one) and waits until its engine runs. */
  static async start(): Promise<StrowgerRelay> {
    const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const relay = new StrowgerRelay(child);
    await relay.next();
    return relay;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Places every thread of the process (main, media worker, libuv pool). */
  place(placement: Placement): void {
    placeProcess(this.pid, placement);
  }

  private next(): Promise<{ ports: Array<[number, number]> | number[] }> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`Strowger relay process exited (${code})`));
      this.child.once('exit', onExit);
      this.child.once('message', (reply: RelayReply) => {
        this.child.off('exit', onExit);
        if ('error' in reply) reject(new Error(reply.error));
        else resolve(reply);
      });
    });
  }

  private async request(request: RelayRequest): Promise<Array<[number, number]> | number[]> {
    const reply = this.next();
    this.child.send(request);
    return (await reply).ports;
  }

  /** One call per pair of generator ports (A, B); returns the port each side sends to. */
  async calls(remotes: Array<[number, number]>): Promise<Array<[number, number]>> {
    return (await this.request({ op: 'calls', remotes })) as Array<[number, number]>;
  }

  /** Conferences of `size` participants; returns the port each participant sends to. */
  async conferences(remotes: number[], size: number): Promise<number[]> {
    return (await this.request({ op: 'conferences', remotes, size })) as number[];
  }

  /** Ends every call and conference. */
  async clear(): Promise<void> {
    await this.request({ op: 'clear' });
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await exited;
  }
}

if (process.argv[2] === '--serve') await serve();
