/**
 * What the relay path costs per packet where load does not matter: bytes allocated on the V8 heap
 * and scavenges per 100,000 relayed packets, and CPU µs per relayed packet. The media core
 * (src/media/media-core.ts) runs on the main thread of a process of its own, pinned to one CPU,
 * with N plain pass-through calls set up as the media anchor sets them up (both legs on one core,
 * connected, RTCP relayed); bench/rtp/rtp-load.c plays the streams from another CPU at a rate
 * well below capacity, so every packet is relayed and the counts are exact.
 *
 * Allocation comes from v8.GCProfiler: the young generation's size before each scavenge less its
 * size after the one before, plus what is new at the end. Figures cover a window inside the
 * generator's measurement, after warm-up (latching, JIT). Native memory (the datagram's backing
 * store) is not on the V8 heap and not counted here.
 *
 * Before/after in one run: `git worktree add --detach /tmp/relay-base <commit>` and pass
 * `--baseline /tmp/relay-base`; contenders take turns, each run in a fresh process.
 *
 * Run: npx tsx bench/rtp/relay-alloc.bench.ts [--calls 300] [--seconds 4] [--repeat 3]
 *        [--baseline DIR] [--floor] [--relay-cpu 1] [--load-cpu 0] [--sites]
 * --floor adds a bare node:dgram forwarder (connected sockets, `send(packet)`, nothing else): what
 * any relay built on node:dgram pays per packet.
 * --sites also samples allocation sites (V8's sampling heap profiler, freed objects included);
 * the sampling costs CPU, so CPU figures of such a run are not comparable. --v8 'FLAGS' passes
 * V8 flags to the relay process (e.g. '--max-semi-space-size=2' or '--trace-gc-nvp').
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { Session } from 'node:inspector';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { GCProfiler } from 'node:v8';
import { printTable } from '../lib/measure.js';
import { compileLoadGenerator, LoadRun } from './load-generator.js';
import { placeProcess } from './placement.js';

/** What the relay process measured over the window. */
interface WindowFigures {
  packets: number;
  cpuUs: number;
  allocatedBytes: number;
  scavenges: number;
  markCompacts: number;
  /** Main-thread time of every collection in the window, and of the longest one. */
  gcUs: number;
  longestGcUs: number;
  /** With --sites: the heaviest allocation sites, sampled (including what scavenges freed). */
  sites: Array<{ site: string; bytes: number }>;
}

type ServeRequest =
  | { op: 'calls'; remotes: Array<[number, number]> }
  | { op: 'mark'; sites: boolean }
  | { op: 'stop' };
type ServeReply = { ports: Array<[number, number]> } | { figures: WindowFigures } | { ready: true };

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHECKOUT = path.resolve(HERE, '../..');
const WARMUP_MS = 1500;
/** Margin between the generator's window and the relay's, so both see a steady stream. */
const MARGIN_MS = 300;
const RELAY_SOCKETS = 50;
/** The --floor contender's name in place of a checkout's directory. */
const BARE_DGRAM = 'bare-dgram';

interface GcEntry {
  gcType: string;
  /** Microseconds. */
  cost: number;
  beforeGC: { heapSpaceStatistics: Array<{ spaceName: string; spaceUsedSize: number }> };
  afterGC: { heapSpaceStatistics: Array<{ spaceName: string; spaceUsedSize: number }> };
}

const youngUsed = (spaces: ReadonlyArray<{ spaceName: string; spaceUsedSize: number }>) =>
  spaces
    .filter((space) => space.spaceName === 'new_space')
    .reduce((sum, space) => sum + space.spaceUsedSize, 0);

/** What relays the calls in the measured process. */
interface RelayUnderTest {
  /** One call per pair of generator ports; returns the port each side sends to. */
  calls(remotes: Array<[number, number]>): Promise<Array<[number, number]>>;
  sentPackets(): number;
  close(): Promise<void>;
}

