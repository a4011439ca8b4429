/**
 * Cisco `dtmf-relay sip-notify` is negotiated with Call-Info, on real sockets: a trunk with
 * `dtmfRelay: sip-notify` announces NOTIFY relay from our own address on the INVITE it sends the
 * carrier and on the 180/200 it answers the carrier's INVITE with (the lower max-duration of the
 * two); an `rtp-nte` trunk announces nothing; whatever the carrier writes in its Call-Info, the
 * call goes on.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createRequest,
  createSipStack,
  type Endpoint,
  generateCallId,
  generateTag,
  type IncomingRequest,
  type SipStack,
} from '../../../../src/sip/index.js';
import { ANSWER, CallAttempt, call, locationOf } from '../sip-line-calls/harness.js';
import {
  CARRIER_HOST,
  type Carrier,
  cmeConfiguration,
  startCarrier,
  startNode,
  type TrunkNode,
} from './harness.js';

const OFFER = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.2',
  's=-',
  'c=IN IP4 127.0.0.2',
  't=0 0',
  'm=audio 8000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  'a=sendrecv',
  '',
].join('\r\n');

/** What a Cisco gateway writes, from its own address. */
const CISCO_CALL_INFO = '<sip:127.0.0.2:5060>;method="NOTIFY;Event=telephone-event;Duration=700"';

/** Carrier Call-Info values no parser may choke on; none of them announces NOTIFY relay we can read. */
const HOSTILE_CALL_INFO: readonly string[] = [
  `<sip:127.0.0.2>;method="NOTIFY;Event=telephone-event;Duration=${'9'.repeat(4000)}"`,
  `<sip:${'a'.repeat(3000)}.test>;method="NOTIFY;Event=telephone-event"`,
  '<sip:127.0.0.2;method="NOTIFY;Event=telephone-event;Duration=500',
  'sip:127.0.0.2;method="NOTIFY;Event=telephone-event;Duration=500"',
  '<sip:127.0.0.2>;method="NOTIFY;Event=dialog;Duration=500"',
  '<sip:127.0.0.2>;method="INFO;Event=telephone-event;Duration=500"',
  `${'<sip:127.0.0.2>;purpose=icon, '.repeat(200)}<sip:127.0.0.2>;method="NOTIFY;Event=telephone-event;Duration=500"`,
  '<>;method=";;;==;Event;Duration=-5"',
  '"<<<>>>;;method="',
];

function ourCallInfo(node: TrunkNode, durationMs: number): string {
  const { port } = node.server.listening()[0] as Endpoint;
  return `<sip:127.0.0.1:${port}>;method="NOTIFY;Event=telephone-event;Duration=${durationMs}"`;
}

/** The carrier calls DID `number` at the node, adding `headers` to its INVITE. */
function carrierCalls(carrier: Carrier, node: TrunkNode, number: string, headers: [string, string][]) {
  const target = node.server.listening()[0] as Endpoint;
  const invite = createRequest({
    method: 'INVITE',
    uri: `sip:${number}@127.0.0.1:${target.port}`,
    from: `<sip:5125550100@${CARRIER_HOST}>;tag=${generateTag()}`,
    to: `<sip:${number}@127.0.0.1>`,
    callId: generateCallId(),
    cseq: 1,
    contact: carrier.stack.contact('UDP'),
    headers,
    body: OFFER,
    contentType: 'application/sdp',
  });
  return new CallAttempt(carrier.stack.invite(invite, { target }));
}

/** Rings with `headers`, then answers with them. */
function ringAndAnswer(headers: [string, string][] = []) {
  return (incoming: IncomingRequest) => {
    if (incoming.dialog) return;
    incoming.reply(180, undefined, { headers });
    setTimeout(() => {
      if (!incoming.answered) incoming.accept({ body: ANSWER, contentType: 'application/sdp', headers });
    }, 10);
  };
}

interface Bench {
  carrier: Carrier;
  phone: SipStack;
  node: TrunkNode;
}

async function startBench(dtmfRelay: 'sip-notify' | 'rtp-nte'): Promise<Bench> {
  const carrier = await startCarrier();
  const phone = await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
  const node = await startNode({
    configuration: cmeConfiguration({
      proxy: `ipv4:${CARRIER_HOST}:${carrier.endpoint.port}`,
      trunk: { dtmfRelay },
    }),
  });
  node.locations.set('201', [locationOf('SEP0008A37128E9', phone, '201')]);
  for (const stack of [carrier.stack, phone])
    stack.onRequest('BYE', (incoming) => {
      incoming.reply(200);
    });
  phone.onRequest('INVITE', ringAndAnswer());
  await vi.waitFor(() => expect(node.trunks.status()[0]?.lastOptions?.status).toBe(200));
  return { carrier, phone, node };
}

async function stopBench(bench: Bench | undefined): Promise<void> {
  if (bench === undefined) return;
  await Promise.all([bench.node.close(), bench.carrier.close(), bench.phone.close()]);
}

