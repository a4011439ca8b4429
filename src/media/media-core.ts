/**
 * Everything a media worker does, independent of how it is hosted: it owns endpoints (and their
 * sockets), the connections between them, players, DTMF senders, conferences and recorders, and
 * answers the controller's requests. A worker thread wraps it (media-worker.ts); so can the main
 * thread when no workers are wanted.
 */
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import type { Clock, TimerHandle } from './clock.js';
import type { ResolvedCodec } from './codec-table.js';
import { Conference } from './conference.js';
import { DtmfSender, MAX_QUEUED_DIGITS } from './dtmf-sender.js';
import { FrameTicker } from './frame-ticker.js';
import { G729Player, SharedG729Source } from './g729-player.js';
import { GeneratorClock } from './outgoing-stream.js';
import {
  ClipLibrary,
  ClipPlayer,
  type FileClips,
  type FileEncoding,
  SharedSource,
  SharedSourcePlayer,
} from './player.js';
import type { WorkerRequest, WorkerResult } from './protocol.js';
import { Recorder } from './recorder.js';
import { type EndpointContext, type FrameProducer, type Outlet, RelayEndpoint } from './relay-endpoint.js';
import { emptyRtpHeader, parseRtp, type RtpHeader } from './rtp-packet.js';
import { isDtmfDigit } from './telephone-event.js';
import {
  type CallProgressTone,
  type CodecName,
  type EndpointStats,
  MediaError,
  type MediaEvent,
  type PlaySource,
  type RecordingSummary,
  type ToneRegion,
} from './types.js';

const HOUSEKEEPING_MS = 100;
const THREAD_STAT = '/proc/thread-self/stat';
const TONES: ReadonlySet<string> = new Set<CallProgressTone>([
  'dial',
  'ringback',
  'busy',
  'reorder',
  'notInService',
]);
const REGIONS: ReadonlySet<string> = new Set<ToneRegion>(['north-america', 'itu']);

type FileSource = Extract<PlaySource, { kind: 'file' }>;
/** The shared source of an MOH class, G.711 or G.729. */
type MohSource = SharedSource | SharedG729Source;

/** Messages exchanged directly between workers when a connection spans two of them. */
export type PeerMessage =
  | { kind: 'relay'; to: string; codec: CodecName; transcode: boolean; packet: Uint8Array }
  | { kind: 'relay-rtcp'; to: string; packet: Uint8Array }
  /** A participant's decoded audio, to the worker mixing its conference. */
  | { kind: 'mix-in'; conference: string; from: string; samples: Int16Array }
  /** A participant's share of the mix, to the worker owning its endpoint. */
  | { kind: 'mix-out'; to: string; samples: Int16Array };

export interface PeerLink {
  postMessage(message: PeerMessage, transfer?: ArrayBuffer[]): void;
}

export interface MediaCoreOptions {
  address: string;
  clock: Clock;
  mediaTimeoutMs: number;
  emit(event: MediaEvent): void;
  cname?: string;
}

export class MediaCore {
  readonly ticker: FrameTicker;
  private readonly endpoints = new Map<string, RelayEndpoint>();
  private readonly peers = new Map<number, PeerLink>();
  private readonly producing = new Set<RelayEndpoint>();
  private readonly clips = new ClipLibrary();
  private readonly mohClasses = new Map<string, MohSource>();
  private readonly conferences = new Map<string, Conference>();
  private readonly recorders = new Map<RelayEndpoint, Recorder>();
  private readonly context: EndpointContext;
  private housekeepingTimer: TimerHandle | null = null;
  private readonly scratchHeader = emptyRtpHeader();
  private closed = false;

  constructor(private readonly options: MediaCoreOptions) {
    this.ticker = new FrameTicker(options.clock);
    this.context = {
      now: () => options.clock.now(),
      emit: options.emit,
      wallClockMs: () => Date.now(),
      cname: options.cname ?? `strowger@${options.address}`,
      defaultMediaTimeoutMs: options.mediaTimeoutMs,
    };
  }

