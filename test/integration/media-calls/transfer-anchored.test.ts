/**
 * Transfers of calls whose media the node anchors, driven by REFER (RFC 3515) from a phone: the
 * moved party keeps its endpoint (no new offer, one RTP stream toward it), the party on hold
 * stops hearing music on hold, and the two remaining parties hear each other's tones through
 * the anchor, across μ-law and A-law. Also the media timeout's cause in the call record and
 * in the BYE's Reason (RFC 3326).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Dialog } from '../../../src/sip/index.js';
import { sleep } from '../media/rtp-peer.js';
import {
  carrierDials,
  clearCalls,
  DID_201,
  dialAnswered,
  eventually,
  heard,
  hearEachOther,
  type Law,
  type MediaNode,
  type MediaParty,
  MOH_HZ,
  Parties,
  PHONE_201,
  PHONE_202,
  PSTN_NUMBER,
  refer,
  register,
  share,
  startMediaNode,
} from './harness.js';

const parties = new Parties();
afterEach(() => parties.closeAll());

/** The carrier's gateway calling `number` at the node; answered by the phone the number reaches. */
async function carrierCalls(node: MediaNode, law: Law, number: string): Promise<MediaParty> {
  const gateway = await parties.callingGateway(node, law);
  expect((await carrierDials(node, gateway, number)).response.status).toBe(200);
  return gateway;
}

/** `holder` puts its party on hold (RFC 3264 §8.4 sendonly) in `dialog`. */
async function hold(holder: MediaParty, dialog: Dialog): Promise<void> {
  const response = await holder.stack.requestInDialog(dialog, 'INVITE', {
    body: holder.sdp('sendonly'),
    contentType: 'application/sdp',
  });
  expect(response.status).toBe(200);
}

/** `a` hears music on hold from packet `from` on. */
async function hearsMusic(a: MediaParty, from: number): Promise<void> {
  await a.rtp.until(() => heard(a, from).length >= 30 * 160, 3000, 'music on hold');
  expect(share(heard(a, from).subarray(10 * 160), MOH_HZ)).toBeGreaterThan(0.8);
}

/** Every packet `party` received from packet `from` on came in one RTP stream (RFC 3550 §5.1). */
function oneStream(party: MediaParty, from: number): void {
  const packets = party.rtp.received.slice(from);
  expect(new Set(packets.map((packet) => packet.header.ssrc)).size).toBe(1);
  for (let i = 1; i < packets.length; i++) {
    const step =
      ((packets[i]?.header.sequenceNumber ?? 0) - (packets[i - 1]?.header.sequenceNumber ?? 0)) & 0xffff;
    expect(step).toBeGreaterThan(0);
    expect(step).toBeLessThan(100);
  }
}

