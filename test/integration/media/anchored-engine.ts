/**
 * The media anchor over a real engine on 127.0.0.1 (one worker, no media timeout), for tests that
 * drive the anchor directly, without SIP.
 */
import {
  createMediaAnchor,
  type MediaAnchor,
  type MediaAnchorOptions,
} from '../../../src/adapters/media/index.js';
import { createMediaEngine, type MediaEngine } from '../../../src/media/index.js';
import type { RtpPeer } from './rtp-peer.js';

export interface AnchoredEngine {
  readonly engine: MediaEngine;
  readonly anchor: MediaAnchor;
  close(): Promise<void>;
}

/**
 * Starts the engine on 100 ports, a block picked at random among the hundred blocks from
 * `firstPort` on (each test file its own `firstPort`, so that files running at once rarely
 * meet), and the anchor over it with `options` (no codec restrictions by default).
 */
export async function startAnchoredEngine(
  firstPort: number,
  options: Partial<Omit<MediaAnchorOptions, 'engine'>> = {},
): Promise<AnchoredEngine> {
  const base = firstPort + Math.floor(Math.random() * 100) * 100;
  const engine = await createMediaEngine({
    address: '127.0.0.1',
    portRange: [base, base + 99],
    workers: 1,
    mediaTimeoutMs: 0,
  });
  const anchor = createMediaAnchor({ codecs: {}, mediaTimeoutMs: 0, ...options, engine });
  return {
    engine,
    anchor,
    close: async () => {
      anchor.close();
      await engine.close();
    },
  };
}

/** A party's session description: `codec` alone at the peer's port, with `ptime` if given. */
export function peerSdp(peer: RtpPeer, codec: 'PCMU' | 'G729' = 'PCMU', ptime?: number) {
  const pt = codec === 'G729' ? 18 : 0;
  const lines = ['v=0', 'o=peer 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0'];
  lines.push(`m=audio ${peer.port} RTP/AVP ${pt}`, `a=rtpmap:${pt} ${codec}/8000`);
  if (codec === 'G729') lines.push('a=fmtp:18 annexb=no');
  if (ptime !== undefined) lines.push(`a=ptime:${ptime}`);
  return { contentType: 'application/sdp', body: Buffer.from(`${lines.join('\r\n')}\r\n`) };
}