  addPeer(worker: number, link: PeerLink): void {
    this.peers.set(worker, link);
  }

  /** Answers one controller request; failures reject with a MediaError. */
  async handle(request: WorkerRequest): Promise<WorkerResult> {
    if (this.closed) throw new MediaError('closed', 'media worker is closing');
    switch (request.op) {
      case 'allocate':
        return this.allocate(request.endpointId, request.rtpPort, request.rtcpPort, request);
      case 'update':
        this.endpoint(request.endpointId).update(request.settings);
        return undefined;
      case 'connect':
        this.connect(request.endpointId, request.peerId, request.peerWorker, request.transcode);
        return undefined;
      case 'disconnect':
        this.endpoint(request.endpointId).outlet = null;
        return undefined;
      case 'play':
        await this.play(request.endpointId, request.source);
        return undefined;
      case 'stop-play':
        this.stopPlay(this.endpoint(request.endpointId));
        return undefined;
      case 'send-dtmf':
        return this.sendDtmf(request);
      case 'create-conference':
        if (this.conferences.has(request.conferenceId))
          throw new MediaError('bad-request', 'conference exists');
        this.conferences.set(request.conferenceId, new Conference(request.conferenceId));
        this.startFrames();
        return undefined;
      case 'conference-add':
        this.conferenceAdd(request.conferenceId, request.endpointId, request.endpointWorker, request.gainDb);
        return undefined;
      case 'conference-remove':
        this.conferences.get(request.conferenceId)?.remove(request.endpointId);
        return undefined;
      case 'end-conference':
        this.conferences.delete(request.conferenceId);
        return undefined;
      case 'attach-conference':
        this.attachConference(request.endpointId, request.conferenceId, request.conferenceWorker);
        return undefined;
      case 'detach-conference': {
        const endpoint = this.endpoint(request.endpointId);
        endpoint.conferenceFeed = null;
        endpoint.outlet = null;
        return undefined;
      }
      case 'record':
        await this.record(request.endpointId, request.path);
        return undefined;
      case 'stop-record':
        return this.stopRecord(this.endpoint(request.endpointId));
      case 'release':
        await this.release(request.endpointId);
        return undefined;
      case 'stats':
        return { endpoints: this.stats(), cpuSeconds: threadCpuSeconds() };
      default:
        throw new MediaError('bad-request', `unknown operation ${(request as { op: string }).op}`);
    }
  }

  private async play(endpointId: string, source: PlaySource): Promise<void> {
    const endpoint = this.endpoint(endpointId);
    let player: FrameProducer;
    if (source?.kind === 'tone') {
      if (!endpoint.codecs.g711)
        throw new MediaError('codec-unsupported', 'playing audio needs G.711 on the leg');
      const region = source.region ?? 'north-america';
      if (!TONES.has(source.tone) || !REGIONS.has(region)) {
        throw new MediaError('bad-request', `unknown tone ${String(source.tone)} (${String(region)})`);
      }
      player = new ClipPlayer(this.clips.tone(source.tone, region), true);
    } else if (source?.kind === 'file' && typeof source.path === 'string' && source.path.length > 0) {
      if (source.encoding !== undefined && source.encoding !== 'g711' && source.encoding !== 'g729')
        throw new MediaError('bad-request', `unknown file encoding ${String(source.encoding)}`);
      player =
        source.encoding === 'g729'
          ? await this.g729Player(endpoint, source)
          : await this.g711Player(endpoint, source);
    } else {
      throw new MediaError('bad-request', 'a play source is a tone or a file path');
    }
    endpoint.player?.stop();
    endpoint.player = player;
    this.produce(endpoint);
  }

  private async g711Player(endpoint: RelayEndpoint, source: FileSource): Promise<FrameProducer> {
    if (!endpoint.codecs.g711)
      throw new MediaError('codec-unsupported', 'playing audio needs G.711 on the leg');
    const { path, mohClass } = source;
    const clip = await this.acquireFor(endpoint, path, 'g711');
    if (typeof mohClass !== 'string')
      return new ClipPlayer(clip, source.loop ?? false, () => this.clips.release(path, 'g711'));
    const shared = this.mohClass('g711', mohClass, path, () => new SharedSource(clip, this.ticker));
    return new SharedSourcePlayer(shared, () => this.leaveClass('g711', mohClass, path, shared));
  }

