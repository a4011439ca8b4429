/**
 * Calls through a node that anchors their media: the audio each party hears is checked, not the
 * signalling alone.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Dialog } from '../../../src/sip/index.js';
import { sleep } from '../media/rtp-peer.js';
import {
  dial,
  heard,
  type MediaNode,
  type MediaParty,
  MOH_HZ,
  PAYLOAD_TYPE,
  PHONE_202,
  register,
  sdpTarget,
  share,
  startMediaNode,
  startPhone,
  toneFrames,
  toneSnrDb,
} from './harness.js';

/** Both parties talk for `frames` × 20 ms, each its own tone toward where the node told it. */
async function talk(a: MediaParty, aHz: number, b: MediaParty, bHz: number, frames = 50): Promise<void> {
  await Promise.all([
    a.rtp.stream(a.target, toneFrames(aHz, frames, a.law), PAYLOAD_TYPE[a.law]),
    b.rtp.stream(b.target, toneFrames(bHz, frames, b.law), PAYLOAD_TYPE[b.law]),
  ]);
}

describe('anchored phone calls', () => {
  let node: MediaNode;
  let caller: MediaParty;
  let called: MediaParty;

  beforeAll(async () => {
    node = await startMediaNode();
  });
  afterAll(() => node.close());
  afterEach(async () => {
    for (const call of node.core.calls())
      for (const connection of call.connections) node.core.clear(connection.id);
    await Promise.all([caller?.close(), called?.close()]);
  });

  /** 201 (μ-law) calls 202 (A-law); both answer with their own law only. */
  async function connect(): Promise<{ answer: string; dialog: Dialog }> {
    caller = await startPhone('ulaw');
    called = await startPhone('alaw');
    register(node, '202', called, PHONE_202);
    const attempt = await dial(caller, node, '201', '202');
    const { response, dialog } = await attempt.waitFor('final');
    expect(response.status).toBe(200);
    if (dialog === undefined) throw new Error('the 200 made no dialog');
    const answer = response.body.toString();
    caller.received.push(answer);
    return { answer, dialog };
  }

  it('points each phone at Strowger and lets a μ-law and an A-law phone hear each other', async () => {
    const { answer } = await connect();
    const offer = called.received[0] ?? '';
    // The called phone is sent Strowger's endpoint, with A-law reachable through the transcoder.
    expect(sdpTarget(offer).rtpPort).not.toBe(caller.rtp.port);
    expect(offer).toMatch(/a=rtpmap:8 PCMA\/8000/);
    expect(sdpTarget(answer).rtpPort).not.toBe(called.rtp.port);
    expect(sdpTarget(answer).rtpPort).not.toBe(sdpTarget(offer).rtpPort);
    expect(answer).toMatch(/m=audio \d+ RTP\/AVP 0 101/);

    await talk(caller, 1000, called, 1500);
    await caller.rtp.until(() => heard(caller).length >= 40 * 160, 3000, 'the A-law voice');
    await called.rtp.until(() => heard(called).length >= 40 * 160, 3000, 'the μ-law voice');
    const atCaller = heard(caller).subarray(10 * 160);
    const atCalled = heard(called).subarray(10 * 160);
    expect(toneSnrDb(atCaller, 1500)).toBeGreaterThan(25);
    expect(toneSnrDb(atCalled, 1000)).toBeGreaterThan(25);
  });

  it('plays music on hold to the held phone and gives the voice back on retrieve', async () => {
    const { dialog } = await connect();
    const hold = await caller.stack.requestInDialog(dialog, 'INVITE', {
      body: caller.sdp('sendonly'),
      contentType: 'application/sdp',
    });
    expect(hold.status).toBe(200);
    expect(hold.body.toString()).toMatch(/a=recvonly/);
    // Nothing reaches the held phone: the node holds the call itself.
    expect(called.reinvites).toHaveLength(0);
    const before = called.rtp.received.length;
    await called.rtp.until(() => heard(called, before).length >= 40 * 160, 3000, 'music on hold');
    expect(share(heard(called, before).subarray(10 * 160), MOH_HZ)).toBeGreaterThan(0.8);

    const retrieve = await caller.stack.requestInDialog(dialog, 'INVITE', {
      body: caller.sdp('sendrecv'),
      contentType: 'application/sdp',
    });
    expect(retrieve.status).toBe(200);
    expect(retrieve.body.toString()).toMatch(/a=sendrecv/);
    await sleep(100);
    const after = called.rtp.received.length;
    await caller.rtp.stream(caller.target, toneFrames(1000, 50, 'ulaw'), 0);
    await called.rtp.until(() => heard(called, after).length >= 40 * 160, 3000, 'the voice again');
    const voice = heard(called, after).subarray(10 * 160);
    expect(share(voice, 1000)).toBeGreaterThan(0.8);
    expect(share(voice, MOH_HZ)).toBeLessThan(0.05);
  });
});
