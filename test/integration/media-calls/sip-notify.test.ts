/**
 * Cisco `dtmf-relay sip-notify` end to end through an anchored node: a phone keys RFC 4733
 * events and a trunk with `dtmfRelay: sip-notify` receives NOTIFYs (`Event: telephone-event`,
 * `audio/telephone-event`, the RFC 4733 §2.3 payload with the duration in milliseconds); the
 * carrier's NOTIFYs come back to the phone as RFC 4733 events in the phone's own payload type.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readTelephoneEvent, writeTelephoneEvent } from '../../../src/media/telephone-event.js';
import type { Dialog, SipRequest } from '../../../src/sip/index.js';
import { sleep } from '../media/rtp-peer.js';
import {
  dial,
  EVENT_PT,
  eventually,
  type MediaNode,
  type MediaParty,
  Parties,
  PSTN_NUMBER,
  startMediaNode,
} from './harness.js';

/** Every DTMF key with its RFC 4733 §3.2 event code. */
const KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'] as const;
/** The phone's telephone-event payload type: not the 101 everybody uses, so a copied number shows. */
const PHONE_EVENT_PT = 96;
/** What the phone keys per digit: 120 ms, as 960 timestamp units at 8 kHz. */
const KEYED_MS = 120;

let node: MediaNode | undefined;
const parties = new Parties();

afterEach(async () => {
  await parties.closeAll();
  await node?.close();
  node = undefined;
});

interface NotifyCall {
  phone: MediaParty;
  gateway: MediaParty;
  dialog: Dialog;
  notifies: SipRequest[];
}

/** Phone 201 calls the PSTN over a sip-notify trunk, offering telephone-event at PHONE_EVENT_PT. */
async function callOverNotifyTrunk(): Promise<NotifyCall> {
  node = await startMediaNode({ trunk: { dtmfRelay: 'sip-notify' } });
  const phone = await parties.phone('ulaw');
  const gateway = await parties.gateway(node, 'ulaw');
  const notifies: SipRequest[] = [];
  gateway.stack.onRequest('NOTIFY', (incoming) => {
    notifies.push(incoming.request);
    incoming.reply(200);
  });
  const body = phone
    .sdp()
    .replace(` 0 ${EVENT_PT}\r\n`, ` 0 ${PHONE_EVENT_PT}\r\n`)
    .replaceAll(`:${EVENT_PT} `, `:${PHONE_EVENT_PT} `);
  expect(body).toMatch(
    new RegExp(`RTP/AVP 0 ${PHONE_EVENT_PT}\r\n[^]*a=rtpmap:${PHONE_EVENT_PT} telephone-event`),
  );
  const attempt = await dial(phone, node, '201', PSTN_NUMBER, body);
  const { response } = await attempt.waitFor('final');
  expect(response.status).toBe(200);
  phone.received.push(response.body.toString());
  const dialog = gateway.dialog;
  if (dialog === undefined) throw new Error('the gateway has no dialog');
  return { phone, gateway, dialog, notifies };
}

/** One RFC 4733 digit as a phone keys it (§2.5.1): growing durations, then the end packet thrice. */
async function keyDigit(phone: MediaParty, event: number, timestamp: number): Promise<void> {
  const payload = Buffer.alloc(4);
  const steps = (KEYED_MS * 8) / 160;
  for (let i = 1; i < steps; i++) {
    writeTelephoneEvent(payload, 0, { event, end: false, volume: 10, duration: i * 160 });
    phone.rtp.send(phone.target, payload, PHONE_EVENT_PT, { marker: i === 1, timestamp });
    await sleep(20);
  }
  for (let i = 0; i < 3; i++) {
    writeTelephoneEvent(payload, 0, { event, end: true, volume: 10, duration: KEYED_MS * 8 });
    phone.rtp.send(phone.target, payload, PHONE_EVENT_PT, { timestamp });
  }
}

describe('Cisco sip-notify DTMF relay on an anchored call', () => {
  it('sends every key the phone presses as a key-down and a key-up NOTIFY', async () => {
    const { phone, gateway, notifies } = await callOverNotifyTrunk();
    // The trunk relays digits in signalling: it is offered no telephone-event.
    expect(gateway.received[0]).not.toMatch(/telephone-event/);

    for (const [event, key] of KEYS.entries()) {
      const before = notifies.length;
      await keyDigit(phone, event, 10_000 + event * 4000);
      await eventually(() => notifies.length >= before + 2, `the NOTIFYs of ${key}`);
      const [down, up] = notifies.slice(before);
      for (const notify of [down, up]) {
        expect(notify?.headers.get('Event')).toBe('telephone-event');
        expect(notify?.headers.get('Content-Type')).toBe('audio/telephone-event');
      }
      // RFC 4733 §2.3 layout: event, E bit and volume 10, duration (ms, big-endian). The key-down
      // NOTIFY carries Cisco's default max-duration, 2000 ms; the key-up one the real 120 ms.
      expect([...(down?.body ?? [])]).toEqual([event, 10, 0x07, 0xd0]);
      expect([...(up?.body ?? [])]).toEqual([event, 0x80 | 10, 0, KEYED_MS]);
    }
    expect(notifies).toHaveLength(2 * KEYS.length);
    // No RFC 4733 packet crosses to the NOTIFY leg.
    expect(
      gateway.rtp.received.filter((packet) => packet.header.payloadType === PHONE_EVENT_PT),
    ).toHaveLength(0);
    expect(gateway.rtp.received.filter((packet) => packet.header.payloadType === EVENT_PT)).toHaveLength(0);
  });

  it('plays every key the carrier NOTIFYs to the phone as RFC 4733 events', async () => {
    const { phone, gateway, dialog } = await callOverNotifyTrunk();
    const events = () =>
      phone.rtp.received
        .filter((packet) => packet.header.payloadType === PHONE_EVENT_PT)
        .map((packet) => ({ header: packet.header, event: readTelephoneEvent(packet.payload, 0, 4) }));

    for (const [code, key] of KEYS.entries()) {
      const before = events().length;
      const durationMs = 100 + code * 10;
      for (const [end, duration] of [
        [false, 2000],
        [true, durationMs],
      ] as const) {
        const body = Buffer.from([code, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]);
        const response = await gateway.stack.requestInDialog(dialog, 'NOTIFY', {
          headers: [['Event', 'telephone-event']],
          body,
          contentType: 'audio/telephone-event',
        });
        expect(response.status).toBe(200);
      }
      await phone.rtp.until(
        () =>
          events()
            .slice(before)
            .filter((packet) => packet.event?.end).length >= 3,
        3000,
        `the end packets of ${key}`,
      );
      const digit = events().slice(before);
      expect(new Set(digit.map((packet) => packet.event?.event))).toEqual(new Set([code]));
      // RFC 4733 §2.5.1.1: the marker on the first packet only, one timestamp for the event.
      expect(digit.map((packet) => packet.header.marker)).toEqual(digit.map((_, i) => i === 0));
      expect(new Set(digit.map((packet) => packet.header.timestamp)).size).toBe(1);
      // §2.5.1.4: the final packet three times, with the whole duration in timestamp units.
      const ends = digit.filter((packet) => packet.event?.end);
      expect(ends).toHaveLength(3);
      for (const end of ends) expect(end.event?.duration).toBe(durationMs * 8);
    }
    // The phone heard nothing in the payload type the carrier never negotiated.
    expect(phone.rtp.received.filter((packet) => packet.header.payloadType === EVENT_PT)).toHaveLength(0);
  });
});
