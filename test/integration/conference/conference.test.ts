/**
 * Conferences on the bridge over real sockets: rooms opened and filled through the API, a room
 * opened by calling the factory number and joined by its number, the `max-conferences` limit,
 * and the fall back of the last two to a plain call. The audio each phone hears is measured
 * (Goertzel share and fitted amplitude), not assumed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConferenceRoomView } from '../../../src/api/index.js';
import { formatConferences } from '../../../src/cli/show.js';
import type { Dialog } from '../../../src/sip/index.js';
import {
  dial,
  eventually,
  heard,
  type MediaParty,
  PAYLOAD_TYPE,
  share,
  startPhone,
  toneFrames,
} from '../media-calls/harness.js';
import { type ConferenceNode, FACTORY_NUMBER, registerPhone, startConferenceNode } from './harness.js';
import { TONES, useConferenceNode } from './suite.js';

const MAX_CONFERENCES = 2;

const suite = useConferenceNode(MAX_CONFERENCES);
const { phone, phones, request, talk, expectHears, call, notifications } = suite;

describe('conferences through the API', () => {
  it('dials three phones into a room: each hears the other two at the mix gain and not itself', async () => {
    await Promise.all([phone('201'), phone('202'), phone('203', 'alaw')]);
    const created = await request('POST', '/conferences', { numbers: ['201', '202'] });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ number: '*81' });
    expect(created.json.participants.map((p) => p.number)).toEqual(['201', '202']);
    const { id } = created.json;
    const added = await request('POST', `/conferences/${id}/participants`, { number: '203' });
    expect(added.status).toBe(202);
    await eventually(
      () => suite.node.bridge.room(id)?.participants.filter((p) => p.state === 'joined').length === 3,
      'three participants joined',
    );
    const listed = await request('GET', '/conferences');
    expect(listed.json).toHaveLength(1);
    expect(listed.json[0]?.participants.map((p) => p.number).sort()).toEqual(['201', '202', '203']);

    // `strowger show conferences` over the same answer.
    const shown = formatConferences(listed.json as unknown as ConferenceRoomView[], Date.now());
    expect(shown).toMatch(/^\S+\s+\*81\s+\S+\s+20[123]\s+out\s+joined/m);
    expect(shown).toMatch(/1 conference, 3 participants\n$/);

    const marks = await talk(['201', '202', '203']);
    expectHears('201', ['202', '203'], marks.get('201')!);
    expectHears('202', ['201', '203'], marks.get('202')!);
    expectHears('203', ['201', '202'], marks.get('203')!);

    expect((await request('DELETE', `/conferences/${id}`)).status).toBe(204);
    await eventually(
      () => [...phones.values()].every((party) => party.byes.length === 1),
      'every phone hung up',
    );
    expect((await request('GET', `/conferences/${id}`)).status).toBe(404);
  });

  it('refuses rooms beyond max-conferences with 503 and the reason', async () => {
    for (let i = 0; i < MAX_CONFERENCES; i++)
      expect((await request('POST', '/conferences', {})).status).toBe(201);
    const refused = await request('POST', '/conferences', {});
    expect(refused.status).toBe(503);
    expect(refused.json.message).toBe(`at most ${MAX_CONFERENCES} conferences at once (max-conferences)`);
  });

  it('answers bad requests with 400 and a reason, unknown rooms and participants with 404', async () => {
    expect((await request('GET', '/conferences/999')).status).toBe(404);
    expect((await request('DELETE', '/conferences/999')).status).toBe(404);
    const missing = await request('POST', '/conferences/999/participants', { number: '201' });
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe('no conference room 999');
    const { json: room } = await request('POST', '/conferences', {});
    const both = await request('POST', `/conferences/${room.id}/participants`, {
      number: '201',
      connectionId: '1.1',
    });
    expect(both.status).toBe(400);
    expect(both.json.message).toMatch(/either number .* or connectionId/);
    const letters = await request('POST', `/conferences/${room.id}/participants`, { number: 'abc' });
    expect(letters.status).toBe(400);
    expect(letters.json.message).toMatch(/number/);
    const unknownKey = await request('POST', `/conferences/${room.id}/participants`, { dn: '201' });
    expect(unknownKey.status).toBe(400);
    expect((await request('GET', '/conferences/not-a-room')).status).toBe(400);
    expect((await request('DELETE', `/conferences/${room.id}/participants/77.1`)).status).toBe(404);
    const stale = await request('POST', `/conferences/${room.id}/participants`, { connectionId: '77.1' });
    expect(stale.status).toBe(409);
  });
});

describe('conferences from phones', () => {
  it('opens a room at the factory number, joins by its number, and the last two fall back to a call', async () => {
    await Promise.all([phone('201'), phone('202'), phone('203')]);
    await call('201', FACTORY_NUMBER);
    const [room] = suite.node.bridge.rooms();
    if (room === undefined) throw new Error('the factory opened no room');
    await call('202', room.number);
    const leaving = await call('203', room.number);
    await eventually(() => suite.node.bridge.room(room.id)?.participants.length === 3, 'three participants');
    const marks = await talk(['201', '202', '203']);
    expectHears('202', ['201', '203'], marks.get('202')!);

    // 203 hangs up: 201 and 202 talk on without the bridge.
    const bye = await phones.get('203')!.stack.requestInDialog(leaving, 'BYE');
    expect(bye.status).toBe(200);
    await eventually(() => suite.node.bridge.rooms().length === 0, 'the room ended');
    await eventually(
      () => phones.get('201')!.reinvites.length === 1 && phones.get('202')!.reinvites.length === 1,
      'both re-invited toward each other',
    );
    expect(suite.node.core.calls()).toHaveLength(1);
    const [plain] = suite.node.core.calls();
    expect(plain?.connections.map((connection) => connection.number).sort()).toEqual(['201', '202']);
    const from = phones.get('202')!.rtp.received.length;
    const caller = phones.get('201')!;
    await caller.rtp.stream(caller.target, toneFrames(TONES['201']!, 30, 'ulaw'), PAYLOAD_TYPE.ulaw);
    await phones
      .get('202')!
      .rtp.until(() => heard(phones.get('202')!, from).length >= 20 * 160, 3000, 'the plain call');
    expect(share(heard(phones.get('202')!, from).subarray(5 * 160), TONES['201']!)).toBeGreaterThan(0.9);
  });

  it('refuses the factory number with 503 when max-conferences rooms are running', async () => {
    await phone('201');
    for (let i = 0; i < MAX_CONFERENCES; i++) expect((await suite.node.bridge.createRoom()).ok).toBe(true);
    const attempt = await dial(phones.get('201')!, suite.node.asMediaNode, '201', FACTORY_NUMBER);
    const { response } = await attempt.waitFor('final');
    expect(response.status).toBe(503);
    expect(suite.node.bridge.rooms()).toHaveLength(MAX_CONFERENCES);
  });
});

describe('parties of anchored calls moved into a room', () => {
  it('blind REFER to the room: the party keeps its endpoint, hears the room, and falls back to a call with audio', async () => {
    await Promise.all([phone('201'), phone('202'), phone('203')]);
    const inRoom = await call('203', FACTORY_NUMBER);
    const [room] = suite.node.bridge.rooms();
    if (room === undefined) throw new Error('the factory opened no room');
    await call('201', '202');
    const transferring = phones.get('202')!;
    const frags = notifications('202');
    const targetBefore = phones.get('201')!.target;

    const referred = await transferring.stack.requestInDialog(transferring.dialog!, 'REFER', {
      headers: [['Refer-To', `<sip:${room.number}@127.0.0.1>`]],
    });
    expect(referred.status).toBe(202);
    await eventually(() => transferring.byes.length === 1, 'the BYE to the transferring phone');
    await eventually(() => frags.includes('SIP/2.0 200 OK'), 'the NOTIFY of the transfer’s success');
    await eventually(
      () => suite.node.bridge.room(room.id)?.participants.filter((p) => p.state === 'joined').length === 2,
      'two participants joined',
    );
    // The bridge mixes the endpoint 201 already sends to: 201 is sent nothing new.
    expect(phones.get('201')!.reinvites).toHaveLength(0);
    expect(phones.get('201')!.target).toEqual(targetBefore);
    let marks = await talk(['201', '203']);
    expectHears('201', ['203'], marks.get('201')!);
    expectHears('203', ['201'], marks.get('203')!);

    // 202 dials in, 203 leaves: 201 and 202 fall back to a plain call and hear each other.
    await call('202', room.number);
    await eventually(() => suite.node.bridge.room(room.id)?.participants.length === 3, 'three participants');
    expect((await phones.get('203')!.stack.requestInDialog(inRoom, 'BYE')).status).toBe(200);
    await eventually(() => suite.node.bridge.rooms().length === 0, 'the room ended');
    await eventually(
      () => phones.get('201')!.reinvites.length === 1 && phones.get('202')!.reinvites.length === 1,
      'both re-invited toward each other',
    );
    marks = await talk(['201', '202']);
    for (const [dn, other] of [
      ['201', '202'],
      ['202', '201'],
    ] as const) {
      const audio = heard(phones.get(dn)!, marks.get(dn)!);
      expect(audio.length, `audio at ${dn}`).toBeGreaterThan(30 * 160);
      expect(share(audio.subarray(10 * 160), TONES[other]!), `${dn} hears ${other}`).toBeGreaterThan(0.9);
    }
  });
});

describe('a party of an anchored call moved in through the API', () => {
  it('POST participants {connectionId}: its other party hands it on, it keeps its endpoint and hears the room', async () => {
    await Promise.all([phone('201'), phone('202'), phone('203')]);
    const created = await request('POST', '/conferences', { numbers: ['203'] });
    expect(created.status).toBe(201);
    await call('201', '202');
    const connection = suite.node.core
      .calls()
      .flatMap((active) => active.connections)
      .find((party) => party.number === '201');
    if (connection === undefined) throw new Error('no connection of 201');
    const targetBefore = phones.get('201')!.target;
    const added = await request('POST', `/conferences/${created.json.id}/participants`, {
      connectionId: connection.id,
    });
    expect(added.status).toBe(202);
    await eventually(() => phones.get('202')!.byes.length === 1, 'the BYE to the party that handed 201 on');
    await eventually(
      () =>
        suite.node.bridge.room(created.json.id)?.participants.filter((p) => p.state === 'joined').length ===
        2,
      'two participants joined',
    );
    expect(phones.get('201')!.reinvites).toHaveLength(0);
    expect(phones.get('201')!.target).toEqual(targetBefore);
    const marks = await talk(['201', '203']);
    expectHears('201', ['203'], marks.get('201')!);
    expectHears('203', ['201'], marks.get('203')!);
  });
});

describe('media timeout of a participant on hold', () => {
  let timed: ConferenceNode;
  const TIMEOUT_MS = 600;

  beforeAll(async () => {
    timed = await startConferenceNode(MAX_CONFERENCES, TIMEOUT_MS);
  });
  afterAll(() => timed.close());

  it('keeps a silent participant while it holds the call and hangs it up once it retrieves and stays silent', async () => {
    const [holder, talker] = await Promise.all([startPhone('ulaw'), startPhone('ulaw')]);
    registerPhone(timed, '201', holder);
    registerPhone(timed, '202', talker);
    try {
      const holding = await joined(holder, '201', FACTORY_NUMBER);
      const [room] = timed.bridge.rooms();
      if (room === undefined) throw new Error('the factory opened no room');
      await joined(talker, '202', room.number);
      // RFC 3264 §8.4: 201 holds and sends nothing from then on; 202 talks on.
      const held = await holder.stack.requestInDialog(holding, 'INVITE', {
        body: holder.sdp('sendonly'),
        contentType: 'application/sdp',
      });
      expect(held.status).toBe(200);
      await talker.rtp.stream(
        talker.target,
        toneFrames(1100, (4 * TIMEOUT_MS) / 20, 'ulaw'),
        PAYLOAD_TYPE.ulaw,
      );
      expect(holder.byes).toHaveLength(0);
      expect(
        timed.bridge
          .room(room.id)
          ?.participants.map((p) => p.state)
          .sort(),
      ).toEqual(['held', 'joined']);

      const retrieved = await holder.stack.requestInDialog(holding, 'INVITE', {
        body: holder.sdp(),
        contentType: 'application/sdp',
      });
      expect(retrieved.status).toBe(200);
      await talker.rtp.stream(
        talker.target,
        toneFrames(1100, (4 * TIMEOUT_MS) / 20, 'ulaw'),
        PAYLOAD_TYPE.ulaw,
      );
      await eventually(() => holder.byes.length === 1, 'the silent participant hung up');
    } finally {
      for (const active of timed.core.calls())
        for (const connection of active.connections) timed.core.clear(connection.id);
      await Promise.all([holder.close(), talker.close()]);
    }
  });

  /** `party` on line `dn` calls `dialed` at the timed node; it sends a few frames so it counts as sending. */
  async function joined(party: MediaParty, dn: string, dialed: string): Promise<Dialog> {
    const { response, dialog } = await (await dial(party, timed.asMediaNode, dn, dialed)).waitFor('final');
    expect(response.status).toBe(200);
    if (dialog === undefined) throw new Error('the 200 made no dialog');
    party.received.push(response.body.toString());
    await party.rtp.stream(party.target, toneFrames(500, 5, 'ulaw'), PAYLOAD_TYPE.ulaw);
    return dialog;
  }
});