  /** G.729 frames go out as they are: the leg must have negotiated G.729 (RFC 3551 §4.5.6). */
  private async g729Player(endpoint: RelayEndpoint, source: FileSource): Promise<FrameProducer> {
    if (!endpoint.codecs.forName('G729'))
      throw new MediaError('codec-unsupported', 'playing G.729 needs G.729 on the leg');
    const { path, mohClass, ptimeMs } = source;
    const clip = await this.acquireFor(endpoint, path, 'g729');
    if (typeof mohClass !== 'string') {
      const options = { start: 0, loop: source.loop ?? false, ptimeMs };
      return new G729Player(clip, options, () => this.clips.release(path, 'g729'));
    }
    const shared = this.mohClass('g729', mohClass, path, () => new SharedG729Source(clip, this.ticker));
    shared.listeners++;
    return new G729Player(clip, { start: shared.position, loop: true, ptimeMs }, () => {
      shared.listeners--;
      this.leaveClass('g729', mohClass, path, shared);
    });
  }

  /** A file's clip for an endpoint that may be released while the file loads. */
  private async acquireFor<K extends FileEncoding>(
    endpoint: RelayEndpoint,
    path: string,
    encoding: K,
  ): Promise<FileClips[K]> {
    const clip = await this.clips.acquire(path, encoding);
    if (endpoint.isClosed) {
      this.clips.release(path, encoding);
      throw new MediaError('no-such-endpoint', `endpoint ${endpoint.id} was released`);
    }
    return clip;
  }

  /** The shared source of an MOH class, made on its first listener; it holds the clip after. */
  private mohClass<S extends MohSource>(
    encoding: FileEncoding,
    mohClass: string,
    path: string,
    create: () => S,
  ): S {
    const key = `${encoding}\u0000${mohClass}\u0000${path}`;
    const shared = this.mohClasses.get(key) as S | undefined;
    if (!shared) {
      const created = create();
      this.mohClasses.set(key, created);
      return created;
    }
    this.clips.release(path, encoding); // the class holds the clip already
    return shared;
  }

  /** After a listener left: the last one takes the class and its clip away. */
  private leaveClass(encoding: FileEncoding, mohClass: string, path: string, shared: MohSource): void {
    if (shared.listeners > 0) return;
    this.mohClasses.delete(`${encoding}\u0000${mohClass}\u0000${path}`);
    this.clips.release(path, encoding);
  }

  private stopPlay(endpoint: RelayEndpoint): void {
    endpoint.player?.stop();
    endpoint.player = null;
  }

  private sendDtmf(request: Extract<WorkerRequest, { op: 'send-dtmf' }>): Promise<undefined> {
    const endpoint = this.endpoint(request.endpointId);
    const { digit, durationMs, method } = request;
    if (!isDtmfDigit(digit)) throw new MediaError('bad-request', `not a DTMF digit: ${String(digit)}`);
    if (!Number.isInteger(durationMs) || durationMs < 40 || durationMs > 5000) {
      throw new MediaError('bad-request', `DTMF duration ${durationMs} ms is outside 40–5000`);
    }
    if (method === 'rfc4733' && !endpoint.codecs.forName('telephone-event')) {
      throw new MediaError('codec-unsupported', 'the leg did not negotiate telephone-event');
    }
    if (method === 'inband' && !endpoint.codecs.g711) {
      throw new MediaError('codec-unsupported', 'in-band DTMF needs G.711 on the leg');
    }
    if (method !== 'rfc4733' && method !== 'inband')
      throw new MediaError('bad-request', `unknown DTMF method ${method}`);
    endpoint.dtmfSender ??= new DtmfSender();
    const sender = endpoint.dtmfSender;
    return new Promise((resolve, reject) => {
      const queued = sender.enqueue({
        digit,
        durationMs,
        method,
        done: (error) => (error ? reject(error) : resolve(undefined)),
      });
      if (!queued) reject(new MediaError('busy', `more than ${MAX_QUEUED_DIGITS} digits waiting`));
      else this.produce(endpoint);
    });
  }

