/**
 * DTMF interworking between a phone (RFC 4733) and trunks that relay digits otherwise, the 488 of
 * a call whose parties share no codec, and the media timeout, through an anchored node.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readInfo } from '../../../src/adapters/media/index.js';
import { MEDIA_TIMEOUT_CAUSE } from '../../../src/adapters/sip-common/index.js';
import type { TrunkConfig } from '../../../src/admin/index.js';
import { readTelephoneEvent, writeTelephoneEvent } from '../../../src/media/telephone-event.js';
import type { Dialog } from '../../../src/sip/index.js';
import { sleep } from '../media/rtp-peer.js';
import {
  dial,
  EVENT_PT,
  eventually,
  heard,
  keyInBand,
  type MediaNode,
  type MediaParty,
  Parties,
  PHONE_202,
  PSTN_NUMBER,
  register,
  share,
  startMediaNode,
} from './harness.js';

let node: MediaNode | undefined;
const parties = new Parties();

afterEach(async () => {
  await parties.closeAll();
  await node?.close();
  node = undefined;
});

/** Phone 201 (μ-law) calls the PSTN over a trunk with `trunk` settings; the gateway answers in μ-law. */
async function callOut(
  trunk: Partial<TrunkConfig>,
): Promise<{ phone: MediaParty; gateway: MediaParty; dialog: Dialog }> {
  node = await startMediaNode({ trunk });
  const phone = await parties.phone('ulaw');
  const gateway = await parties.gateway(node, 'ulaw');
  const attempt = await dial(phone, node, '201', PSTN_NUMBER);
  const { response } = await attempt.waitFor('final');
  expect(response.status).toBe(200);
  phone.received.push(response.body.toString());
  const dialog = gateway.dialog;
  if (dialog === undefined) throw new Error('the gateway has no dialog');
  return { phone, gateway, dialog };
}

/** An RFC 4733 digit as a phone sends it: events of growing duration, then three end packets. */
async function sendEventDigit(party: MediaParty, event: number): Promise<void> {
  const payload = Buffer.alloc(4);
  const timestamp = 80_000;
  for (let i = 1; i <= 5; i++) {
    writeTelephoneEvent(payload, 0, { event, end: false, volume: 10, duration: i * 160 });
    party.rtp.send(party.target, payload, EVENT_PT, { marker: i === 1, timestamp });
    await sleep(20);
  }
  for (let i = 0; i < 3; i++) {
    writeTelephoneEvent(payload, 0, { event, end: true, volume: 10, duration: 960 });
    party.rtp.send(party.target, payload, EVENT_PT, { timestamp });
  }
}

/** The RFC 4733 events a party received. */
function eventsAt(party: MediaParty): number[] {
  return party.rtp.received
    .filter((packet) => packet.header.payloadType === EVENT_PT)
    .map((packet) => readTelephoneEvent(packet.payload, 0, packet.payload.length)?.event ?? -1);
}

describe('DTMF interworking on anchored calls', () => {
  it('turns a phone digit into an INFO on a sip-info trunk, and the carrier INFO into RFC 4733 events', async () => {
    const { phone, gateway, dialog } = await callOut({ dtmfRelay: 'sip-info' });
    // A sip-info trunk is offered no telephone-event.
    expect(gateway.received[0]).not.toMatch(/telephone-event/);
    await sendEventDigit(phone, 5);
    await eventually(() => gateway.infos.length > 0, 'the INFO at the carrier');
    const info = gateway.infos[0];
    expect(readInfo(info?.headers.get('Content-Type') ?? '', info?.body ?? Buffer.alloc(0))).toMatchObject({
      digit: '5',
      end: true,
    });
    expect(gateway.rtp.received.filter((packet) => packet.header.payloadType === EVENT_PT)).toHaveLength(0);

    const response = await gateway.stack.requestInDialog(dialog, 'INFO', {
      body: 'Signal=7\r\nDuration=160\r\n',
      contentType: 'application/dtmf-relay',
    });
    expect(response.status).toBe(200);
    await phone.rtp.until(() => eventsAt(phone).includes(7), 3000, 'RFC 4733 events for 7');
    expect(new Set(eventsAt(phone))).toEqual(new Set([7]));
  });

  it('plays a phone digit as tones toward an inband trunk and detects the carrier tones as RFC 4733 events', async () => {
    const { phone, gateway } = await callOut({ dtmfRelay: 'inband' });
    await sendEventDigit(phone, 3);
    await gateway.rtp.until(() => heard(gateway).length >= 8 * 160, 3000, 'the tones of 3');
    // RFC 4733 §3.2 / Q.23: 3 is 697 Hz with 1477 Hz.
    const tones = heard(gateway);
    expect(share(tones, 697)).toBeGreaterThan(0.2);
    expect(share(tones, 1477)).toBeGreaterThan(0.2);
    // Not the row or column of a neighbouring key.
    expect(share(tones, 770)).toBeLessThan(0.05);
    expect(share(tones, 1336)).toBeLessThan(0.05);

    // The carrier keys 9 in its audio (852 Hz with 1477 Hz, 200 ms), then silence.
    await gateway.rtp.stream(gateway.target, keyInBand(852, 1477), 0);
    await phone.rtp.until(() => eventsAt(phone).includes(9), 3000, 'RFC 4733 events for 9');
  });
});

describe('media refused and media lost', () => {
  it('answers 488 with the Warning of the anchor when the trunk takes only a codec the phone lacks', async () => {
    node = await startMediaNode({ trunk: { codecs: ['g729'] } });
    const phone = await parties.phone('ulaw');
    const gateway = await parties.gateway(node, 'ulaw');
    const attempt = await dial(phone, node, '201', PSTN_NUMBER);
    const { response } = await attempt.waitFor('final');
    expect(response.status).toBe(488);
    expect(response.headers.get('Warning')).toMatch(/^305 \S+ "/);
    expect(node.carrier.invites).toHaveLength(0);
    expect(gateway.received).toHaveLength(0);
  });

  it('clears a call whose parties send no RTP, with the media timeout cause', async () => {
    node = await startMediaNode({ mediaTimeoutMs: 1000 });
    const caller = await parties.phone('ulaw');
    const called = await parties.phone('alaw');
    register(node, '202', called, PHONE_202);
    const { response } = await (await dial(caller, node, '201', '202')).waitFor('final');
    expect(response.status).toBe(200);
    await eventually(() => caller.byes.length > 0 && called.byes.length > 0, 'the BYEs of the timeout');
    await eventually(() => node?.records.length === 1, 'the call record');
    expect(node.records[0]?.cause).toBe(MEDIA_TIMEOUT_CAUSE);
    expect(node.anchor.calls).toBe(0);
  });
});
