/**
 * Calls over the SIP trunk on real sockets (the CME example's dial plan): phone 201 dialling
 * 9 + a number reaches the carrier with the numbers translated and the carrier's challenge
 * answered; a DID from the carrier rings the registered phone or the auto-attendant pilot;
 * strangers, toll fraud, an out-of-service trunk and a silent carrier are refused as they should.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createRequest,
  createSipStack,
  type Dialog,
  type Endpoint,
  generateCallId,
  generateTag,
  type IncomingRequest,
  parseMessage,
  type SipRequest,
  type SipStack,
} from '../../../../src/sip/index.js';
import { freePort } from '../../../helpers/ports.js';
import { ANSWER, CallAttempt, call, locationOf, signal } from '../sip-line-calls/harness.js';
import {
  CARRIER_HOST,
  type Carrier,
  callNode,
  cmeConfiguration,
  startCarrier,
  startNode,
  type TrunkNode,
} from './harness.js';

/** An offer with more than the trunk's `g711ulaw`: PCMA, PCMU, G.729 and RFC 4733 events. */
const WIDE_OFFER = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.2',
  's=-',
  'c=IN IP4 127.0.0.2',
  't=0 0',
  'm=audio 8000 RTP/AVP 8 0 18 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=sendrecv',
  '',
].join('\r\n');

const G729_ONLY = WIDE_OFFER.replace('RTP/AVP 8 0 18 101', 'RTP/AVP 18').replace(
  /a=rtpmap:(8|0|101) .*\r\n|a=fmtp:101 .*\r\n/g,
  '',
);

async function stackOn(address: string): Promise<SipStack> {
  return createSipStack({ transports: [{ protocol: 'UDP', address, port: 0 }] });
}

/** Rings, then answers with ANSWER: an INVITE handler for phones, pilots and the carrier. */
function ringAndAnswer(answered?: (dialog: Dialog) => void) {
  return (incoming: IncomingRequest) => {
    if (incoming.dialog) return;
    incoming.reply(180);
    setTimeout(() => {
      if (incoming.answered) return;
      const dialog = incoming.accept({ body: ANSWER, contentType: 'application/sdp' });
      answered?.(dialog);
    }, 20);
  };
}

function byesTo(stack: SipStack): SipRequest[] {
  const byes: SipRequest[] = [];
  stack.onRequest('BYE', (incoming) => {
    byes.push(incoming.request);
    incoming.reply(200);
  });
  return byes;
}

