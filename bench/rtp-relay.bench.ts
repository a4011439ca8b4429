/**
 * RTP relay capacity: concurrent relayed G.711 calls (two endpoints each, 50 packets/s each way,
 * 20 ms phases spread evenly) ramped up level by level. For each level: one-way latency through
 * the relay (p50, p99), the same minus a direct path measured in the same run ("added"), loss,
 * and how busy the relay was. Capacity is the highest level with zero loss and added p99 < 1 ms.
 *
 * Peer: Debian's rtpengine (`rtpengine-daemon`) in userspace mode (`--table=-1`, one worker
 * thread), driven over its ng control protocol (bencode over UDP: offer, answer, delete), relaying
 * the same streams. Strowger runs one media worker thread. One traffic generator in this process
 * drives every contender alike; its sockets are shared by many calls (both relays latch per
 * stream, so that is harmless) to keep the descriptor count down.
 *
 * Run: npx tsx bench/rtp-relay.bench.ts [levels, e.g. 100,250,500,1000,1500,2000]
 * Env: RTP_BENCH_SECONDS (default 5) per level.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMediaEngine, type MediaEngine } from '../src/media/index.js';
import { printTable } from './lib/measure.js';
import { cpuSeconds } from './lib/proc-stats.js';

const LEVELS = (process.argv[2]?.startsWith('--') ? '' : (process.argv[2] ?? '100,250,500,1000,1500,2000'))
  .split(',')
  .map(Number);
const SECONDS = Number(process.env.RTP_BENCH_SECONDS ?? 5);
const WARMUP_MS = 1000;
const DRAIN_MS = 500;
const GENERATOR_SOCKETS = 32;
const PAYLOAD = 160;
const PACKET = 12 + PAYLOAD;
const NG_PORT = 22230;

/** One direction of one call: where the generator sends and what it stamps. */
interface Stream {
  socket: Socket;
  port: number;
  sequence: number;
  packet: Buffer;
}

/** A relay under test: sets calls up (returns, per call, the port each side sends to) and tears them down. */
interface Contender {
  name: string;
  setup(calls: number, sockets: Socket[]): Promise<Array<[number, number]>>;
  teardown(): Promise<void>;
  /** Busy share of the relay during the measurement, 0–1. */
  busy(): Promise<number | null>;
  markBusyStart(): Promise<void>;
}

interface LevelResult {
  contender: string;
  calls: number;
  p50: number;
  p99: number;
  loss: number;
  sent: number;
  busy: number | null;
  generatorLagMs: number;
}

async function bindSockets(count: number): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve) => {
          const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
          socket.bind(0, '127.0.0.1', () => resolve(socket));
        }),
    ),
  );
}

