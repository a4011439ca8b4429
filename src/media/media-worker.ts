/** Entry point of a media worker thread: a MediaCore driven by messages from the controller. */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { systemClock } from './clock.js';
import { MediaCore, type PeerMessage } from './media-core.js';
import type { ControllerMessage, WorkerMessage } from './protocol.js';
import { MediaError } from './types.js';

export interface MediaWorkerData {
  address: string;
  mediaTimeoutMs: number;
}

if (!parentPort) throw new Error('media-worker.ts runs only as a worker thread');
const port = parentPort;
const data = workerData as MediaWorkerData;
const post = (message: WorkerMessage) => port.postMessage(message);

const core = new MediaCore({
  address: data.address,
  clock: systemClock,
  mediaTimeoutMs: data.mediaTimeoutMs,
  emit: (event) => post({ event }),
});

port.on('message', (message: ControllerMessage) => {
  if ('peers' in message) {
    for (const peer of message.peers) {
      const link: MessagePort = peer.port;
      link.on('message', (peerMessage: PeerMessage) => core.receivePeerMessage(peerMessage));
      core.addPeer(peer.worker, link);
    }
    return;
  }
  core.handle(message.request).then(
    (result) => post({ id: message.id, ok: true, result }),
    (error: unknown) => {
      const code = error instanceof MediaError ? error.code : 'internal';
      post({
        id: message.id,
        ok: false,
        code,
        message: error instanceof Error ? error.message : String(error),
      });
    },
  );
});

port.postMessage({ ready: true });