  private async record(endpointId: string, path: string): Promise<void> {
    const endpoint = this.endpoint(endpointId);
    if (typeof path !== 'string' || path.length === 0)
      throw new MediaError('bad-request', 'a recording needs a file path');
    if (endpoint.tap) throw new MediaError('busy', `endpoint ${endpointId} is already being recorded`);
    let recorder: Recorder;
    try {
      recorder = await Recorder.start(path);
    } catch (error) {
      throw new MediaError('file-unwritable', `${path}: ${(error as Error).message}`);
    }
    if (endpoint.isClosed || endpoint.tap) {
      await recorder.stop();
      throw new MediaError('busy', `endpoint ${endpointId} was released or is already being recorded`);
    }
    endpoint.tap = recorder;
    this.recorders.set(endpoint, recorder);
    this.startFrames();
  }

  private async stopRecord(endpoint: RelayEndpoint): Promise<RecordingSummary> {
    const recorder = this.recorders.get(endpoint);
    if (!recorder) throw new MediaError('bad-request', `endpoint ${endpoint.id} is not being recorded`);
    this.recorders.delete(endpoint);
    endpoint.tap = null;
    return recorder.stop();
  }

  private conference(conferenceId: string): Conference {
    const conference = this.conferences.get(conferenceId);
    if (!conference)
      throw new MediaError('no-such-conference', `no conference ${conferenceId} on this worker`);
    return conference;
  }

  private conferenceAdd(
    conferenceId: string,
    endpointId: string,
    endpointWorker: number | null,
    gainDb: number,
  ): void {
    const conference = this.conference(conferenceId);
    if (!Number.isFinite(gainDb))
      throw new MediaError('bad-request', 'participant gain must be a number of dB');
    if (endpointWorker === null) {
      const endpoint = this.endpoint(endpointId);
      conference.add(endpointId, gainDb, (samples) => endpoint.sendConferenceAudio(samples));
      return;
    }
    const link = this.link(endpointWorker);
    conference.add(endpointId, gainDb, (samples) => {
      const copy = samples.slice();
      link.postMessage({ kind: 'mix-out', to: endpointId, samples: copy }, [copy.buffer]);
    });
  }

  private attachConference(endpointId: string, conferenceId: string, conferenceWorker: number | null): void {
    const endpoint = this.endpoint(endpointId);
    if (!endpoint.codecs.g711)
      throw new MediaError('codec-unsupported', 'a conference participant needs G.711');
    endpoint.outlet =
      conferenceWorker === null
        ? new ConferenceOutlet(this.conference(conferenceId))
        : new RemoteConferenceOutlet(this.link(conferenceWorker), conferenceId);
    endpoint.conferenceFeed = new GeneratorClock();
  }

  private link(worker: number): PeerLink {
    const link = this.peers.get(worker);
    if (!link) throw new MediaError('bad-request', `no link to worker ${worker}`);
    return link;
  }

  /** Puts an endpoint on the frame clock for its DTMF sender or player. */
  private produce(endpoint: RelayEndpoint): void {
    this.producing.add(endpoint);
    this.startFrames();
  }

  private startFrames(): void {
    this.ticker.add(this.tick);
  }