describe('calls over the SIP trunk', () => {
  let carrier: Carrier;
  let pilots: SipStack;
  let phone201: SipStack;
  let stranger: SipStack;
  let node: TrunkNode;
  let carrierByes: SipRequest[];
  let phoneByes: SipRequest[];
  const pilotInvites: SipRequest[] = [];
  const phoneInvites: SipRequest[] = [];

  beforeAll(async () => {
    carrier = await startCarrier();
    pilots = await stackOn('127.0.0.1');
    phone201 = await stackOn('127.0.0.1');
    stranger = await stackOn('127.0.0.3');
    const pilotPort = (pilots.listening()[0] as Endpoint).port;
    node = await startNode({
      configuration: cmeConfiguration({
        proxy: `ipv4:${CARRIER_HOST}:${carrier.endpoint.port}`,
        pilots: `127.0.0.1:${pilotPort}`,
      }),
    });
    node.locations.set('201', [locationOf('SEP0008A37128E9', phone201, '201')]);
    carrierByes = byesTo(carrier.stack);
    phoneByes = byesTo(phone201);
    pilots.onRequest('INVITE', (incoming) => {
      pilotInvites.push(incoming.request);
      ringAndAnswer()(incoming);
    });
    byesTo(pilots);
    phone201.onRequest('INVITE', (incoming) => {
      if (!incoming.dialog) phoneInvites.push(incoming.request);
      ringAndAnswer()(incoming);
    });
    await vi.waitFor(() => expect(node.trunks.status()[0]?.lastOptions?.status).toBe(200));
  });

  afterAll(async () => {
    await Promise.all([
      node?.close(),
      carrier?.close(),
      pilots?.close(),
      phone201?.close(),
      stranger?.close(),
    ]);
  });

  afterEach(async () => {
    await expect.poll(() => node.core.activeCalls).toBe(0);
  });

  it('places 201’s call to 95125551234 with the carrier: translated numbers, challenge answered, caller hangs up', async () => {
    carrier.onInvite = ringAndAnswer();
    const challengedBefore = carrier.challenged;
    const attempt = await call(phone201, node, '95125551234');
    await attempt.waitFor(180);
    const { response, dialog } = await attempt.waitFor('final');
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(ANSWER);

    expect(carrier.challenged).toBe(challengedBefore + 1);
    const invite = carrier.invites.at(-1)!.request;
    expect(invite.uri.user).toBe('5125551234');
    expect(invite.uri.host).toBe(CARRIER_HOST);
    expect(invite.to.uri.user).toBe('5125551234');
    expect(invite.from.uri.user).toBe('5123781291');
    // host-registrar: our From names the carrier's domain, not our address.
    expect(invite.from.uri.host).toBe(CARRIER_HOST);
    expect(invite.headers.get('P-Asserted-Identity')).toBe(`<sip:5123781291@${CARRIER_HOST}>`);
    expect(invite.headers.get('Max-Forwards')).toBe('69');
    expect(invite.headers.get('Proxy-Authorization')).toMatch(/^Digest .*username="5123781000"/);
    expect(invite.cseq.seq).toBe(2);
    expect(invite.body.toString()).toContain('m=audio 6000 RTP/AVP 0');

    const byesBefore = carrierByes.length;
    expect((await phone201.requestInDialog(dialog!, 'BYE')).status).toBe(200);
    await expect.poll(() => carrierByes.length).toBe(byesBefore + 1);
    expect(carrierByes.at(-1)!.callId).toBe(invite.callId);
    expect(node.records.at(-1)).toMatchObject({
      calling: '201',
      called: '5125551234',
      originalCalled: '95125551234',
      cause: 'normalClearing',
    });
  });

  it('clears the phone’s leg when the carrier hangs up', async () => {
    const carrierDialog = signal<Dialog>();
    carrier.onInvite = ringAndAnswer(carrierDialog.resolve);
    const attempt = await call(phone201, node, '9911');
    const { response } = await attempt.waitFor('final');
    expect(response.status).toBe(200);
    expect(carrier.invites.at(-1)!.request.uri.user).toBe('911');
    const byesBefore = phoneByes.length;
    expect((await carrier.stack.requestInDialog(await carrierDialog.promise, 'BYE')).status).toBe(200);
    await expect.poll(() => phoneByes.length).toBe(byesBefore + 1);
    expect(phoneByes.at(-1)!.callId).toBe(response.callId);
    expect(node.records.at(-1)).toMatchObject({ calling: '201', called: '911', originalCalled: '9911' });
  });

  it('cancels the carrier’s INVITE when the phone gives up while it rings', async () => {
    const cancelled = signal();
    carrier.onInvite = (incoming) => {
      incoming.reply(180);
      incoming.onCancel(() => cancelled.resolve());
    };
    const attempt = await call(phone201, node, '95125551234');
    await attempt.waitFor(180);
    attempt.outgoing.cancel();
    expect((await attempt.waitFor('final')).response.status).toBe(487);
    await cancelled.promise;
    expect(node.records.at(-1)).toMatchObject({ calling: '201', cause: 'callCancelled' });
  });

  it('rings the registered phone 201 for its DID, the offer held to the trunk’s codec', async () => {
    const attempt = callNode(carrier.stack, node, '5123781201', WIDE_OFFER);
    await attempt.waitFor(180);
    const { response, dialog } = await attempt.waitFor('final');
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(ANSWER);
    const invite = phoneInvites.at(-1)!;
    expect(invite.uri.user).toBe('201');
    expect(invite.from.uri.user).toBe('5125550100');
    expect(invite.from.displayName).toBe('PSTN caller');
    const offer = invite.body.toString();
    expect(offer).toContain('m=audio 8000 RTP/AVP 0 101');
    expect(offer).not.toMatch(/PCMA|G729/);

    const byesBefore = phoneByes.length;
    expect((await carrier.stack.requestInDialog(dialog!, 'BYE')).status).toBe(200);
    await expect.poll(() => phoneByes.length).toBe(byesBefore + 1);
    expect(node.records.at(-1)).toMatchObject({
      calling: '5125550100',
      called: '201',
      originalCalled: '5123781201',
      cause: 'normalClearing',
    });
  });

  it('sends the main DID to the auto-attendant pilot 601', async () => {
    const attempt = callNode(carrier.stack, node, '5123781291', WIDE_OFFER);
    const { response, dialog } = await attempt.waitFor('final');
    expect(response.status).toBe(200);
    expect(pilotInvites.at(-1)?.uri.user).toBe('601');
    expect(pilotInvites.at(-1)?.from.uri.user).toBe('5125550100');
    expect((await carrier.stack.requestInDialog(dialog!, 'BYE')).status).toBe(200);
    await expect.poll(() => node.records.at(-1)?.called).toBe('601');
  });

  it('answers 488 with a Warning to a carrier offering only codecs the trunk does not take', async () => {
    const attempt = callNode(carrier.stack, node, '5123781201', G729_ONLY);
    const { response } = await attempt.waitFor('final');
    expect(response.status).toBe(488);
    expect(response.headers.get('Warning')).toMatch(/^305 \S+ "Incompatible media format"$/);
  });

  it('answers 404 for a DID nothing answers, and 480 for a line nobody registered', async () => {
    expect(
      (await callNode(carrier.stack, node, '5123781299', WIDE_OFFER).waitFor('final')).response.status,
    ).toBe(404);
    expect(
      (await callNode(carrier.stack, node, '5123781202', WIDE_OFFER).waitFor('final')).response.status,
    ).toBe(480);
  });

  it('refuses the carrier’s call to 9011… with 403: nothing leaves by the trunk', async () => {
    const invitesBefore = carrier.invites.length;
    const { response } = await callNode(carrier.stack, node, '9011442071234567', WIDE_OFFER).waitFor('final');
    expect(response.status).toBe(403);
    expect(carrier.invites.length).toBe(invitesBefore);
  });

  it('keeps a stranger’s call to 9011… from the trunk: it must authenticate as a phone', async () => {
    const invitesBefore = carrier.invites.length;
    const { response } = await callNode(stranger, node, '9011442071234567', WIDE_OFFER).waitFor('final');
    expect(response.status).toBe(407);
    expect(carrier.invites.length).toBe(invitesBefore);
  });

  it('answers 483 to an INVITE whose Max-Forwards is spent, and 482 to our own INVITE coming back', async () => {
    const target = node.server.listening()[0] as Endpoint;
    const spent = createRequest({
      method: 'INVITE',
      uri: `sip:5123781201@127.0.0.1:${target.port}`,
      from: `<sip:5125550100@${CARRIER_HOST}>;tag=${generateTag()}`,
      to: '<sip:5123781201@127.0.0.1>',
      callId: generateCallId(),
      cseq: 1,
      maxForwards: 0,
      contact: carrier.stack.contact('UDP'),
    });
    expect(
      (await new CallAttempt(carrier.stack.invite(spent, { target })).waitFor('final')).response.status,
    ).toBe(483);

    // The carrier routes our INVITE back to us (a misconfigured route): same Call-ID, a loop.
    const looped = signal<number>();
    carrier.onInvite = (incoming) => {
      const back = createRequest({
        method: 'INVITE',
        uri: `sip:5123781201@127.0.0.1:${target.port}`,
        from: incoming.request.from,
        to: incoming.request.to,
        callId: incoming.request.callId,
        cseq: incoming.request.cseq.seq,
        contact: carrier.stack.contact('UDP'),
      });
      void new CallAttempt(carrier.stack.invite(back, { target })).waitFor('final').then(({ response }) => {
        looped.resolve(response.status);
        incoming.reply(response.status);
      });
    };
    const attempt = await call(phone201, node, '95125551234');
    expect(await looped.promise).toBe(482);
    expect((await attempt.waitFor('final')).response.status).toBeGreaterThanOrEqual(400);
  });
});

