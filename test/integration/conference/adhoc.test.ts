/**
 * Ad hoc conference through the API (CUCM's Conference softkey, ECMA-269 ConferenceCall): 201
 * holds its call with 202, calls 203, and asks for a conference of the two calls. The parties
 * and 201 are moved into a room with the endpoints they already send to, so 201's phone is not
 * rung (its active dialog goes on) and only its held call is hung up; each phone's audio is
 * measured. When 203 leaves, 201 and 202 fall back to a plain call.
 */
import { describe, expect, it } from 'vitest';
import type { Dialog } from '../../../src/sip/index.js';
import { eventually, heard, share } from '../media-calls/harness.js';
import { TONES, useConferenceNode } from './suite.js';

const suite = useConferenceNode(2);
const { phone, phones, request, talk, expectHears, call } = suite;

/** 201 holds its call with 202 (RFC 3264 §8.4) and calls 203: the controller's two calls. */
async function heldAndActive(): Promise<{ held: Dialog; active: Dialog; heldId: string; activeId: string }> {
  const controller = phones.get('201')!;
  const held = await call('201', '202');
  const holding = await controller.stack.requestInDialog(held, 'INVITE', {
    body: controller.sdp('sendonly'),
    contentType: 'application/sdp',
  });
  expect(holding.status).toBe(200);
  const active = await call('201', '203');
  const connectionOf = (other: string, state: string) =>
    suite.node.core
      .calls()
      .find((each) => each.connections.some((party) => party.number === other))
      ?.connections.find((party) => party.number === '201' && party.state === state)?.id;
  await eventually(() => connectionOf('202', 'held') !== undefined, '201 holds its call with 202');
  const heldId = connectionOf('202', 'held');
  const activeId = connectionOf('203', 'connected');
  if (heldId === undefined || activeId === undefined)
    throw new Error('no held and active connections of 201');
  return { held, active, heldId, activeId };
}

describe('ad hoc conference of a controller’s held and active calls', () => {
  it('moves 202, 203 and 201 into a room without ringing 201, hangs up its held call, and falls back to a call when 203 leaves', async () => {
    await Promise.all([phone('201'), phone('202'), phone('203', 'alaw')]);
    const { held, heldId, activeId } = await heldAndActive();
    const controller = phones.get('201')!;
    const seenBefore = controller.received.length;
    const targets = new Map([...phones].map(([dn, party]) => [dn, party.target]));

    const created = await request('POST', '/conferences', {
      heldConnectionId: heldId,
      activeConnectionId: activeId,
    });
    expect(created.status).toBe(201);
    expect(created.json.number).toBe('*81');
    const { id } = created.json;
    await eventually(
      () => suite.node.bridge.room(id)?.participants.filter((p) => p.state === 'joined').length === 3,
      'three participants joined',
    );
    expect(
      suite.node.bridge
        .room(id)
        ?.participants.map((p) => p.number)
        .sort(),
    ).toEqual(['201', '202', '203']);

    // 201's held call is hung up; its active dialog goes on: no INVITE of any kind reached it.
    await eventually(() => controller.byes.length === 1, 'the BYE of 201’s held call');
    expect(controller.byes[0]?.headers.get('Call-ID')).toBe(held.id.callId);
    expect(controller.received).toHaveLength(seenBefore);
    expect(controller.dialog).toBeUndefined();
    // Every party keeps sending where it did: G.711 alone, so nobody is sent a new description.
    for (const [dn, party] of phones) {
      expect(party.reinvites, `re-INVITEs to ${dn}`).toHaveLength(0);
      expect(party.target, `where ${dn} sends`).toEqual(targets.get(dn));
    }
    expect(phones.get('202')!.byes).toHaveLength(0);
    expect(phones.get('203')!.byes).toHaveLength(0);
    // Three calls with the bridge, the old two gone.
    expect(suite.node.core.calls()).toHaveLength(3);

    const marks = await talk(['201', '202', '203']);
    expectHears('201', ['202', '203'], marks.get('201')!);
    expectHears('202', ['201', '203'], marks.get('202')!);
    expectHears('203', ['201', '202'], marks.get('203')!);

    // 203 hangs up: 201 and 202 fall back to a plain call and hear each other.
    const leaving = phones.get('203')!;
    expect((await leaving.stack.requestInDialog(leaving.dialog!, 'BYE')).status).toBe(200);
    await eventually(() => suite.node.bridge.rooms().length === 0, 'the room ended');
    await eventually(
      () => controller.reinvites.length === 1 && phones.get('202')!.reinvites.length === 1,
      'both re-invited toward each other',
    );
    const [plain, ...others] = suite.node.core.calls();
    expect(others).toHaveLength(0);
    expect(plain?.connections.map((connection) => connection.number).sort()).toEqual(['201', '202']);
    const after = await talk(['201', '202']);
    for (const [dn, other] of [
      ['201', '202'],
      ['202', '201'],
    ] as const) {
      const audio = heard(phones.get(dn)!, after.get(dn)!);
      expect(audio.length, `audio at ${dn}`).toBeGreaterThan(30 * 160);
      expect(share(audio.subarray(10 * 160), TONES[other]!), `${dn} hears ${other}`).toBeGreaterThan(0.9);
    }
  });

  it('refuses with 409 and the reason connections that are not one device’s held and active calls', async () => {
    await Promise.all([phone('201'), phone('202'), phone('203')]);
    const { heldId, activeId } = await heldAndActive();
    const refusals: [unknown, RegExp][] = [
      [{ heldConnectionId: activeId, activeConnectionId: heldId }, /is not held/],
      [{ heldConnectionId: heldId, activeConnectionId: heldId }, /same call/],
      [{ heldConnectionId: '77.1', activeConnectionId: activeId }, /no connection 77\.1/],
    ];
    const otherParty = suite.node.core.callOf(activeId)?.connections.find((party) => party.id !== activeId);
    refusals.push([{ heldConnectionId: heldId, activeConnectionId: otherParty?.id }, /not the same device/]);
    for (const [body, reason] of refusals) {
      const refused = await request('POST', '/conferences', body);
      expect(refused.status, JSON.stringify(body)).toBe(409);
      expect(refused.json.message).toMatch(reason);
    }
    // Half a pair, or a pair with numbers: the request itself is wrong.
    for (const body of [
      { heldConnectionId: heldId },
      { heldConnectionId: heldId, activeConnectionId: activeId, numbers: ['202'] },
      { heldConnectionId: 'x', activeConnectionId: activeId },
    ])
      expect((await request('POST', '/conferences', body)).status, JSON.stringify(body)).toBe(400);
    // Nothing changed: no room, both calls as they were, nobody hung up.
    expect(suite.node.bridge.rooms()).toHaveLength(0);
    expect(suite.node.core.callOf(heldId)?.connections.find((party) => party.id === heldId)?.state).toBe(
      'held',
    );
    expect(suite.node.core.callOf(activeId)?.connections.find((party) => party.id === activeId)?.state).toBe(
      'connected',
    );
    for (const [dn, party] of phones) expect(party.byes, `BYEs to ${dn}`).toHaveLength(0);
  });
});