describe('REFER to the focus (RFC 4579 §5.4)', () => {
  it('a participant brings in its other call’s party by Replaces: that call’s leg is released, the phone stays, all three hear each other', async () => {
    await Promise.all([phone('201'), phone('202'), phone('203')]);
    const inRoom = await call('201', FACTORY_NUMBER);
    const roomSession = phones.get('201')!.received.at(-1)!;
    const [room] = suite.node.bridge.rooms();
    if (room === undefined) throw new Error('the factory opened no room');
    await call('203', room.number);
    const consultation = await call('201', '202');
    const frags = notifications('201');
    const { callId, localTag, remoteTag } = consultation.id;
    const replaces = encodeURIComponent(`${callId};to-tag=${remoteTag};from-tag=${localTag}`);
    const controller = phones.get('201')!;
    const referred = await controller.stack.requestInDialog(inRoom, 'REFER', {
      headers: [['Refer-To', `<sip:${room.number}@127.0.0.1?Replaces=${replaces}>`]],
    });
    expect(referred.status).toBe(202);
    await eventually(() => frags.includes('SIP/2.0 200 OK'), 'the NOTIFY of the REFER’s success');
    await eventually(
      () => suite.node.bridge.room(room.id)?.participants.filter((p) => p.state === 'joined').length === 3,
      'three participants joined',
    );
    // Only the consultation call's leg is released; 202 keeps its endpoint.
    expect(controller.byes).toHaveLength(1);
    expect(controller.byes[0]?.headers.get('Call-ID')).toBe(callId);
    expect(phones.get('202')!.reinvites).toHaveLength(0);
    expect(suite.node.bridge.rooms()).toHaveLength(1);
    // 201 talks in its call with the room again.
    controller.received.push(roomSession);
    const marks = await talk(['201', '202', '203']);
    expectHears('201', ['202', '203'], marks.get('201')!);
    expectHears('202', ['201', '203'], marks.get('202')!);
    expectHears('203', ['201', '202'], marks.get('203')!);
  });
});