  /**
   * One 20 ms frame: every producing endpoint sends from its highest-priority producer, then the
   * conferences mix.
   */
  private readonly tick = (): void => {
    for (const endpoint of this.producing) {
      if (endpoint.isClosed) {
        this.producing.delete(endpoint);
      } else if (endpoint.dtmfSender) {
        if (!endpoint.dtmfSender.tick(endpoint)) endpoint.dtmfSender = null;
      } else if (endpoint.player) {
        if (!endpoint.player.tick(endpoint)) {
          endpoint.player = null;
          this.options.emit({ type: 'play-ended', endpointId: endpoint.id });
        }
      }
      if (!endpoint.dtmfSender && !endpoint.player) this.producing.delete(endpoint);
    }
    for (const conference of this.conferences.values()) conference.tick();
    for (const recorder of this.recorders.values()) recorder.tick();
    if (this.producing.size === 0 && this.conferences.size === 0 && this.recorders.size === 0) {
      this.ticker.delete(this.tick);
    }
  };

  /** A message from another worker: media for one of this worker's endpoints. */
  receivePeerMessage(message: PeerMessage): void {
    if (message.kind === 'mix-in') {
      this.conferences.get(message.conference)?.input(message.from, message.samples, message.samples.length);
      return;
    }
    const endpoint = this.endpoints.get(message.to);
    if (!endpoint) return;
    if (message.kind === 'mix-out') {
      endpoint.sendConferenceAudio(message.samples);
      return;
    }
    const packet = Buffer.from(message.packet.buffer, message.packet.byteOffset, message.packet.byteLength);
    if (message.kind === 'relay-rtcp') {
      endpoint.sendRtcp(packet);
      return;
    }
    if (parseRtp(packet, this.scratchHeader) !== null) return;
    endpoint.relay(packet, this.scratchHeader, message.codec, message.transcode, this.options.clock.now());
  }

  private async allocate(
    endpointId: string,
    rtpPort: number,
    rtcpPort: number,
    request: Extract<WorkerRequest, { op: 'allocate' }>,
  ): Promise<WorkerResult> {
    if (this.endpoints.has(endpointId)) throw new MediaError('bad-request', `endpoint ${endpointId} exists`);
    let rtp: Socket | null = null;
    let rtcp: Socket | null = null;
    try {
      rtp = await bindSocket(this.options.address, rtpPort);
      rtcp = await bindSocket(this.options.address, rtcpPort);
    } catch (error) {
      await Promise.all([rtp, rtcp].map((socket) => (socket ? closeSocket(socket) : undefined)));
      const code = (error as NodeJS.ErrnoException).code;
      return { bound: false, portInUse: code === 'EADDRINUSE' || code === 'EACCES', message: String(error) };
    }
    const endpoint = new RelayEndpoint(endpointId, rtp, rtcp, this.context, request.settings);
    this.endpoints.set(endpointId, endpoint);
    this.startHousekeeping();
    return { bound: true };
  }

  private connect(endpointId: string, peerId: string, peerWorker: number | null, transcode: boolean): void {
    const endpoint = this.endpoint(endpointId);
    if (peerWorker === null) {
      endpoint.outlet = new PeerOutlet(this.endpoint(peerId), transcode);
      return;
    }
    endpoint.outlet = new RemotePeerOutlet(this.link(peerWorker), peerId, transcode);
  }

  private async release(endpointId: string): Promise<void> {
    const endpoint = this.endpoints.get(endpointId);
    if (!endpoint) throw new MediaError('no-such-endpoint', `no endpoint ${endpointId}`);
    this.endpoints.delete(endpointId);
    // Whoever relays into this endpoint stops doing so.
    for (const other of this.endpoints.values()) {
      if (other.outlet instanceof PeerOutlet && other.outlet.peer === endpoint) other.outlet = null;
    }
    for (const conference of this.conferences.values()) conference.remove(endpointId);
    if (this.recorders.has(endpoint)) await this.stopRecord(endpoint);
    await endpoint.close();
    this.options.emit({ type: 'stats', stats: endpoint.stats() });
    if (this.endpoints.size === 0) this.stopHousekeeping();
  }

  endpoint(endpointId: string): RelayEndpoint {
    const endpoint = this.endpoints.get(endpointId);
    if (!endpoint) throw new MediaError('no-such-endpoint', `no endpoint ${endpointId}`);
    return endpoint;
  }