describe('transfers of anchored calls (μ-law trunk)', () => {
  let node: MediaNode;

  beforeAll(async () => {
    node = await startMediaNode();
  });
  afterAll(() => node.close());
  afterEach(() => clearCalls(node));

  it('blind: 202 holds 201 and transfers it to the PSTN; 201 keeps its endpoint and hears the carrier', async () => {
    const a = await parties.phone('ulaw');
    const b = await parties.phone('ulaw');
    register(node, '202', b, PHONE_202);
    const gateway = await parties.gateway(node, 'ulaw');
    await dialAnswered(node, a, '201', '202');
    const bDialog = b.dialog as Dialog;
    const mohStart = a.rtp.received.length;
    await hold(b, bDialog);
    await hearsMusic(a, mohStart);
    const targetBefore = a.target;

    const response = await refer(b, bDialog, `<sip:${PSTN_NUMBER}@127.0.0.1>`);
    expect(response.status).toBe(202);
    await eventually(() => b.byes.length === 1, 'the BYE to the transferring phone');
    await eventually(() => gateway.dialog !== undefined, 'the carrier answering');
    await eventually(() => node.records.length === 1, 'the record of the first call');
    expect(node.records[0]).toMatchObject({ called: '202', cause: 'singleStepTransfer' });
    await sleep(100);

    // 201 is sent nothing new: it goes on sending to the same port.
    expect(a.reinvites).toHaveLength(0);
    expect(a.target).toEqual(targetBefore);
    await hearEachOther(a, gateway, [MOH_HZ]);
    oneStream(a, mohStart);
    expect(node.core.calls().map((call) => call.connections.map((c) => c.number))).toEqual([
      // The carrier is dialled without the access code.
      ['201', PSTN_NUMBER.slice(1)],
    ]);
  });

  it('consultative: 201 holds the carrier, consults 202 and joins them (Replaces); nobody is re-INVITEd', async () => {
    const b = await parties.phone('ulaw');
    const c = await parties.phone('ulaw');
    register(node, '201', b, PHONE_201);
    register(node, '202', c, PHONE_202);
    const a = await carrierCalls(node, 'ulaw', DID_201);
    const held = b.dialog as Dialog;
    const mohStart = a.rtp.received.length;
    await hold(b, held);
    await hearsMusic(a, mohStart);

    const consultation = await dialAnswered(node, b, '201', '202');
    const { callId, localTag, remoteTag } = consultation.id;
    const replaces = encodeURIComponent(`${callId};to-tag=${remoteTag};from-tag=${localTag}`);
    const response = await refer(b, held, `<sip:202@127.0.0.1?Replaces=${replaces}>`);
    expect(response.status).toBe(202);
    await eventually(() => b.byes.length === 2, 'the BYEs of both calls of the transferring phone');
    expect(node.core.calls().map((call) => call.connections.map((c) => c.number))).toEqual([
      ['5125550100', '202'],
    ]);
    await sleep(100);

    expect(a.reinvites).toHaveLength(0);
    expect(c.reinvites).toHaveLength(0);
    await hearEachOther(a, c, [MOH_HZ]);
    oneStream(a, mohStart);
  });
});

describe('a transfer across μ-law and A-law', () => {
  let node: MediaNode;

  beforeAll(async () => {
    node = await startMediaNode({ trunk: { codecs: ['g711alaw'] } });
  });
  afterAll(() => node.close());

  it('transfers an A-law carrier call blind from 201 to a μ-law 202, transcoded both ways', async () => {
    const b = await parties.phone('ulaw');
    const c = await parties.phone('ulaw');
    register(node, '201', b, PHONE_201);
    register(node, '202', c, PHONE_202);
    const a = await carrierCalls(node, 'alaw', DID_201);
    expect(a.received[0]).toMatch(/m=audio \d+ RTP\/AVP 8 /);

    const response = await refer(b, b.dialog as Dialog, '<sip:202@127.0.0.1>');
    expect(response.status).toBe(202);
    await eventually(() => b.byes.length === 1, 'the BYE to the transferring phone');
    await eventually(() => c.dialog !== undefined, '202 answering');
    await sleep(100);
    // 202 is offered μ-law through the transcoder and answers it.
    expect(c.received[0]).toMatch(/a=rtpmap:0 PCMU\/8000/);
    expect(a.reinvites).toHaveLength(0);
    await hearEachOther(a, c, [MOH_HZ]);
    clearCalls(node);
  });
});

describe('media timeout', () => {
  it('clears a silent call with the mediaTimeout cause, in the record and as the BYEs’ Q.850 Reason', async () => {
    const node = await startMediaNode({ mediaTimeoutMs: 1000 });
    try {
      const caller = await parties.phone('ulaw');
      const called = await parties.phone('alaw');
      register(node, '202', called, PHONE_202);
      await dialAnswered(node, caller, '201', '202');
      await eventually(() => caller.byes.length > 0 && called.byes.length > 0, 'the BYEs of the timeout');
      await eventually(() => node.records.length === 1, 'the call record');
      expect(node.records[0]?.cause).toBe('mediaTimeout');
      for (const bye of [caller.byes[0], called.byes[0]])
        expect(bye?.headers.get('Reason')).toBe('Q.850;cause=41;text="Media timeout"');
      expect(node.anchor.calls).toBe(0);
    } finally {
      await node.close();
    }
  });
});
