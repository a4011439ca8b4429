/**
 * Call forwarding and transfer on real sockets, with SIP phones 201/202, the CUE pilots and a
 * carrier as UA stacks (the CME SIP-trunk example's dial plan):
 *  - CFB, CFNA and CFA, internal (to the voicemail pilot) and external (to the carrier), with
 *    Diversion (RFC 5806);
 *  - a forwarded carrier call: 302 with the DID of the target, or the hairpin when the trunk
 *    says `no supplementary-service sip moved-temporarily`;
 *  - transfers by REFER (RFC 3515): blind and consultative (Replaces, RFC 3891) between phones
 *    and pilots, and of a carrier's call, blind or consultative: REFER to the carrier, or the
 *    hairpin when it refuses or with `no supplementary-service sip refer`;
 *  - a phone's hold of a carrier's call answered here, nothing sent to the carrier.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TrunkConfig } from '../../../src/admin/index.js';
import type { Dialog, SipRequest } from '../../../src/sip/index.js';
import { call, locationOf, OFFER, sdp } from '../adapters/sip-line-calls/harness.js';
import { callNode, type TrunkNode } from '../adapters/sip-trunk-calls/harness.js';
import { type Party, servicesConfiguration, startParty, startServicesNode } from './harness.js';

const PHONE_201 = 'SEP0008A37128E9';
const PHONE_202 = 'SEP0008A3465C7F';

interface Setup {
  node: TrunkNode;
  carrier: Party;
  pilots: Party;
  phone201: Party;
  phone202: Party;
}

async function setUp(trunk: Partial<TrunkConfig>): Promise<Setup> {
  const [carrier, pilots, phone201, phone202] = await Promise.all([
    startParty('127.0.0.2'),
    startParty(),
    startParty(),
    startParty(),
  ]);
  const node = await startServicesNode(
    servicesConfiguration(
      `ipv4:127.0.0.2:${carrier.endpoint.port}`,
      `127.0.0.1:${pilots.endpoint.port}`,
      trunk,
    ),
  );
  node.locations.set('201', [locationOf(PHONE_201, phone201.stack, '201')]);
  node.locations.set('202', [locationOf(PHONE_202, phone202.stack, '202')]);
  await vi.waitFor(() => expect(node.trunks.status()[0]?.state).toBe('in-service'), { timeout: 5000 });
  return { node, carrier, pilots, phone201, phone202 };
}

async function tearDown(setup: Setup | undefined): Promise<void> {
  if (!setup) return;
  await setup.node.close();
  await Promise.all(
    [setup.carrier, setup.pilots, setup.phone201, setup.phone202].map((party) => party.stack.close()),
  );
}

const header = (request: SipRequest | undefined, name: string) => request?.headers.get(name);
const bodies = (requests: SipRequest[]) => requests.map((request) => request.body.toString().trim());

/** Phone 201 calls `dialed` and the call is answered; returns 201's dialog. */
async function answeredCall(setup: Setup, dialed: string): Promise<Dialog> {
  const attempt = await call(setup.phone201.stack, setup.node, dialed);
  const { dialog } = await attempt.waitFor(200);
  if (!dialog) throw new Error('no dialog');
  return dialog;
}

/** The carrier calls 201's DID and phone 201 answers; returns phone 201's dialog. */
async function carrierCallAnswered(setup: Setup): Promise<Dialog> {
  const attempt = callNode(setup.carrier.stack, setup.node, '5123781201', OFFER);
  await attempt.waitFor(200);
  await vi.waitFor(() => expect(setup.phone201.dialogs).toHaveLength(1));
  return setup.phone201.dialogs[0] as Dialog;
}

function refer(setup: Setup, dialog: Dialog, referTo: string) {
  return setup.phone201.stack.requestInDialog(dialog, 'REFER', { headers: [['Refer-To', referTo]] });
}