  stats(): EndpointStats[] {
    return [...this.endpoints.values()].map((endpoint) => endpoint.stats());
  }

  private startHousekeeping(): void {
    if (this.housekeepingTimer) return;
    const run = () => {
      const now = this.options.clock.now();
      for (const endpoint of this.endpoints.values()) endpoint.housekeep(now);
      this.housekeepingTimer = this.options.clock.setTimeout(run, HOUSEKEEPING_MS);
    };
    this.housekeepingTimer = this.options.clock.setTimeout(run, HOUSEKEEPING_MS);
  }

  private stopHousekeeping(): void {
    if (this.housekeepingTimer) this.options.clock.clearTimeout(this.housekeepingTimer);
    this.housekeepingTimer = null;
  }

  /** Closes every endpoint; the ports are free when the promise settles. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopHousekeeping();
    this.ticker.stop();
    for (const endpoint of [...this.recorders.keys()]) await this.stopRecord(endpoint);
    const endpoints = [...this.endpoints.values()];
    this.endpoints.clear();
    await Promise.all(endpoints.map((endpoint) => endpoint.close()));
  }
}

class PeerOutlet implements Outlet {
  constructor(
    readonly peer: RelayEndpoint,
    private readonly transcode: boolean,
  ) {}

  deliver(packet: Buffer, header: RtpHeader, codec: ResolvedCodec, _from: RelayEndpoint, now: number): void {
    this.peer.relay(packet, header, codec.name, this.transcode, now);
  }

  deliverRtcp(packet: Buffer): void {
    this.peer.sendRtcp(packet);
  }
}

/** Media for a peer on another worker crosses as a copied, transferred buffer. */
class RemotePeerOutlet implements Outlet {
  constructor(
    private readonly link: PeerLink,
    private readonly peerId: string,
    private readonly transcode: boolean,
  ) {}

  deliver(packet: Buffer, _header: RtpHeader, codec: ResolvedCodec): void {
    const copy = new Uint8Array(packet);
    this.link.postMessage(
      { kind: 'relay', to: this.peerId, codec: codec.name, transcode: this.transcode, packet: copy },
      [copy.buffer],
    );
  }

  deliverRtcp(packet: Buffer): void {
    const copy = new Uint8Array(packet);
    this.link.postMessage({ kind: 'relay-rtcp', to: this.peerId, packet: copy }, [copy.buffer]);
  }
}

/** A participant's received audio goes to the conference on this worker. */
class ConferenceOutlet implements Outlet {
  constructor(private readonly conference: Conference) {}

  deliver(packet: Buffer, header: RtpHeader, codec: ResolvedCodec, from: RelayEndpoint): void {
    const length = from.decodePayload(packet, header, codec);
    if (length > 0) this.conference.input(from.id, from.decodedSamples, length);
  }

  deliverRtcp(): void {
    // Each participant's own endpoint reports for its leg; nothing crosses the mixer.
  }
}

class RemoteConferenceOutlet implements Outlet {
  constructor(
    private readonly link: PeerLink,
    private readonly conferenceId: string,
  ) {}

  deliver(packet: Buffer, header: RtpHeader, codec: ResolvedCodec, from: RelayEndpoint): void {
    const length = from.decodePayload(packet, header, codec);
    if (length <= 0) return;
    const samples = from.decodedSamples.slice(0, length);
    this.link.postMessage({ kind: 'mix-in', conference: this.conferenceId, from: from.id, samples }, [
      samples.buffer,
    ]);
  }

  deliverRtcp(): void {
    // As for a local conference.
  }
}

/**
 * CPU time of the calling thread, from Linux's /proc/thread-self (utime + stime in clock ticks,
 * USER_HZ = 100 on every common Linux); null where that file does not exist.
 */
function threadCpuSeconds(): number | null {
  if (!existsSync(THREAD_STAT)) return null;
  const text = readFileSync(THREAD_STAT, 'latin1');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function bindSocket(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4' });
    const onError = (error: Error) => {
      socket.close();
      reject(error);
    };
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}
