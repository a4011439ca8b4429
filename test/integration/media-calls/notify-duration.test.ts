/**
 * The key-down NOTIFY's duration on a `dtmfRelay: sip-notify` trunk is the max-duration agreed
 * with the carrier in Call-Info (Cisco `notify telephone-event max-duration`: the lower of ours,
 * 2000 ms, and theirs), whichever side placed the call.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { writeTelephoneEvent } from '../../../src/media/telephone-event.js';
import type { SipRequest } from '../../../src/sip/index.js';
import { sleep } from '../media/rtp-peer.js';
import {
  carrierDials,
  DID_201,
  dial,
  EVENT_PT,
  eventually,
  type MediaNode,
  type MediaParty,
  Parties,
  PSTN_NUMBER,
  register,
  startMediaNode,
} from './harness.js';

const CARRIER_CALL_INFO = '<sip:192.0.2.9:5060>;method="NOTIFY;Event=telephone-event;Duration=700"';

let node: MediaNode | undefined;
const parties = new Parties();

afterEach(async () => {
  await parties.closeAll();
  await node?.close();
  node = undefined;
});

/** The NOTIFYs the carrier's gateway receives. */
function collectNotifies(gateway: MediaParty): SipRequest[] {
  const notifies: SipRequest[] = [];
  gateway.stack.onRequest('NOTIFY', (incoming) => {
    notifies.push(incoming.request);
    incoming.reply(200);
  });
  return notifies;
}

/** The phone keys `event` for 100 ms as RFC 4733 events (§2.5.1), then the end packet thrice. */
async function keyDigit(phone: MediaParty, event: number): Promise<void> {
  const payload = Buffer.alloc(4);
  for (let i = 1; i < 5; i++) {
    writeTelephoneEvent(payload, 0, { event, end: false, volume: 10, duration: i * 160 });
    phone.rtp.send(phone.target, payload, EVENT_PT, { marker: i === 1, timestamp: 4000 });
    await sleep(20);
  }
  for (let i = 0; i < 3; i++) {
    writeTelephoneEvent(payload, 0, { event, end: true, volume: 10, duration: 800 });
    phone.rtp.send(phone.target, payload, EVENT_PT, { timestamp: 4000 });
  }
}

/** The duration a NOTIFY body carries (RFC 4733 §2.3 layout, milliseconds). */
function durationOf(notify: SipRequest | undefined): number {
  return notify === undefined ? -1 : notify.body.readUInt16BE(2);
}

async function keyDownAndUp(phone: MediaParty, notifies: SipRequest[]): Promise<[number, number]> {
  await keyDigit(phone, 7);
  await eventually(() => notifies.length >= 2, 'the NOTIFYs of the key');
  const [down, up] = notifies;
  // RFC 4733 §2.3: the E bit is the top bit of the second octet.
  expect((down?.body[1] ?? 0xff) & 0x80).toBe(0);
  expect((up?.body[1] ?? 0) & 0x80).toBe(0x80);
  return [durationOf(down), durationOf(up)];
}

describe('the NOTIFY max-duration agreed with the carrier', () => {
  it('a carrier answering our INVITE with Duration=700 gets key-down NOTIFYs of 700 ms', async () => {
    node = await startMediaNode({ trunk: { dtmfRelay: 'sip-notify' } });
    const phone = await parties.phone('ulaw');
    const gateway: MediaParty = await parties.gateway(node, 'ulaw', (incoming) => {
      gateway.received.push(incoming.request.body.toString());
      incoming.reply(180, undefined, { headers: [['Call-Info', CARRIER_CALL_INFO]] });
      gateway.dialog = incoming.accept({
        body: gateway.sdp(),
        contentType: 'application/sdp',
        headers: [['Call-Info', CARRIER_CALL_INFO]],
      });
    });
    const notifies = collectNotifies(gateway);
    const { response } = await (await dial(phone, node, '201', PSTN_NUMBER)).waitFor('final');
    expect(response.status).toBe(200);
    phone.received.push(response.body.toString());

    expect(await keyDownAndUp(phone, notifies)).toEqual([700, 100]);
  });

  it('a carrier calling in with Duration=700 gets key-down NOTIFYs of 700 ms', async () => {
    node = await startMediaNode({ trunk: { dtmfRelay: 'sip-notify' } });
    const phone = await parties.phone('ulaw');
    register(node, '201', phone, 'SEP000000000201');
    const gateway = await parties.callingGateway(node, 'ulaw');
    const notifies = collectNotifies(gateway);
    const { response } = await carrierDials(node, gateway, DID_201, [['Call-Info', CARRIER_CALL_INFO]]);
    expect(response.status).toBe(200);
    // Our 200 announces the agreed value, the lower of the two.
    expect(response.headers.get('Call-Info')).toMatch(/Duration=700"/);

    expect(await keyDownAndUp(phone, notifies)).toEqual([700, 100]);
  });
});
