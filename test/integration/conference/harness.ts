/**
 * A node with the conference bridge on real sockets: the demo configuration's phones 201–203
 * (examples/demo.yaml), calls anchored in the real media engine, conference numbers routed before
 * the dial plan as the server wires them, and the management API over the bridge.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { type ConferenceBridge, createConferenceBridge } from '../../../src/adapters/media/index.js';
import { createSipCallHandler, type LineLocation } from '../../../src/adapters/sip-line/calls/index.js';
import { snapshotOfConfiguration, validateConfigText } from '../../../src/admin/index.js';
import { type CallCore, createCallCore } from '../../../src/core/index.js';
import { createConferenceRouter, createDialPlanRouter } from '../../../src/features/routing/index.js';
import { createMediaEngine, type MediaEngine } from '../../../src/media/index.js';
import { startCallMedia } from '../../../src/server/calls.js';
import {
  createDigestServer,
  createSipStack,
  type Endpoint as SipEndpoint,
  type SipStack,
  systemClock,
} from '../../../src/sip/index.js';
import type { MediaNode, MediaParty } from '../media-calls/harness.js';

export const FACTORY_NUMBER = '8800';
export const GAIN_DB = -6;

export interface ConferenceNode {
  readonly server: SipStack;
  readonly core: CallCore;
  readonly engine: MediaEngine;
  readonly bridge: ConferenceBridge;
  readonly locations: Map<string, LineLocation[]>;
  /** What the media-calls helpers (`dial`) read of a node. */
  readonly asMediaNode: MediaNode;
  close(): Promise<void>;
}

function demoSnapshot() {
  const text = readFileSync(new URL('../../../examples/demo.yaml', import.meta.url), 'utf8');
  const validated = validateConfigText(text, 'demo.yaml');
  if (!validated.ok) throw new Error('examples/demo.yaml does not validate');
  return snapshotOfConfiguration(validated.file.configuration);
}

/** `mediaTimeoutMs`: no RTP for this long from a party that should send hangs it up; 0 (default) never. */
export async function startConferenceNode(
  maxConferences: number,
  mediaTimeoutMs = 0,
): Promise<ConferenceNode> {
  const snapshot = demoSnapshot();
  const server = await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
  const locations = new Map<string, LineLocation[]>();
  let bridge: ConferenceBridge | undefined;
  const core = createCallCore({
    clock: systemClock,
    router: createConferenceRouter({
      conferences: { deviceFor: (dialed) => bridge?.deviceFor(dialed) },
      router: createDialPlanRouter({
        snapshot: () => snapshot,
        locations: { lookup: (dn) => locations.get(dn) ?? [] },
      }),
    }),
  });
  const base = 30_000 + Math.floor(Math.random() * 200) * 100;
  const engine = await createMediaEngine({
    address: '127.0.0.1',
    portRange: [base, base + 99],
    workers: 1,
    mediaTimeoutMs,
    maxConferences,
  });
  const { anchor, media } = startCallMedia({
    engine,
    snapshot: () => snapshot,
    mediaTimeoutMs,
    musicOnHold: {},
    logger: pino({ level: 'silent' }),
  });
  createSipCallHandler({
    stack: server,
    core,
    snapshot: () => snapshot,
    digest: createDigestServer({ realm: 'strowger', algorithms: ['MD5'] }),
    media,
  });
  bridge = createConferenceBridge({
    engine,
    core,
    anchor,
    maxConferences,
    gainDb: GAIN_DB,
    factoryNumber: FACTORY_NUMBER,
    roomPrefix: '*8',
    mediaTimeoutMs,
    callingSearchSpace: 'internal-css',
  });
  const running = bridge;
  const node = {
    server,
    core,
    engine,
    bridge: running,
    locations,
    close: async () => {
      await running.close();
      await server.close();
      anchor.close();
      await engine.close();
    },
  };
  // `dial` reads the node's SIP stack alone.
  return { ...node, asMediaNode: node as unknown as MediaNode };
}

/** The phone of `dn` registered at the node from its SIP port. */
export function registerPhone(node: ConferenceNode, dn: string, phone: MediaParty): void {
  const port = (phone.stack.listening()[0] as SipEndpoint).port;
  const source: SipEndpoint = { protocol: 'UDP', address: '127.0.0.1', port };
  node.locations.set(dn, [
    { phone: `phone-${dn}`, contact: `sip:${dn}@127.0.0.1:${port}`, path: [], source },
  ]);
}

/** The amplitude of the `frequency` component of `samples` (least-squares fit of a sine). */
export function toneAmplitude(samples: Int16Array, frequency: number): number {
  let sin = 0;
  let cos = 0;
  for (let i = 0; i < samples.length; i++) {
    const phase = (2 * Math.PI * frequency * i) / 8000;
    sin += (samples[i] ?? 0) * Math.sin(phase);
    cos += (samples[i] ?? 0) * Math.cos(phase);
  }
  return Math.hypot((2 * sin) / samples.length, (2 * cos) / samples.length);
}
