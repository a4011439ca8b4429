/** Messages between the controller (main thread) and a media worker. Plain structured-clone data. */
import type {
  AllocateOptions,
  DtmfDigit,
  DtmfMethod,
  EndpointSettings,
  EndpointStats,
  MediaErrorCode,
  MediaEvent,
  PlaySource,
  RecordingSummary,
} from './types.js';

/** `null` for a worker means "the same worker as the one receiving the request". */
export type WorkerRequest =
  | { op: 'allocate'; endpointId: string; rtpPort: number; rtcpPort: number; settings: AllocateOptions }
  | { op: 'update'; endpointId: string; settings: EndpointSettings }
  | { op: 'connect'; endpointId: string; peerId: string; peerWorker: number | null; transcode: boolean }
  | { op: 'disconnect'; endpointId: string }
  | { op: 'play'; endpointId: string; source: PlaySource }
  | { op: 'stop-play'; endpointId: string }
  | { op: 'send-dtmf'; endpointId: string; digit: DtmfDigit; durationMs: number; method: DtmfMethod }
  | { op: 'create-conference'; conferenceId: string }
  | {
      op: 'conference-add';
      conferenceId: string;
      endpointId: string;
      endpointWorker: number | null;
      gainDb: number;
    }
  | { op: 'conference-remove'; conferenceId: string; endpointId: string }
  | { op: 'end-conference'; conferenceId: string }
  | { op: 'attach-conference'; endpointId: string; conferenceId: string; conferenceWorker: number | null }
  | { op: 'detach-conference'; endpointId: string }
  | { op: 'record'; endpointId: string; path: string }
  | { op: 'stop-record'; endpointId: string }
  | { op: 'release'; endpointId: string }
  | { op: 'stats' };

export type AllocateResult = { bound: true } | { bound: false; portInUse: boolean; message: string };

export interface WorkerStats {
  endpoints: EndpointStats[];
  /** CPU time the worker thread has used, where the platform tells (Linux). */
  cpuSeconds: number | null;
}

export type WorkerResult = undefined | AllocateResult | RecordingSummary | WorkerStats;

/** From the controller: a request, or the message ports to the other workers (sent once at start). */
export type ControllerMessage =
  | { id: number; request: WorkerRequest }
  | { peers: Array<{ worker: number; port: import('node:worker_threads').MessagePort }> };

export type WorkerMessage =
  | { id: number; ok: true; result: WorkerResult }
  | { id: number; ok: false; code: MediaErrorCode; message: string }
  | { event: MediaEvent };