describe('trunk calls refused before the carrier', () => {
  const nodes: TrunkNode[] = [];
  const stacks: SipStack[] = [];
  let silent: Socket | undefined;

  afterAll(async () => {
    silent?.close();
    await Promise.all([...nodes.map((node) => node.close()), ...stacks.map((stack) => stack.close())]);
  });

  async function phoneFor(node: TrunkNode): Promise<SipStack> {
    const phone = await stackOn('127.0.0.1');
    stacks.push(phone);
    node.locations.set('201', [locationOf('SEP0008A37128E9', phone, '201')]);
    return phone;
  }

  it('answers 403 to a stranger on a node that serves carriers only', async () => {
    const carrier = await startCarrier();
    stacks.push(carrier.stack);
    const node = await startNode({
      configuration: cmeConfiguration({ proxy: `ipv4:${CARRIER_HOST}:${carrier.endpoint.port}` }),
      phones: false,
    });
    nodes.push(node);
    const stranger = await stackOn('127.0.0.3');
    stacks.push(stranger);
    const { response } = await callNode(stranger, node, '9011442071234567', WIDE_OFFER).waitFor('final');
    expect(response.status).toBe(403);
    expect(carrier.invites).toEqual([]);
  });

  it('answers 503 to the phone while the trunk is out of service', async () => {
    const deadPort = await freePort('UDP');
    const node = await startNode({
      configuration: cmeConfiguration({
        proxy: `ipv4:${CARRIER_HOST}:${deadPort}`,
        trunk: { optionsKeepalive: { intervalSeconds: 1, failuresBeforeOutOfService: 1, retries: 0 } },
      }),
      timers: { T1: 20, T2: 80 },
    });
    nodes.push(node);
    await expect.poll(() => node.trunks.status()[0]?.state, { timeout: 10_000 }).toBe('out-of-service');
    const phone = await phoneFor(node);
    const { response } = await (await call(phone, node, '95125551234')).waitFor('final');
    expect(response.status).toBe(503);
    expect(node.records.at(-1)).toMatchObject({ calling: '201', cause: 'resourcesNotAvailable' });
  });

  it('sends the INVITE again `inviteRetries` times to a carrier that says nothing, then gives up', async () => {
    const socket = createSocket('udp4');
    silent = socket;
    const invites: SipRequest[] = [];
    socket.on('message', (bytes) => {
      const parsed = parseMessage(bytes);
      if (parsed.ok && 'method' in parsed.value && parsed.value.method === 'INVITE')
        invites.push(parsed.value as SipRequest);
    });
    await new Promise<void>((resolve) => socket.bind(0, CARRIER_HOST, resolve));
    const node = await startNode({
      configuration: cmeConfiguration({
        proxy: `ipv4:${CARRIER_HOST}:${socket.address().port}`,
        trunk: { optionsKeepalive: false, inviteRetries: 1 },
      }),
      timers: { T1: 20, T2: 80 },
    });
    nodes.push(node);
    await expect.poll(() => node.trunks.status()[0]?.target).toBeDefined();
    const phone = await phoneFor(node);
    const { response } = await (await call(phone, node, '95125551234')).waitFor('final');
    expect(response.status).toBe(480);
    const attempts = [...new Set(invites.map((invite) => invite.cseq.seq))];
    expect(attempts).toEqual([1, 2]);
    expect(new Set(invites.map((invite) => invite.callId)).size).toBe(1);
  });
});