/** The media core of the checkout at `root`: plain pass-through calls as the anchor sets them up. */
async function coreRelay(root: string): Promise<RelayUnderTest> {
  const { MediaCore } = (await import(
    pathToFileURL(path.join(root, 'src/media/media-core.ts')).href
  )) as typeof import('../../src/media/media-core.js');
  const { systemClock } = (await import(
    pathToFileURL(path.join(root, 'src/media/clock.ts')).href
  )) as typeof import('../../src/media/clock.js');
  const core = new MediaCore({ address: '127.0.0.1', clock: systemClock, mediaTimeoutMs: 0, emit: () => {} });
  let nextPort = 20000;
  let ids = 0;
  const allocate = async (remotePort: number): Promise<[string, number]> => {
    for (;;) {
      const endpointId = `e${ids++}`;
      const rtpPort = nextPort;
      nextPort += 2;
      const result = await core.handle({
        op: 'allocate',
        endpointId,
        rtpPort,
        rtcpPort: rtpPort + 1,
        settings: { remote: { address: '127.0.0.1', port: remotePort }, rtcp: 'relay', mediaTimeoutMs: 0 },
      });
      if (result && 'bound' in result && result.bound) return [endpointId, rtpPort];
    }
  };
  return {
    async calls(remotes) {
      const ports: Array<[number, number]> = [];
      for (const [portA, portB] of remotes) {
        const [a, rtpA] = await allocate(portA);
        const [b, rtpB] = await allocate(portB);
        await core.handle({ op: 'connect', endpointId: a, peerId: b, peerWorker: null, transcode: false });
        await core.handle({ op: 'connect', endpointId: b, peerId: a, peerWorker: null, transcode: false });
        ports.push([rtpA, rtpB]);
      }
      return ports;
    },
    sentPackets: () => core.stats().reduce((sum, stats) => sum + stats.packetsSent, 0),
    close: () => core.close(),
  };
}

/**
 * The floor node:dgram sets: per call two sockets, each connected to its side's generator port
 * and sending what it receives through the other, nothing looked at.
 */
async function bareDgramRelay(): Promise<RelayUnderTest> {
  const sockets: Socket[] = [];
  let sent = 0;
  const open = (remotePort: number) =>
    new Promise<Socket>((resolve) => {
      const socket = createSocket('udp4');
      sockets.push(socket);
      socket.bind(0, '127.0.0.1', () => socket.connect(remotePort, '127.0.0.1', () => resolve(socket)));
    });
  return {
    async calls(remotes) {
      const ports: Array<[number, number]> = [];
      for (const [portA, portB] of remotes) {
        const [a, b] = await Promise.all([open(portA), open(portB)]);
        a.on('message', (packet) => {
          b.send(packet);
          sent++;
        });
        b.on('message', (packet) => {
          a.send(packet);
          sent++;
        });
        ports.push([a.address().port, b.address().port]);
      }
      return ports;
    },
    sentPackets: () => sent,
    close: async () => {
      await Promise.all(
        sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))),
      );
    },
  };
}