/** Streams of call i: A on socket i mod K sends to ports[i][0], B on socket (i + K/2) mod K to ports[i][1]. */
async function runTraffic(
  name: string,
  calls: number,
  sockets: Socket[],
  ports: Array<[number, number]>,
  contender: Contender,
): Promise<LevelResult> {
  const streams: Stream[] = [];
  ports.forEach(([toA, toB], call) => {
    for (const [side, port] of [
      [0, toA],
      [1, toB],
    ] as const) {
      const socket = sockets[(call + side * (GENERATOR_SOCKETS / 2)) % GENERATOR_SOCKETS]!;
      const packet = Buffer.alloc(PACKET);
      packet[0] = 0x80;
      packet.writeUInt32BE(call * 2 + side + 1, 8); // SSRC
      packet.writeUInt32BE(streams.length, 12); // stream index in the payload
      streams.push({ socket, port, sequence: 0, packet });
    }
  });
  const capacity = Math.ceil(streams.length * 50 * (SECONDS + 1));
  const latencies = new Float64Array(capacity);
  let measured = 0;
  let receivedInWindow = 0;
  let sentInWindow = 0;
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  const onMessage = (data: Buffer) => {
    if (data.length !== PACKET) return;
    const sentAt = data.readDoubleBE(16);
    if (sentAt < windowStart || sentAt >= windowEnd) return;
    receivedInWindow++;
    if (measured < capacity) latencies[measured++] = performance.now() - sentAt;
  };
  for (const socket of sockets) socket.on('message', onMessage);

  // 20 phase groups, one per millisecond of the 20 ms packet interval.
  const groups: Stream[][] = Array.from({ length: 20 }, () => []);
  streams.forEach((stream, i) => {
    groups[i % 20]!.push(stream);
  });
  const start = performance.now() + 5;
  const due = groups.map((_, g) => start + g);
  const stopAt = start + WARMUP_MS + SECONDS * 1000;
  windowStart = start + WARMUP_MS;
  windowEnd = stopAt;
  let maxLag = 0;
  let busyMarked = false;
  await new Promise<void>((resolve) => {
    const step = () => {
      const now = performance.now();
      if (!busyMarked && now >= windowStart) {
        busyMarked = true;
        void contender.markBusyStart();
      }
      for (let g = 0; g < 20; g++) {
        while (due[g]! <= now && due[g]! < stopAt) {
          if (now - due[g]! > maxLag && due[g]! >= windowStart) maxLag = now - due[g]!;
          const inWindow = due[g]! >= windowStart;
          for (const stream of groups[g]!) {
            const packet = stream.packet;
            packet.writeUInt16BE(stream.sequence, 2);
            packet.writeUInt32BE((stream.sequence * PAYLOAD) >>> 0, 4);
            stream.sequence = (stream.sequence + 1) & 0xffff;
            const sentAt = performance.now();
            packet.writeDoubleBE(sentAt, 16);
            stream.socket.send(packet, stream.port, '127.0.0.1');
            if (inWindow && sentAt < windowEnd) sentInWindow++;
          }
          due[g]! += 20;
        }
      }
      if (now >= stopAt) resolve();
      else setTimeout(step, 1);
    };
    step();
  });
  const busy = await contender.busy();
  await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
  for (const socket of sockets) socket.off('message', onMessage);
  const sorted = latencies.subarray(0, measured).sort();
  const quantile = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : Number.NaN;
  return {
    contender: name,
    calls,
    p50: quantile(0.5),
    p99: quantile(0.99),
    loss: sentInWindow ? Math.max(0, 1 - receivedInWindow / sentInWindow) : 0,
    sent: sentInWindow,
    busy,
    generatorLagMs: maxLag,
  };
}

/** The floor: the generator's sockets send straight to each other. */
function direct(sockets: Socket[]): Contender {
  return {
    name: 'direct (no relay)',
    async setup(calls) {
      const half = GENERATOR_SOCKETS / 2;
      return Array.from({ length: calls }, (_, call) => [
        sockets[(call + half) % GENERATOR_SOCKETS]!.address().port,
        sockets[call % GENERATOR_SOCKETS]!.address().port,
      ]);
    },
    async teardown() {},
    async busy() {
      return null;
    },
    async markBusyStart() {},
  };
}

function strowger(engine: MediaEngine): Contender {
  const endpoints: string[] = [];
  let cpuAtStart = 0;
  let wallAtStart = 0;
  const workerCpu = async () => (await engine.stats()).workerCpuSeconds[0] ?? Number.NaN;
  return {
    name: 'strowger (1 worker)',
    async setup(calls, sockets) {
      const half = GENERATOR_SOCKETS / 2;
      const ports: Array<[number, number]> = [];
      for (let call = 0; call < calls; call++) {
        const remote = (socket: Socket) => ({ address: '127.0.0.1', port: socket.address().port });
        const a = await engine.allocate({
          remote: remote(sockets[call % GENERATOR_SOCKETS]!),
          rtcp: 'relay',
          mediaTimeoutMs: 0,
        });
        const b = await engine.allocate({
          remote: remote(sockets[(call + half) % GENERATOR_SOCKETS]!),
          rtcp: 'relay',
          mediaTimeoutMs: 0,
          near: a.id,
        });
        await engine.connect(a.id, b.id);
        endpoints.push(a.id, b.id);
        ports.push([a.rtpPort, b.rtpPort]);
      }
      return ports;
    },
    async teardown() {
      for (const id of endpoints.splice(0)) await engine.release(id);
    },
    async busy() {
      return ((await workerCpu()) - cpuAtStart) / ((performance.now() - wallAtStart) / 1000);
    },
    async markBusyStart() {
      cpuAtStart = await workerCpu();
      wallAtStart = performance.now();
    },
  };
}

// --- rtpengine over ng ---------------------------------------------------------------------

type Bencode = string | number | Bencode[] | { [key: string]: Bencode };

function bencode(value: Bencode): string {
  if (typeof value === 'number') return `i${value}e`;
  if (typeof value === 'string') return `${Buffer.byteLength(value)}:${value}`;
  if (Array.isArray(value)) return `l${value.map(bencode).join('')}e`;
  return `d${Object.keys(value)
    .sort()
    .map((key) => bencode(key) + bencode(value[key]!))
    .join('')}e`;
}

