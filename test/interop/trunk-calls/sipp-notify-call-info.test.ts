/**
 * Cisco `dtmf-relay sip-notify` negotiation with sipp standing as the carrier's Cisco gateway
 * (`notify telephone-event max-duration 1000`) on 127.0.0.2, for a trunk with
 * `dtmfRelay: sip-notify`. The scenarios check the Call-Info Strowger sends with their own
 * regular expressions (check_it), so the check does not go through Strowger's parser:
 *  - outbound: phone 201 dials 95125551234; the gateway's INVITE carries Strowger's Call-Info
 *    with 2000 ms, and the gateway answers with its own;
 *  - inbound: the gateway calls the DID 5123781201 announcing 1000 ms; Strowger's 180 and 200
 *    to it acknowledge with 1000 ms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSipStack,
  type Endpoint,
  type IncomingRequest,
  type SipStack,
} from '../../../src/sip/index.js';
import { interopAvailable } from '../../helpers/interop.js';
import { freePort } from '../../helpers/ports.js';
import { runSipp, startSipp } from '../../helpers/sipp.js';
import { ANSWER, call, locationOf } from '../../integration/adapters/sip-line-calls/harness.js';
import {
  CARRIER_HOST,
  cmeConfiguration,
  startNode,
  type TrunkNode,
} from '../../integration/adapters/sip-trunk-calls/harness.js';

const canRun = interopAvailable('sipp');

const GATEWAY_UAS = new URL('./scenarios/cisco-notify-uas.xml', import.meta.url).pathname;
const GATEWAY_UAC = new URL('./scenarios/cisco-notify-uac.xml', import.meta.url).pathname;

describe.runIf(canRun)('sip-notify Call-Info with sipp as a Cisco gateway', () => {
  let node: TrunkNode;
  let phone: SipStack;
  let port: number;

  beforeAll(async () => {
    // Free on 127.0.0.1 when asked; sipp binds it on 127.0.0.2, the address the trunk trusts.
    port = await freePort('UDP');
    node = await startNode({
      configuration: cmeConfiguration({
        proxy: `ipv4:${CARRIER_HOST}:${port}`,
        // sipp runs one scenario at a time: no OPTIONS probes to answer.
        trunk: { dtmfRelay: 'sip-notify', optionsKeepalive: false },
      }),
    });
    phone = await createSipStack({ transports: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    node.locations.set('201', [locationOf('SEP0008A37128E9', phone, '201')]);
    phone.onRequest('BYE', (incoming) => {
      incoming.reply(200);
    });
    phone.onRequest('INVITE', (incoming: IncomingRequest) => {
      if (incoming.dialog) return;
      incoming.reply(180);
      setTimeout(() => {
        if (!incoming.answered) incoming.accept({ body: ANSWER, contentType: 'application/sdp' });
      }, 20);
    });
  });

  afterAll(async () => {
    await node?.close();
    await phone?.close();
  });

  it('announces NOTIFY relay on the INVITE to the gateway, which answers with its own', async () => {
    const gateway = startSipp([
      ...['-sf', GATEWAY_UAS, '-i', CARRIER_HOST, '-p', String(port), '-m', '1'],
      ...['-timeout', '30s'],
    ]);
    try {
      const attempt = await call(phone, node, '95125551234');
      const { response, dialog } = await attempt.waitFor('final');
      expect(response.status).toBe(200);
      expect((await phone.requestInDialog(dialog!, 'BYE')).status).toBe(200);
    } finally {
      const answered = await gateway.exited;
      expect(answered.successful, answered.output).toBe(1);
      expect(answered.failed, answered.output).toBe(0);
    }
    await expect.poll(() => node.core.activeCalls).toBe(0);
  }, 40_000);

  it('acknowledges the gateway’s announcement on its 180 and 200 with the lower max-duration', async () => {
    const target = node.server.listening()[0] as Endpoint;
    const gateway = await runSipp(
      [
        ...['-sf', GATEWAY_UAC, '-s', '5123781201', '-m', '1'],
        ...['-i', CARRIER_HOST, '-p', String(port), '-timeout', '30s'],
        `127.0.0.1:${target.port}`,
      ],
      40_000,
    );
    expect(gateway.successful, gateway.output).toBe(1);
    expect(gateway.failed, gateway.output).toBe(0);
    await expect.poll(() => node.core.activeCalls).toBe(0);
    expect(node.records.at(-1)).toMatchObject({
      calling: '5125550100',
      called: '201',
      cause: 'normalClearing',
    });
  }, 40_000);
});
