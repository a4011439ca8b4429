/**
 * What the media of a transfer relies on: the core's Transferred event names the connections
 * that moved and the call each left, the core's renegotiation offer is marked as a transfer's
 * and stops when the driver answers it without a description (it joined the parties itself),
 * and the media anchor moves a leg's endpoint between calls, releases the transferring party's
 * and joins the two remaining legs when their codecs allow.
 */
import { describe, expect, it } from 'vitest';
import { createMediaAnchor, type LegPolicy } from '../../../src/adapters/media/index.js';
import {
  type CallCore,
  type CallEvent,
  type Connection,
  createCallCore,
  type DeviceRef,
  type MediaDescription,
  type SessionUpdate,
  type SessionUpdateResult,
} from '../../../src/core/index.js';
import type { AllocateOptions, EndpointSettings, MediaEngine, PlaySource } from '../../../src/media/index.js';
import { FakeClock } from '../../../src/sip/clock.js';

const sdp = (text: string): MediaDescription => ({ contentType: 'application/sdp', body: Buffer.from(text) });
const device = (number: string): DeviceRef => ({ kind: 'phone', id: `phone-${number}`, number });

function coreWith(update: (connection: Connection, update: SessionUpdate) => SessionUpdateResult) {
  const offers: Connection[] = [];
  const updates: { connection: Connection; update: SessionUpdate }[] = [];
  const events: CallEvent[] = [];
  const core: CallCore = createCallCore({
    clock: new FakeClock(),
    router: { route: (request) => ({ ok: true, called: request.dialed, devices: [device(request.dialed)] }) },
  });
  core.registerDriver('phone', {
    offer: (connection) => offers.push(connection),
    progress: () => {},
    accept: () => {},
    release: () => {},
    update: async (connection, request) => {
      updates.push({ connection, update: request });
      return update(connection, request);
    },
  });
  core.events.on((event) => events.push(event));
  const connected = (from: string, to: string) => {
    const made = core.makeCall({ device: device(from), dialed: to, media: sdp(`offer of ${from}`) });
    if (!made.ok) throw new Error('refused');
    const callee = offers.at(-1) as Connection;
    core.reportAnswered(callee.id, sdp(`answer of ${to}`));
    return { caller: made.connection, callee };
  };
  return { core, updates, events, connected };
}