function bdecode(text: Buffer, at = { offset: 0 }): Bencode {
  const ch = String.fromCharCode(text[at.offset]!);
  if (ch === 'i') {
    const end = text.indexOf(0x65, at.offset);
    const value = Number(text.toString('latin1', at.offset + 1, end));
    at.offset = end + 1;
    return value;
  }
  if (ch === 'l' || ch === 'd') {
    at.offset++;
    const items: Bencode[] = [];
    while (text[at.offset] !== 0x65) items.push(bdecode(text, at));
    at.offset++;
    if (ch === 'l') return items;
    const dict: Record<string, Bencode> = {};
    for (let i = 0; i < items.length; i += 2) dict[items[i] as string] = items[i + 1]!;
    return dict;
  }
  const colon = text.indexOf(0x3a, at.offset);
  const length = Number(text.toString('latin1', at.offset, colon));
  const value = text.toString('utf8', colon + 1, colon + 1 + length);
  at.offset = colon + 1 + length;
  return value;
}

class NgClient {
  private readonly pending = new Map<string, (reply: Record<string, Bencode>) => void>();
  private next = 1;
  private constructor(private readonly socket: Socket) {
    socket.on('message', (data) => {
      const space = data.indexOf(0x20);
      const cookie = data.toString('latin1', 0, space);
      this.pending.get(cookie)?.(bdecode(data.subarray(space + 1)) as Record<string, Bencode>);
      this.pending.delete(cookie);
    });
  }

  static async create(): Promise<NgClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new NgClient(socket);
  }

  command(message: Record<string, Bencode>): Promise<Record<string, Bencode>> {
    const cookie = `c${this.next++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ng ${String(message.command)} timed out`)), 5000);
      this.pending.set(cookie, (reply) => {
        clearTimeout(timer);
        if (reply.result !== 'ok')
          reject(new Error(`ng ${String(message.command)}: ${JSON.stringify(reply)}`));
        else resolve(reply);
      });
      this.socket.send(`${cookie} ${bencode(message)}`, NG_PORT, '127.0.0.1');
    });
  }

  close(): void {
    this.socket.close();
  }
}

function sdp(port: number): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

function sdpPort(text: Bencode | undefined): number {
  const match = /^m=audio (\d+)/m.exec(String(text));
  if (!match) throw new Error('no m=audio in rtpengine SDP');
  return Number(match[1]);
}

