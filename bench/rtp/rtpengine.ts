/**
 * The peer relay: Debian's rtpengine (`rtpengine-daemon`) in userspace mode (no kernel
 * forwarding table) with one worker thread, driven over its ng control protocol (bencode over
 * UDP: ping, offer, answer, delete).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Placement, placedCommand } from './placement.js';

const NG_PORT = 22230;
const PORT_RANGE = [36000, 59999] as const;
/** ng commands in flight at once while setting up or tearing down. */
const CONCURRENCY = 16;

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

/** Decodes the daemon's replies (trusted input: a local program this benchmark started). */
function bdecode(text: Buffer, at = { offset: 0 }): Bencode {
  const first = text[at.offset];
  if (first === 0x69 /* i */) {
    const end = text.indexOf(0x65, at.offset);
    const value = Number(text.toString('latin1', at.offset + 1, end));
    at.offset = end + 1;
    return value;
  }
  if (first === 0x6c /* l */ || first === 0x64 /* d */) {
    at.offset++;
    const items: Bencode[] = [];
    while (at.offset < text.length && text[at.offset] !== 0x65) items.push(bdecode(text, at));
    at.offset++;
    if (first === 0x6c) return items;
    const dict: Record<string, Bencode> = {};
    for (let i = 0; i + 1 < items.length; i += 2) dict[String(items[i])] = items[i + 1]!;
    return dict;
  }
  const colon = text.indexOf(0x3a, at.offset);
  const length = Number(text.toString('latin1', at.offset, colon));
  at.offset = colon + 1 + length;
  return text.toString('utf8', colon + 1, at.offset);
}

class NgClient {
  private readonly pending = new Map<string, (reply: Record<string, Bencode>) => void>();
  private next = 1;

  constructor(private readonly socket: Socket) {
    socket.on('message', (data) => {
      const space = data.indexOf(0x20);
      if (space < 0) return;
      const cookie = data.toString('latin1', 0, space);
      const waiter = this.pending.get(cookie);
      this.pending.delete(cookie);
      waiter?.(bdecode(data.subarray(space + 1)) as Record<string, Bencode>);
    });
  }

  /**
   * Sends a command; a lost datagram is sent again with the same cookie, which the daemon
   * answers from its cache of recent replies instead of running the command twice.
   */
  command(
    message: Record<string, Bencode>,
    timeoutMs = 1000,
    attempts = 5,
  ): Promise<Record<string, Bencode>> {
    const cookie = `c${this.next++}`;
    const datagram = `${cookie} ${bencode(message)}`;
    return new Promise((resolve, reject) => {
      let left = attempts;
      const send = () => {
        if (left-- === 0) {
          this.pending.delete(cookie);
          reject(new Error(`ng ${String(message.command)} timed out`));
          return;
        }
        this.socket.send(datagram, NG_PORT, '127.0.0.1');
        timer = setTimeout(send, timeoutMs);
      };
      let timer: NodeJS.Timeout | undefined;
      this.pending.set(cookie, (reply) => {
        clearTimeout(timer);
        // ping answers {result: pong}
        if (reply.result === 'ok' || reply.result === 'pong') resolve(reply);
        else reject(new Error(`ng ${String(message.command)}: ${JSON.stringify(reply)}`));
      });
      send();
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

async function inChunks<T, R>(
  items: readonly T[],
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += CONCURRENCY) {
    results.push(...(await Promise.all(items.slice(i, i + CONCURRENCY).map((item, j) => work(item, i + j)))));
  }
  return results;
}

export class Rtpengine {
  private callIds: string[] = [];
  private generation = 0;

  private constructor(
    private readonly child: ChildProcess,
    private readonly client: NgClient,
  ) {}

  /** Starts the daemon; a string says why it cannot run here. */
  static async start(placement: Placement): Promise<Rtpengine | string> {
    if (spawnSync('sh', ['-c', 'command -v rtpengine'], { stdio: 'ignore' }).status !== 0) {
      return 'rtpengine not installed (Debian package rtpengine-daemon)';
    }
    const args = [
      '--foreground',
      '--log-stderr',
      '--log-level=3',
      '--table=-1', // userspace forwarding, no kernel module
      '--interface=127.0.0.1',
      `--listen-ng=127.0.0.1:${NG_PORT}`,
      `--port-min=${PORT_RANGE[0]}`,
      `--port-max=${PORT_RANGE[1]}`,
      '--num-threads=1',
      '--timeout=600',
      `--pidfile=${path.join(tmpdir(), `strowger-bench-rtpengine-${process.pid}.pid`)}`,
      '--config-file=none',
    ];
    const child = spawn(...placedCommand('rtpengine', args, placement), {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
    });
    // Replies to delete carry the call's statistics: room for a burst of them.
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const client = new NgClient(socket);
    for (let attempt = 0; attempt < 50 && child.exitCode === null; attempt++) {
      try {
        await client.command({ command: 'ping' }, 200, 1);
        return new Rtpengine(child, client);
      } catch {
        // not listening yet
      }
    }
    child.kill();
    client.close();
    return `rtpengine did not answer ng ping: ${log}`;
  }

  /** nice and taskset exec rtpengine, so the child's pid is the daemon's. */
  get pid(): number {
    return this.child.pid!;
  }

  /** One call per pair of generator ports (A, B); returns the port each side sends to. */
  async calls(remotes: ReadonlyArray<readonly [number, number]>): Promise<Array<[number, number]>> {
    const generation = ++this.generation;
    return inChunks(remotes, async ([portA, portB], call) => {
      const id = `bench-${generation}-${call}`;
      this.callIds.push(id);
      const offer = await this.client.command({
        command: 'offer',
        'call-id': id,
        'from-tag': 'a',
        sdp: sdp(portA),
      });
      const answer = await this.client.command({
        command: 'answer',
        'call-id': id,
        'from-tag': 'a',
        'to-tag': 'b',
        sdp: sdp(portB),
      });
      // The offer's rewritten SDP goes to B (B sends there to reach A); the answer's to A.
      return [sdpPort(answer.sdp), sdpPort(offer.sdp)];
    });
  }

  async clear(): Promise<void> {
    const ids = this.callIds;
    this.callIds = [];
    await inChunks(ids, (id) => this.client.command({ command: 'delete', 'call-id': id, 'from-tag': 'a' }));
  }

  async stop(): Promise<void> {
    this.client.close();
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}