async function settled(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('the core for transfers of anchored media', () => {
  it('names the moved connection and its old call in a single step transfer', () => {
    const { core, events, connected } = coreWith(() => ({ ok: true }));
    const { caller, callee } = connected('201', '202');
    const oldCall = caller.callId;
    const result = core.singleStepTransfer(callee.id, '203');
    if (!result.ok) throw new Error('not transferred');
    const transferred = events.find((event) => event.type === 'transferred');
    expect(transferred).toMatchObject({
      callId: result.callId,
      primaryOldCall: oldCall,
      transferredConnections: [
        { connection: { connectionId: caller.id, callId: result.callId }, oldCallId: oldCall },
      ],
    });
  });

  it('names the consulted connection, marks its offer as a transfer’s and stops at an answer without a description', async () => {
    const { core, events, updates, connected } = coreWith(() => ({ ok: true }));
    const first = connected('5125550100', '201');
    core.hold(first.callee.id);
    const consultation = connected('201', '202');
    expect(core.transfer(first.callee.id, consultation.caller.id)).toEqual({ ok: true });
    expect(events.find((event) => event.type === 'transferred')).toMatchObject({
      callId: first.caller.callId,
      transferredConnections: [
        { connection: { connectionId: consultation.callee.id }, oldCallId: consultation.caller.callId },
      ],
    });
    await settled();
    // The driver joined the parties itself: the transferred party is sent nothing.
    expect(updates).toHaveLength(1);
    expect(updates[0]?.connection.id).toBe(consultation.callee.id);
    expect(updates[0]?.update).toMatchObject({ kind: 'offer', transfer: true });
  });

  it('relays the answer to the transferred party when the driver passes descriptions through', async () => {
    const { core, updates, connected } = coreWith((connection) => ({
      ok: true,
      media: sdp(`answer of ${connection.device.number}`),
    }));
    const first = connected('5125550100', '201');
    const consultation = connected('201', '202');
    core.transfer(first.callee.id, consultation.caller.id);
    await settled();
    expect(updates.map(({ connection }) => connection.device.number)).toEqual(['202', '5125550100']);
  });
});

/** An engine with no sockets that records what the anchor asks of it. */
function fakeEngine() {
  let port = 20000;
  let next = 0;
  const log: string[] = [];
  const engine = {
    async allocate(_options: AllocateOptions = {}) {
      port += 2;
      next++;
      return { id: `e${next}`, address: '203.0.113.5', rtpPort: port, rtcpPort: port + 1 };
    },
    async update(id: string, _settings: EndpointSettings) {
      log.push(`update ${id}`);
    },
    async connect(a: string, b: string) {
      log.push(`connect ${a} ${b}`);
    },
    async disconnect(id: string) {
      log.push(`disconnect ${id}`);
    },
    async play(id: string, _source: PlaySource) {
      log.push(`play ${id}`);
    },
    async stopPlay(id: string) {
      log.push(`stop-play ${id}`);
    },
    async release(id: string) {
      log.push(`release ${id}`);
    },
    onEvent() {
      return () => {};
    },
  } as unknown as MediaEngine;
  return { engine, log };
}

const party = (port: number, codec: 'PCMU' | 'PCMA' | 'G729', direction = 'sendrecv') => {
  const pt = { PCMU: 0, PCMA: 8, G729: 18 }[codec];
  return sdp(
    [
      'v=0',
      `o=- ${port} 1 IN IP4 192.0.2.1`,
      's=-',
      'c=IN IP4 192.0.2.1',
      't=0 0',
      `m=audio ${port} RTP/AVP ${pt}`,
      `a=rtpmap:${pt} ${codec}/8000`,
      `a=${direction}`,
      '',
    ].join('\r\n'),
  );
};

const PHONE: LegPolicy = { codecs: 'any', dtmfRelay: 'rtp-nte' };
const BOTH = { offerer: PHONE, answerer: PHONE };

/** An anchored call `callId` from leg `from` (sending `fromCodec`) answered by leg `to` (`toCodec`). */
async function anchoredCall(
  anchor: ReturnType<typeof createMediaAnchor>,
  callId: string,
  [from, fromCodec]: [string, 'PCMU' | 'PCMA' | 'G729'],
  [to, toCodec]: [string, 'PCMU' | 'PCMA' | 'G729'],
): Promise<void> {
  const offered = await anchor.anchorOffer(callId, from, party(30_000 + callId.length, fromCodec), BOTH);
  expect(offered.ok).toBe(true);
  const answered = await anchor.anchorAnswer(callId, to, party(31_000, toCodec), PHONE);
  expect(answered.ok).toBe(true);
}

describe('the media anchor for transfers', () => {
  const anchorOn = (engine: MediaEngine) =>
    createMediaAnchor({ engine, codecs: {}, mediaTimeoutMs: 0, musicOnHold: { default: '/moh.wav' } });

  it('moves a held leg to another call: same endpoint, music on hold stopped, its old call released without it', async () => {
    const { engine, log } = fakeEngine();
    const anchor = anchorOn(engine);
    await anchoredCall(anchor, '1', ['a', 'PCMU'], ['b', 'PCMU']);
    const endpoint = anchor.endpointOf('1', 'a');
    const held = anchor.endpointOf('1', 'b');
    expect((await anchor.hold('1', 'b')).ok).toBe(true);
    log.length = 0;
    expect(await anchor.moveLeg('a', '1', '2')).toEqual({ ok: true });
    expect(anchor.endpointOf('2', 'a')).toBe(endpoint);
    expect(anchor.endpointOf('1', 'a')).toBeNull();
    expect(log).toContain(`disconnect ${endpoint}`);
    expect(log).toContain(`stop-play ${endpoint}`);
    await anchor.release('1');
    expect(log.filter((line) => line.startsWith('release'))).toEqual([`release ${held}`]);
    // A new call's offer from the moved leg keeps its endpoint and allocates only the other.
    const offered = await anchor.anchorOffer('2', 'a', party(30_001, 'PCMU'), BOTH);
    expect(offered.ok).toBe(true);
    await anchor.anchorAnswer('2', 'c', party(31_002, 'PCMU'), PHONE);
    expect(anchor.endpointOf('2', 'a')).toBe(endpoint);
    expect(log.at(-1)).toBe(`connect ${endpoint} ${anchor.endpointOf('2', 'c')}`);
    expect(anchor.calls).toBe(1);
  });

  it('refuses to move a leg it does not know or into a call with two legs', async () => {
    const { engine } = fakeEngine();
    const anchor = anchorOn(engine);
    await anchoredCall(anchor, '1', ['a', 'PCMU'], ['b', 'PCMU']);
    await anchoredCall(anchor, '2', ['c', 'PCMU'], ['d', 'PCMU']);
    expect((await anchor.moveLeg('x', '1', '2')).ok).toBe(false);
    expect((await anchor.moveLeg('a', '1', '2')).ok).toBe(false);
    expect(anchor.endpointOf('1', 'a')).not.toBeNull();
  });

  it('joins the consulted leg with the held one after the transferring leg is released, transcoding G.711', async () => {
    const { engine, log } = fakeEngine();
    const anchor = anchorOn(engine);
    await anchoredCall(anchor, '1', ['a', 'PCMA'], ['b1', 'PCMU']);
    await anchoredCall(anchor, '2', ['b2', 'PCMU'], ['c', 'PCMU']);
    expect((await anchor.hold('1', 'b1')).ok).toBe(true);
    const [a, b1, c] = [
      anchor.endpointOf('1', 'a'),
      anchor.endpointOf('1', 'b1'),
      anchor.endpointOf('2', 'c'),
    ];
    log.length = 0;
    const released: string[] = [];
    anchor.onLegReleased((_call, leg) => released.push(leg));
    const steps = [anchor.releaseLeg('1', 'b1'), anchor.moveLeg('c', '2', '1'), anchor.join('1')];
    const [, moved, joined] = await Promise.all(steps);
    expect(moved).toEqual({ ok: true });
    expect(joined).toEqual({ ok: true, joined: true });
    expect(released).toEqual(['b1']);
    expect(log).toContain(`release ${b1}`);
    // The held party's music stops when its holder goes; the two are relayed where they already send.
    expect(log).toContain(`stop-play ${a}`);
    expect(log.slice(-2)).toEqual([
      `connect ${a} ${c}`,
      // Its media timeout, off while it was held, is armed again now that it talks to someone.
      `update ${a}`,
    ]);
  });

  it('asks for a new offer when the joined legs cannot take each other’s codecs', async () => {
    const { engine, log } = fakeEngine();
    const anchor = anchorOn(engine);
    await anchoredCall(anchor, '1', ['a', 'G729'], ['b1', 'G729']);
    await anchoredCall(anchor, '2', ['b2', 'PCMU'], ['c', 'PCMU']);
    await anchor.releaseLeg('1', 'b1');
    await anchor.moveLeg('c', '2', '1');
    log.length = 0;
    expect(await anchor.join('1')).toEqual({ ok: true, joined: false });
    expect(log.filter((line) => line.startsWith('connect'))).toEqual([]);
  });
});
