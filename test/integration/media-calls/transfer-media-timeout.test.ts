/**
 * The media timeout of a party a transfer moved while it was on hold: the hold was answered by
 * the node (recvonly on the party's behalf, nothing sent to it), so its timeout was off; once
 * the transfer connects it to a talking party the timeout is armed again, and a party that
 * stays silent is cleared with the mediaTimeout cause.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Dialog } from '../../../src/sip/index.js';
import {
  carrierDials,
  DID_201,
  dial,
  eventually,
  type MediaNode,
  type MediaParty,
  PAYLOAD_TYPE,
  Parties,
  PHONE_201,
  PHONE_202,
  register,
  startMediaNode,
  toneFrames,
} from './harness.js';

const MEDIA_TIMEOUT_MS = 1500;

let node: MediaNode | undefined;
const parties = new Parties();
/** The senders of the parties that keep talking until the test ends. */
let talking = true;
const senders: Promise<void>[] = [];

afterEach(async () => {
  talking = false;
  await Promise.all(senders.splice(0));
  await parties.closeAll();
  await node?.close();
  node = undefined;
});

/** `party` sends a tone toward where the node last told it, 20 ms frames, until the test ends. */
function keepTalking(party: MediaParty): void {
  talking = true;
  senders.push(
    (async () => {
      while (talking) await party.rtp.stream(party.target, toneFrames(1000, 5, party.law), PAYLOAD_TYPE.ulaw);
    })(),
  );
}

describe('media timeout after a transfer', () => {
  it('arms the timeout of a party moved while held once it is joined to a talking party', async () => {
    node = await startMediaNode({ mediaTimeoutMs: MEDIA_TIMEOUT_MS });
    const b = await parties.phone('ulaw');
    const c = await parties.phone('ulaw');
    register(node, '201', b, PHONE_201);
    register(node, '202', c, PHONE_202);
    const carrier = await parties.callingGateway(node, 'ulaw');

    // The carrier calls 201 and talks until 201 holds it (RFC 3264 §8.4 sendonly).
    expect((await carrierDials(node, carrier, DID_201)).response.status).toBe(200);
    keepTalking(b);
    const held = b.dialog as Dialog;
    const holding = await b.stack.requestInDialog(held, 'INVITE', {
      body: b.sdp('sendonly'),
      contentType: 'application/sdp',
    });
    expect(holding.status).toBe(200);

    // 201 consults 202 and joins the carrier to it (REFER with Replaces); the carrier says nothing.
    const consult = await (await dial(b, node, '201', '202')).waitFor('final');
    expect(consult.response.status).toBe(200);
    b.received.push(consult.response.body.toString());
    keepTalking(c);
    const { callId, localTag, remoteTag } = (consult.dialog as Dialog).id;
    const replaces = encodeURIComponent(`${callId};to-tag=${remoteTag};from-tag=${localTag}`);
    const referred = await b.stack.requestInDialog(held, 'REFER', {
      headers: [['Refer-To', `<sip:202@127.0.0.1?Replaces=${replaces}>`]],
    });
    expect(referred.status).toBe(202);
    await eventually(() => b.byes.length === 2, 'the BYEs of both calls of the transferring phone');
    expect(carrier.reinvites).toHaveLength(0);

    // The silent carrier is hung up with the media timeout's Q.850 cause; 202 too.
    await eventually(() => carrier.byes.length > 0 && c.byes.length > 0, 'the BYEs of the timeout', 8000);
    expect(carrier.byes[0]?.headers.get('Reason')).toBe('Q.850;cause=41;text="Media timeout"');
    expect(node.records.at(-1)?.cause).toBe('mediaTimeout');
  });
});