async function serve(root: string): Promise<void> {
  const { getHeapSpaceStatistics } = await import('node:v8');
  const relay = root === BARE_DGRAM ? await bareDgramRelay() : await coreRelay(root);
  const sentPackets = () => relay.sentPackets();
  const sampler = new AllocationSampler();
  let profiler: GCProfiler | null = null;
  let start = { cpu: process.cpuUsage(), packets: 0, young: 0 };

  process.on('message', async (request: ServeRequest) => {
    if (request.op === 'calls') {
      const ports = await relay.calls(request.remotes);
      process.send!({ ports } satisfies ServeReply);
    } else if (request.op === 'mark' && !profiler) {
      if (request.sites) await sampler.start();
      profiler = new GCProfiler();
      profiler.start();
      start = { cpu: process.cpuUsage(), packets: sentPackets(), young: youngUsed(spacesNow()) };
    } else if (request.op === 'mark' && profiler) {
      const cpu = process.cpuUsage(start.cpu);
      const packets = sentPackets() - start.packets;
      const youngAtEnd = youngUsed(spacesNow());
      const entries = (profiler.stop() as { statistics: GcEntry[] }).statistics;
      let allocated = 0;
      let previousAfter = start.young;
      for (const entry of entries) {
        allocated += youngUsed(entry.beforeGC.heapSpaceStatistics) - previousAfter;
        previousAfter = youngUsed(entry.afterGC.heapSpaceStatistics);
      }
      allocated += youngAtEnd - previousAfter;
      const sites = request.sites ? await sampler.stop() : [];
      process.send!({
        figures: {
          packets,
          cpuUs: cpu.user + cpu.system,
          allocatedBytes: allocated,
          scavenges: entries.filter((entry) => entry.gcType === 'Scavenge').length,
          markCompacts: entries.filter((entry) => entry.gcType === 'MarkSweepCompact').length,
          gcUs: entries.reduce((sum, entry) => sum + entry.cost, 0),
          longestGcUs: entries.reduce((longest, entry) => Math.max(longest, entry.cost), 0),
          sites,
        },
      } satisfies ServeReply);
    } else if (request.op === 'stop') {
      await relay.close();
      process.exit(0);
    }
  });
  function spacesNow() {
    return getHeapSpaceStatistics().map((space) => ({
      spaceName: space.space_name,
      spaceUsedSize: space.space_used_size,
    }));
  }
  process.send!({ ready: true } satisfies ServeReply);
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/**
 * The V8 sampling heap profiler over the inspector, keeping samples of objects that garbage
 * collection has freed since (by default it reports only what is still alive).
 */
class AllocationSampler {
  private readonly session = new Session();

  async start(): Promise<void> {
    this.session.connect();
    await this.post('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }

  /** Self bytes per allocating frame (function, file:line), heaviest first. */
  async stop(): Promise<Array<{ site: string; bytes: number }>> {
    const { profile } = (await this.post('HeapProfiler.stopSampling', {})) as {
      profile: { head: SamplingNode };
    };
    this.session.disconnect();
    const bySite = new Map<string, number>();
    const visit = (node: SamplingNode, caller: string) => {
      const frame = node.callFrame;
      const site = `${frame.functionName || '(anonymous)'} ${path.basename(frame.url)}:${frame.lineNumber + 1}`;
      if (node.selfSize > 0) {
        const key = `${site} <- ${caller}`;
        bySite.set(key, (bySite.get(key) ?? 0) + node.selfSize);
      }
      for (const child of node.children) visit(child, site);
    };
    visit(profile.head, '');
    return [...bySite]
      .map(([site, bytes]) => ({ site, bytes }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 15);
  }

  private post(method: string, params: object): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  }
}

function nextReply(child: ChildProcess): Promise<ServeReply> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`relay process exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (reply: ServeReply) => {
      child.off('exit', onExit);
      resolve(reply);
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measureOnce(
  binary: string,
  root: string,
  calls: number,
  seconds: number,
  relayCpu: number,
  loadCpu: number,
  sites: boolean,
  v8Flags: string[],
): Promise<WindowFigures & { lost: number }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', root], {
    execArgv: [...process.execArgv, ...v8Flags],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await nextReply(child);
  placeProcess(child.pid!, { cpu: relayCpu, priority: 'nice' });
  const run = await LoadRun.start(binary, {
    mode: 'relay',
    sockets: RELAY_SOCKETS,
    warmupMs: WARMUP_MS,
    seconds,
    roundMs: 500,
    drainMs: 500,
    placement: { cpu: loadCpu, priority: 'nice' },
  });
  try {
    const socketOf = (stream: number) => run.ports[stream % RELAY_SOCKETS]!;
    const remotes = Array.from({ length: calls }, (_, call): [number, number] => [
      socketOf(2 * call),
      socketOf(2 * call + 1),
    ]);
    const setup = nextReply(child);
    child.send({ op: 'calls', remotes } satisfies ServeRequest);
    const { ports } = (await setup) as { ports: Array<[number, number]> };
    const streams = ports.flatMap(
      ([toA, toB], call) =>
        [
          [(2 * call) % RELAY_SOCKETS, toA],
          [(2 * call + 1) % RELAY_SOCKETS, toB],
        ] as const,
    );
    const played = run.play(streams);
    await sleep(WARMUP_MS + MARGIN_MS);
    child.send({ op: 'mark', sites } satisfies ServeRequest);
    await sleep(seconds * 1000 - 2 * MARGIN_MS);
    const reply = nextReply(child);
    child.send({ op: 'mark', sites } satisfies ServeRequest);
    const { figures } = (await reply) as { figures: WindowFigures };
    const result = await played;
    return { ...figures, lost: result.lost };
  } finally {
    child.send({ op: 'stop' } satisfies ServeRequest);
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

async function main(): Promise<void> {
  const { values: flags } = parseArgs({
    options: {
      calls: { type: 'string', default: '300' },
      seconds: { type: 'string', default: '4' },
      repeat: { type: 'string', default: '3' },
      baseline: { type: 'string' },
      floor: { type: 'boolean', default: false },
      'relay-cpu': { type: 'string', default: '1' },
      'load-cpu': { type: 'string', default: '0' },
      sites: { type: 'boolean', default: false },
      v8: { type: 'string' },
    },
  });
  const contenders: Array<[string, string]> = [['this checkout', CHECKOUT]];
  if (flags.baseline) contenders.unshift(['baseline', path.resolve(flags.baseline)]);
  if (flags.floor) contenders.unshift(['bare node:dgram', BARE_DGRAM]);
  const binary = compileLoadGenerator();
  const results = new Map<string, Array<WindowFigures & { lost: number }>>();
  for (let r = 0; r < Number(flags.repeat); r++) {
    for (const [name, root] of contenders) {
      const figures = await measureOnce(
        binary,
        root,
        Number(flags.calls),
        Number(flags.seconds),
        Number(flags['relay-cpu']),
        Number(flags['load-cpu']),
        flags.sites,
        flags.v8?.split(' ').filter(Boolean) ?? [],
      );
      results.set(name, [...(results.get(name) ?? []), figures]);
    }
  }
  const per100k = (value: number, packets: number) => (value * 100_000) / Math.max(1, packets);
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const rows = [...results].flatMap(([name, runs]) =>
    runs.map((run, i) => [
      `${name} #${i + 1}`,
      run.packets,
      run.lost,
      (run.cpuUs / Math.max(1, run.packets)).toFixed(2),
      per100k(run.allocatedBytes, run.packets) / 1024,
      per100k(run.scavenges, run.packets).toFixed(1),
      run.markCompacts,
      per100k(run.gcUs, run.packets) / 1000,
      run.longestGcUs,
    ]),
  );
  console.log(`${flags.calls} relayed calls, ${flags.seconds} s windows, relay on CPU ${flags['relay-cpu']}`);
  printTable(
    [
      'run',
      'packets',
      'lost',
      'CPU µs/packet',
      'KiB alloc/100k',
      'scavenges/100k',
      'mark-compacts',
      'GC ms/100k',
      'longest GC µs',
    ],
    rows,
  );
  if (flags.sites) {
    for (const [name, runs] of results) {
      console.log(`\nheaviest allocation sites, ${name}, first run (sampled bytes per 100,000 packets)`);
      printTable(
        ['site <- caller', 'bytes/100k'],
        runs[0]!.sites.map(({ site, bytes }) => [site, per100k(bytes, runs[0]!.packets)]),
      );
    }
  }
  if (flags.baseline) {
    const cpu = (name: string) =>
      median(results.get(name)!.map((run) => run.cpuUs / Math.max(1, run.packets)));
    console.log(
      `CPU per packet, this checkout / baseline (medians): ${(cpu('this checkout') / cpu('baseline')).toFixed(2)}`,
    );
  }
}

if (process.argv[2] === '--serve') await serve(process.argv[3]!);
else await main();