describe('services with 302 and REFER toward the carrier (the defaults)', () => {
  let setup: Setup;

  beforeAll(async () => {
    setup = await setUp({ supplementary: { refer: true, movedTemporarily: true } });
  });
  afterAll(() => tearDown(setup));
  beforeEach(() => {
    for (const party of [setup.carrier, setup.pilots, setup.phone201, setup.phone202]) party.reset();
  });

  it('forwards a busy 202 to voicemail (CFB) with Diversion, keeping 201 as the caller', async () => {
    setup.phone202.onInvite = (incoming) => incoming.reply(486);
    const dialog = await answeredCall(setup, '202');
    const invite = setup.pilots.invites[0]?.request;
    expect(invite?.uri.user).toBe('600');
    expect(invite?.from.uri.user).toBe('201');
    expect(header(invite, 'Diversion')).toMatch(/^<sip:202@[^>]+>;reason=user-busy;counter=1$/);
    await setup.phone201.stack.requestInDialog(dialog, 'BYE');
    await vi.waitFor(() =>
      expect(setup.node.records.at(-1)).toMatchObject({
        calling: '201',
        called: '600',
        originalCalled: '202',
      }),
    );
  });

  it('forwards an unanswered 202 to voicemail after its timeout (CFNA)', async () => {
    setup.phone202.onInvite = (incoming) => incoming.reply(180);
    const dialog = await answeredCall(setup, '202');
    expect(setup.phone202.invites).toHaveLength(1);
    expect(header(setup.pilots.invites[0]?.request, 'Diversion')).toMatch(/;reason=no-answer;counter=1$/);
    await setup.phone201.stack.requestInDialog(dialog, 'BYE');
  });

  it('forwards all calls of 203 to the PSTN (CFA) with the DID of 203 in Diversion', async () => {
    const dialog = await answeredCall(setup, '203');
    const invite = setup.carrier.invites[0]?.request;
    expect(invite?.uri.user).toBe('5125551234');
    expect(header(invite, 'Diversion')).toBe('<sip:5123781203@127.0.0.2>;reason=unconditional;counter=1');
    await setup.phone201.stack.requestInDialog(dialog, 'BYE');
  });

  it('answers a carrier call to a busy 201 with 302 to the voicemail DID (R-TRUNK-09…11)', async () => {
    setup.phone201.onInvite = (incoming) => incoming.reply(486);
    const attempt = callNode(setup.carrier.stack, setup.node, '5123781201', OFFER);
    const { response } = await attempt.waitFor('final');
    expect(response.status).toBe(302);
    expect(response.headers.get('Contact')).toBe('<sip:5123788000@127.0.0.2>');
    expect(response.headers.get('Diversion')).toBe('<sip:5123781201@127.0.0.2>;reason=user-busy;counter=1');
    expect(setup.pilots.invites).toHaveLength(0);
    await vi.waitFor(() => expect(setup.node.records.at(-1)).toMatchObject({ cause: 'redirected' }));
  });

  it('answers a carrier call 201 does not answer with 302 after the timeout', async () => {
    setup.phone201.onInvite = (incoming) => incoming.reply(180);
    const attempt = callNode(setup.carrier.stack, setup.node, '5123781201', OFFER);
    const { response } = await attempt.waitFor('final');
    expect(response.status).toBe(302);
    expect(response.headers.get('Diversion')).toMatch(/;reason=no-answer;counter=1$/);
  });

  it('transfers 202 blind to voicemail when 201 REFERs it, with NOTIFY progress', async () => {
    const dialog = await answeredCall(setup, '202');
    const response = await refer(setup, dialog, '<sip:600@127.0.0.1>');
    expect(response.status).toBe(202);
    await vi.waitFor(() => expect(setup.phone202.reinvites).toHaveLength(1));
    expect(setup.pilots.invites[0]?.request.from.uri.user).toBe('202');
    await vi.waitFor(() => expect(setup.phone201.byes).toHaveLength(1));
    expect(bodies(setup.phone201.notifies)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
    expect(header(setup.phone201.notifies[0], 'Event')).toBe('refer');
    expect(header(setup.phone201.notifies[1], 'Subscription-State')).toMatch(/^terminated/);
    expect(setup.node.core.calls()).toHaveLength(1);
    await setup.phone202.stack.requestInDialog(setup.phone202.dialogs[0] as Dialog, 'BYE');
    await vi.waitFor(() => expect(setup.node.core.activeCalls).toBe(0));
  });

  it('transfers 202 to the consulted voicemail when 201 REFERs with Replaces', async () => {
    const held = await answeredCall(setup, '202');
    const consultation = await answeredCall(setup, '600');
    const { callId, localTag, remoteTag } = consultation.id;
    const replaces = encodeURIComponent(`${callId};to-tag=${remoteTag};from-tag=${localTag}`);
    const response = await refer(setup, held, `<sip:600@127.0.0.1?Replaces=${replaces}>`);
    expect(response.status).toBe(202);
    await vi.waitFor(() => expect(setup.phone202.reinvites).toHaveLength(1));
    expect(setup.pilots.reinvites).toHaveLength(1);
    await vi.waitFor(() => expect(setup.phone201.byes).toHaveLength(2));
    expect(bodies(setup.phone201.notifies).at(-1)).toBe('SIP/2.0 200 OK');
    expect(setup.node.core.calls().map((view) => view.connections.map((c) => c.number))).toEqual([
      ['202', '600'],
    ]);
    await setup.phone202.stack.requestInDialog(setup.phone202.dialogs[0] as Dialog, 'BYE');
    await vi.waitFor(() => expect(setup.node.core.activeCalls).toBe(0));
  });

  it('refuses a REFER to a dialog it does not know with 481', async () => {
    const held = await answeredCall(setup, '202');
    const response = await refer(
      setup,
      held,
      '<sip:600@127.0.0.1?Replaces=nobody%3Bto-tag%3Da%3Bfrom-tag%3Db>',
    );
    expect(response.status).toBe(481);
    expect(setup.node.core.activeCalls).toBe(1);
    await setup.phone201.stack.requestInDialog(held, 'BYE');
  });

  it('hands a blind transfer of a carrier call to the carrier by REFER, as DIDs (R-TRUNK-17, 18)', async () => {
    const dialog = await carrierCallAnswered(setup);
    expect((await refer(setup, dialog, '<sip:202@127.0.0.1>')).status).toBe(202);
    await vi.waitFor(() => expect(setup.carrier.refers).toHaveLength(1));
    expect(header(setup.carrier.refers[0], 'Refer-To')).toBe('<sip:5123781202@127.0.0.2>');
    expect(header(setup.carrier.refers[0], 'Referred-By')).toBe('<sip:5123781201@127.0.0.2>');
    await vi.waitFor(() => expect(setup.carrier.byes).toHaveLength(1));
    await vi.waitFor(() => expect(setup.phone201.byes).toHaveLength(1));
    expect(bodies(setup.phone201.notifies).at(-1)).toBe('SIP/2.0 200 OK');
    expect(setup.phone202.invites).toHaveLength(0);
  });

  it('hands a consultative transfer of a carrier call to the carrier as a REFER to the consulted DID', async () => {
    const held = await carrierCallAnswered(setup);
    const consultation = await answeredCall(setup, '202');
    const { callId, localTag, remoteTag } = consultation.id;
    const replaces = encodeURIComponent(`${callId};to-tag=${remoteTag};from-tag=${localTag}`);
    expect((await refer(setup, held, `<sip:202@127.0.0.1?Replaces=${replaces}>`)).status).toBe(202);
    await vi.waitFor(() => expect(setup.carrier.refers).toHaveLength(1));
    // RFC 5589 §7: no Replaces toward the carrier, the consultation call is ours.
    expect(header(setup.carrier.refers[0], 'Refer-To')).toBe('<sip:5123781202@127.0.0.2>');
    expect(header(setup.carrier.refers[0], 'Referred-By')).toBe('<sip:5123781201@127.0.0.2>');
    await vi.waitFor(() => expect(setup.carrier.byes).toHaveLength(1));
    await vi.waitFor(() => expect(setup.phone202.byes).toHaveLength(1));
    await vi.waitFor(() => expect(setup.phone201.byes).toHaveLength(2));
    expect(bodies(setup.phone201.notifies)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
    expect(setup.carrier.reinvites).toHaveLength(0);
    expect(setup.phone202.reinvites).toHaveLength(0);
    await vi.waitFor(() => expect(setup.node.core.activeCalls).toBe(0));
  });

  it('joins a consultative transfer here when the carrier refuses the REFER', async () => {
    setup.carrier.referStatus = 501;
    const held = await carrierCallAnswered(setup);
    const consultation = await answeredCall(setup, '202');
    const { callId, localTag, remoteTag } = consultation.id;
    const replaces = encodeURIComponent(`${callId};to-tag=${remoteTag};from-tag=${localTag}`);
    expect((await refer(setup, held, `<sip:202@127.0.0.1?Replaces=${replaces}>`)).status).toBe(202);
    await vi.waitFor(() => expect(setup.carrier.reinvites).toHaveLength(1));
    expect(setup.carrier.refers).toHaveLength(1);
    expect(setup.phone202.reinvites).toHaveLength(1);
    await vi.waitFor(() => expect(setup.phone201.byes).toHaveLength(2));
    expect(bodies(setup.phone201.notifies).at(-1)).toBe('SIP/2.0 200 OK');
    await setup.phone202.stack.requestInDialog(setup.phone202.dialogs[0] as Dialog, 'BYE');
    await vi.waitFor(() => expect(setup.carrier.byes).toHaveLength(1));
  });

  it('keeps the transfer here when the carrier refuses the REFER', async () => {
    setup.carrier.referStatus = 501;
    const dialog = await carrierCallAnswered(setup);
    expect((await refer(setup, dialog, '<sip:202@127.0.0.1>')).status).toBe(202);
    await vi.waitFor(() => expect(setup.carrier.reinvites).toHaveLength(1));
    expect(setup.phone202.invites).toHaveLength(1);
    await setup.phone202.stack.requestInDialog(setup.phone202.dialogs[0] as Dialog, 'BYE');
    await vi.waitFor(() => expect(setup.node.core.activeCalls).toBe(0));
  });

  it('answers 201’s hold of a carrier call itself: nothing goes to the carrier (R-TRUNK-21)', async () => {
    const dialog = await carrierCallAnswered(setup);
    const held = await setup.phone201.stack.requestInDialog(dialog, 'INVITE', {
      body: sdp(6000, 'sendonly'),
      contentType: 'application/sdp',
    });
    expect(held.status).toBe(200);
    expect(held.body.toString()).toMatch(/a=recvonly/);
    const retrieved = await setup.phone201.stack.requestInDialog(dialog, 'INVITE', {
      body: sdp(6000, 'sendrecv'),
      contentType: 'application/sdp',
    });
    expect(retrieved.status).toBe(200);
    expect(retrieved.body.toString()).toMatch(/a=sendrecv/);
    expect(setup.carrier.reinvites).toHaveLength(0);
    await setup.phone201.stack.requestInDialog(dialog, 'BYE');
    await vi.waitFor(() => expect(setup.carrier.byes).toHaveLength(1));
  });
});

describe('services with `no supplementary-service sip moved-temporarily` and `… refer` (hairpin)', () => {
  let setup: Setup;

  beforeAll(async () => {
    setup = await setUp({ supplementary: { refer: false, movedTemporarily: false } });
  });
  afterAll(() => tearDown(setup));
  beforeEach(() => {
    for (const party of [setup.carrier, setup.pilots, setup.phone201, setup.phone202]) party.reset();
  });

  it('completes a carrier call to a busy 201 at voicemail itself (R-TRUNK-12)', async () => {
    setup.phone201.onInvite = (incoming) => incoming.reply(486);
    const attempt = callNode(setup.carrier.stack, setup.node, '5123781201', OFFER);
    const { response, dialog } = await attempt.waitFor(200);
    expect(response.status).toBe(200);
    const invite = setup.pilots.invites[0]?.request;
    expect(invite?.from.uri.user).toBe('5125550100');
    expect(header(invite, 'Diversion')).toMatch(/^<sip:201@[^>]+>;reason=user-busy;counter=1$/);
    if (dialog) await setup.carrier.stack.requestInDialog(dialog, 'BYE');
    await vi.waitFor(() =>
      expect(setup.node.records.at(-1)).toMatchObject({ called: '600', originalCalled: '5123781201' }),
    );
  });

  it('transfers a carrier call here when 201 REFERs it (R-TRUNK-19)', async () => {
    const dialog = await carrierCallAnswered(setup);
    expect((await refer(setup, dialog, '<sip:202@127.0.0.1>')).status).toBe(202);
    await vi.waitFor(() => expect(setup.carrier.reinvites).toHaveLength(1));
    expect(setup.carrier.refers).toHaveLength(0);
    expect(setup.phone202.invites[0]?.request.from.uri.user).toBe('5125550100');
    await vi.waitFor(() => expect(setup.phone201.byes).toHaveLength(1));
    await setup.phone202.stack.requestInDialog(setup.phone202.dialogs[0] as Dialog, 'BYE');
    await vi.waitFor(() => expect(setup.carrier.byes).toHaveLength(1));
  });

  it('joins a carrier call with the party 201 consulted (REFER with Replaces)', async () => {
    const held = await carrierCallAnswered(setup);
    const consultation = await answeredCall(setup, '202');
    const { callId, localTag, remoteTag } = consultation.id;
    const replaces = encodeURIComponent(`${callId};to-tag=${remoteTag};from-tag=${localTag}`);
    expect((await refer(setup, held, `<sip:202@127.0.0.1?Replaces=${replaces}>`)).status).toBe(202);
    await vi.waitFor(() => expect(setup.carrier.reinvites).toHaveLength(1));
    expect(setup.carrier.refers).toHaveLength(0);
    expect(setup.phone202.reinvites).toHaveLength(1);
    await vi.waitFor(() => expect(setup.phone201.byes).toHaveLength(2));
    await setup.phone202.stack.requestInDialog(setup.phone202.dialogs[0] as Dialog, 'BYE');
    await vi.waitFor(() => expect(setup.carrier.byes).toHaveLength(1));
  });
});