async function startRtpengine(): Promise<{ child: ChildProcess; client: NgClient } | { reason: string }> {
  if (spawnSync('sh', ['-c', 'command -v rtpengine']).status !== 0) {
    return { reason: 'rtpengine not installed (apt-get install rtpengine-daemon)' };
  }
  const child = spawn(
    'rtpengine',
    [
      '--foreground',
      '--log-stderr',
      '--log-level=3',
      '--table=-1', // userspace forwarding, no kernel module
      '--interface=127.0.0.1',
      `--listen-ng=127.0.0.1:${NG_PORT}`,
      '--port-min=46000',
      '--port-max=59999',
      '--num-threads=1',
      '--timeout=600',
      `--pidfile=${path.join(tmpdir(), 'strowger-bench-rtpengine.pid')}`,
      '--config-file=none',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const client = await NgClient.create();
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await client.command({ command: 'ping' }).catch(async (error: Error) => {
        if (/pong/.test(error.message)) return;
        throw error;
      });
      return { child, client };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  child.kill();
  client.close();
  return { reason: `rtpengine did not answer ng ping: ${log}` };
}

function rtpengine(child: ChildProcess, client: NgClient): Contender {
  const callIds: string[] = [];
  let cpuAtStart = 0;
  let wallAtStart = 0;
  let generation = 0;
  return {
    name: 'rtpengine (userspace, 1 thread)',
    async setup(calls, sockets) {
      generation++;
      const half = GENERATOR_SOCKETS / 2;
      const ports: Array<[number, number]> = [];
      for (let call = 0; call < calls; call++) {
        const id = `bench-${generation}-${call}`;
        const portA = sockets[call % GENERATOR_SOCKETS]!.address().port;
        const portB = sockets[(call + half) % GENERATOR_SOCKETS]!.address().port;
        const offer = await client.command({
          command: 'offer',
          'call-id': id,
          'from-tag': 'a',
          sdp: sdp(portA),
        });
        const answer = await client.command({
          command: 'answer',
          'call-id': id,
          'from-tag': 'a',
          'to-tag': 'b',
          sdp: sdp(portB),
        });
        // The offer's SDP goes to B (B sends there to reach A); the answer's goes to A.
        ports.push([sdpPort(answer.sdp), sdpPort(offer.sdp)]);
        callIds.push(id);
      }
      return ports;
    },
    async teardown() {
      for (const id of callIds.splice(0))
        await client.command({ command: 'delete', 'call-id': id, 'from-tag': 'a' });
    },
    async busy() {
      const wall = (performance.now() - wallAtStart) / 1000;
      return (cpuSeconds([child.pid!]) - cpuAtStart) / wall;
    },
    async markBusyStart() {
      cpuAtStart = cpuSeconds([child.pid!]);
      wallAtStart = performance.now();
    },
  };
}

/**
 * Child mode: a plain Node dgram forwarder, the floor for a relay written on Node's UDP sockets.
 * Reads "calls portA portB ..." lines on stdin, binds two sockets per call, each connected to its
 * generator socket, forwarding verbatim to the other; answers with the bound ports.
 */
async function runForwarder(): Promise<void> {
  let sockets: Socket[] = [];
  let input = '';
  process.stdin.on('data', async (chunk: Buffer) => {
    input += chunk.toString();
    const newline = input.indexOf('\n');
    if (newline < 0) return;
    const line = input.slice(0, newline);
    input = input.slice(newline + 1);
    for (const socket of sockets) socket.close();
    sockets = [];
    const numbers = line.split(' ').filter(Boolean).map(Number);
    const ports: number[] = [];
    for (let i = 0; i + 1 < numbers.length; i += 2) {
      const [a, b] = await bindSockets(2);
      await new Promise<void>((resolve) => a!.connect(numbers[i]!, '127.0.0.1', resolve));
      await new Promise<void>((resolve) => b!.connect(numbers[i + 1]!, '127.0.0.1', resolve));
      a!.on('message', (data) => b!.send(data));
      b!.on('message', (data) => a!.send(data));
      sockets.push(a!, b!);
      ports.push(a!.address().port, b!.address().port);
    }
    process.stdout.write(`${ports.join(' ')}\n`);
  });
}

function nodeForwarder(child: ChildProcess): Contender {
  let cpuAtStart = 0;
  let wallAtStart = 0;
  const exchange = (line: string) =>
    new Promise<number[]>((resolve) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (!output.includes('\n')) return;
        child.stdout!.off('data', onData);
        resolve(output.trim().split(' ').filter(Boolean).map(Number));
      };
      child.stdout!.on('data', onData);
      child.stdin!.write(`${line}\n`);
    });
  return {
    name: 'node dgram forwarder',
    async setup(calls, sockets) {
      const half = GENERATOR_SOCKETS / 2;
      const numbers: number[] = [];
      for (let call = 0; call < calls; call++) {
        numbers.push(
          sockets[call % GENERATOR_SOCKETS]!.address().port,
          sockets[(call + half) % GENERATOR_SOCKETS]!.address().port,
        );
      }
      const ports = await exchange(numbers.join(' '));
      return Array.from(
        { length: calls },
        (_, call) => [ports[2 * call]!, ports[2 * call + 1]!] as [number, number],
      );
    },
    async teardown() {
      await exchange('');
    },
    async busy() {
      return (cpuSeconds([child.pid!]) - cpuAtStart) / ((performance.now() - wallAtStart) / 1000);
    },
    async markBusyStart() {
      cpuAtStart = cpuSeconds([child.pid!]);
      wallAtStart = performance.now();
    },
  };
}