/** Phone 201 calls the PSTN over the trunk; the carrier's INVITE once answered, and the call hung up. */
async function callCarrier(bench: Bench, carrierHeaders: [string, string][] = []) {
  bench.carrier.onInvite = ringAndAnswer(carrierHeaders);
  const attempt = await call(bench.phone, bench.node, '95125551234');
  const { response, dialog } = await attempt.waitFor('final');
  expect(response.status).toBe(200);
  expect(response.body.toString()).toBe(ANSWER);
  expect((await bench.phone.requestInDialog(dialog!, 'BYE')).status).toBe(200);
  return bench.carrier.invites.at(-1)!.request;
}

/** The carrier calls phone 201's DID; the node's 180 and 200, and the call hung up. */
async function callFromCarrier(bench: Bench, headers: [string, string][] = []) {
  const attempt = carrierCalls(bench.carrier, bench.node, '5123781201', headers);
  const ringing = (await attempt.waitFor(180)).response;
  const { response, dialog } = await attempt.waitFor('final');
  expect(response.status).toBe(200);
  expect((await bench.carrier.stack.requestInDialog(dialog!, 'BYE')).status).toBe(200);
  return { ringing, answer: response };
}

describe('a sip-notify trunk announces NOTIFY DTMF relay with Call-Info', () => {
  let bench: Bench;

  beforeAll(async () => {
    bench = await startBench('sip-notify');
  });
  afterAll(() => stopBench(bench));
  afterEach(async () => {
    await expect.poll(() => bench.node.core.activeCalls).toBe(0);
  });

  it('on the INVITE to the carrier: our address, Cisco’s default max-duration', async () => {
    const invite = await callCarrier(bench, [['Call-Info', CISCO_CALL_INFO]]);
    expect(invite.headers.getAll('Call-Info')).toEqual([ourCallInfo(bench.node, 2000)]);
  });

  it('on the 180 and 200 to a carrier that announced nothing, with the default max-duration', async () => {
    const { ringing, answer } = await callFromCarrier(bench);
    expect(ringing.headers.getAll('Call-Info')).toEqual([ourCallInfo(bench.node, 2000)]);
    expect(answer.headers.getAll('Call-Info')).toEqual([ourCallInfo(bench.node, 2000)]);
  });

  it('on the 180 and 200 to a carrier that announced it, with the lower max-duration', async () => {
    const { ringing, answer } = await callFromCarrier(bench, [['Call-Info', CISCO_CALL_INFO]]);
    expect(ringing.headers.getAll('Call-Info')).toEqual([ourCallInfo(bench.node, 700)]);
    expect(answer.headers.getAll('Call-Info')).toEqual([ourCallInfo(bench.node, 700)]);
  });

  it('takes a longer max-duration from the carrier as its own, never more', async () => {
    const longer = CISCO_CALL_INFO.replace('Duration=700', 'Duration=3000');
    const { answer } = await callFromCarrier(bench, [['Call-Info', longer]]);
    expect(answer.headers.getAll('Call-Info')).toEqual([ourCallInfo(bench.node, 2000)]);
  });

  it('answers every hostile Call-Info of the carrier’s INVITE, announcing its own default', async () => {
    for (const value of HOSTILE_CALL_INFO) {
      const { answer } = await callFromCarrier(bench, [['Call-Info', value]]);
      expect(answer.headers.getAll('Call-Info'), value.slice(0, 80)).toEqual([ourCallInfo(bench.node, 2000)]);
      await expect.poll(() => bench.node.core.activeCalls).toBe(0);
    }
  });

  it('completes calls whose carrier answers with hostile Call-Info in its 180 and 200', async () => {
    for (const value of HOSTILE_CALL_INFO) {
      const invite = await callCarrier(bench, [['Call-Info', value]]);
      expect(invite.headers.getAll('Call-Info')).toEqual([ourCallInfo(bench.node, 2000)]);
      await expect.poll(() => bench.node.core.activeCalls).toBe(0);
    }
  });
});

describe('an rtp-nte trunk announces no NOTIFY relay', () => {
  let bench: Bench;

  beforeAll(async () => {
    bench = await startBench('rtp-nte');
  });
  afterAll(() => stopBench(bench));
  afterEach(async () => {
    await expect.poll(() => bench.node.core.activeCalls).toBe(0);
  });

  it('neither on the INVITE to the carrier nor on the 180/200 to the carrier’s', async () => {
    const invite = await callCarrier(bench, [['Call-Info', CISCO_CALL_INFO]]);
    expect(invite.headers.getAll('Call-Info')).toEqual([]);
    const { ringing, answer } = await callFromCarrier(bench, [['Call-Info', CISCO_CALL_INFO]]);
    expect(ringing.headers.getAll('Call-Info')).toEqual([]);
    expect(answer.headers.getAll('Call-Info')).toEqual([]);
  });
});