async function main(): Promise<void> {
  const sockets = await bindSockets(GENERATOR_SOCKETS);
  const engine = await createMediaEngine({
    address: '127.0.0.1',
    portRange: [30000, 39999],
    workers: 1,
    mediaTimeoutMs: 0,
  });
  const forwarder = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--forwarder'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const contenders: Contender[] = [direct(sockets), strowger(engine), nodeForwarder(forwarder)];
  const peer = await startRtpengine();
  if ('reason' in peer) console.log(`PEER MISSING: ${peer.reason}`);
  else contenders.push(rtpengine(peer.child, peer.client));

  const results: LevelResult[] = [];
  for (const calls of LEVELS) {
    for (const contender of contenders) {
      const ports = await contender.setup(calls, sockets);
      results.push(await runTraffic(contender.name, calls, sockets, ports, contender));
      await contender.teardown();
    }
  }

  // CPU per relayed packet, and the calls one fully busy core would carry at that cost (a call
  // is 100 packets/s through the relay).
  const costPerPacket = (r: LevelResult) => ((r.busy ?? 0) * 1e6) / (r.sent / SECONDS);
  const floor = new Map(results.filter((r) => r.contender.startsWith('direct')).map((r) => [r.calls, r]));
  console.log(
    `\nRTP relay, ${SECONDS} s per level, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString()}`,
  );
  printTable(
    [
      'contender',
      'calls',
      'pkt/s',
      'p50 ms',
      'p99 ms',
      'added p50',
      'added p99',
      'loss %',
      'relay CPU %',
      'CPU µs/pkt',
      'calls/core',
      'gen lag ms',
    ],
    results.map((r) => {
      const base = floor.get(r.calls)!;
      return [
        r.contender,
        r.calls,
        r.sent / SECONDS,
        r.p50.toFixed(3),
        r.p99.toFixed(3),
        r === base ? '-' : (r.p50 - base.p50).toFixed(3),
        r === base ? '-' : (r.p99 - base.p99).toFixed(3),
        (r.loss * 100).toFixed(3),
        r.busy === null ? '-' : (r.busy * 100).toFixed(1),
        r.busy === null ? '-' : costPerPacket(r).toFixed(2),
        r.busy === null ? '-' : Math.floor(1 / (costPerPacket(r) * 1e-6 * 100)),
        r.generatorLagMs.toFixed(1),
      ];
    }),
  );
  // A level says something about the relays only if the generator kept up on the direct path.
  const valid = (calls: number) => {
    const base = floor.get(calls)!;
    return base.loss === 0 && base.p99 < 2 && base.generatorLagMs < 10;
  };
  const invalid = LEVELS.filter((calls) => !valid(calls));
  if (invalid.length) {
    console.log(
      `\ngenerator-limited levels (direct path lossy or late; latency and loss there measure this machine): ${invalid.join(', ')}`,
    );
  }
  const capacity = (name: string) => {
    let best = 0;
    for (const r of results) {
      if (r.contender !== name || !valid(r.calls)) continue;
      const base = floor.get(r.calls)!;
      if (r.loss === 0 && r.p99 - base.p99 < 1) best = Math.max(best, r.calls);
    }
    return best;
  };
  const ours = capacity('strowger (1 worker)');
  console.log(`capacity (zero loss, added p99 < 1 ms, valid levels): strowger ${ours} calls`);
  if (!('reason' in peer)) {
    const theirs = capacity('rtpengine (userspace, 1 thread)');
    console.log(
      `capacity: rtpengine ${theirs} calls; ratio strowger/rtpengine ${theirs ? (ours / theirs).toFixed(2) : 'n/a'}`,
    );
    const top = LEVELS.filter((level) => level <= Math.min(ours, theirs)).at(-1);
    const cost = (name: string) => {
      const rows = results.filter((r) => r.contender.startsWith(name) && r.busy !== null);
      return rows.reduce((sum, r) => sum + costPerPacket(r), 0) / rows.length;
    };
    console.log(
      `CPU per relayed packet, mean over levels: strowger ${cost('strowger').toFixed(2)} µs, node forwarder ` +
        `${cost('node').toFixed(2)} µs, rtpengine ${cost('rtpengine').toFixed(2)} µs; ` +
        `ratio strowger/rtpengine ${(cost('strowger') / cost('rtpengine')).toFixed(2)}`,
    );
    if (top) {
      const mine = results.find((r) => r.calls === top && r.contender.startsWith('strowger'))!;
      const other = results.find((r) => r.calls === top && r.contender.startsWith('rtpengine'))!;
      console.log(
        `at ${top} calls: busy ratio strowger/rtpengine ${((mine.busy ?? 0) / (other.busy ?? 1)).toFixed(2)}, ` +
          `added p99 ${(mine.p99 - floor.get(top)!.p99).toFixed(3)} ms vs ${(other.p99 - floor.get(top)!.p99).toFixed(3)} ms`,
      );
    }
    peer.client.close();
    peer.child.kill('SIGTERM');
  }
  forwarder.kill('SIGTERM');
  await engine.close();
  for (const socket of sockets) socket.close();
}

if (process.argv[2] === '--forwarder') await runForwarder();
else await main();
