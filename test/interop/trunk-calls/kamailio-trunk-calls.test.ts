/**
 * Calls over the SIP trunk with Kamailio as the carrier: its registrar (usrloc, digest auth)
 * holds the DID Strowger registers, and its proxy relays calls: a DID to Strowger's binding,
 * anything else from Strowger (after a 407 answered with the trunk's credentials) to a sipp UAS
 * standing for the PSTN. The node runs the CME example's dial plan with SIP phones and the
 * registrar of phones; phone 201 is a sipp UAS registered with digest.
 *  - outbound: a sipp phone 201 dials 95125551234; the PSTN sees 5125551234 from 5123781291;
 *  - inbound: a sipp PSTN caller dials the DID 5123781201; Kamailio → Strowger → phone 201.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSipTrunkCallHandler } from '../../../src/adapters/sip-trunk/calls/index.js';
import { createTrunkAdapter, type TrunkAdapter } from '../../../src/adapters/sip-trunk/index.js';
import { applyConfig, type ConfigSnapshot, loadSnapshot } from '../../../src/admin/index.js';
import { createDialPlanRouter } from '../../../src/features/routing/index.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { interopAvailable } from '../../helpers/interop.js';
import { authenticate, type KamailioCarrier, startKamailioCarrier } from '../../helpers/kamailio.js';
import { freePort } from '../../helpers/ports.js';
import { runSipp, startSipp } from '../../helpers/sipp.js';
import { type SippLineNode, startSippLineNode } from '../../helpers/sipp-line-node.js';
import { registerWithSipp } from '../../helpers/sipp-register.js';
import {
  ACCOUNT,
  CARRIER_HOST,
  CARRIER_REALM,
  cmeConfiguration,
} from '../../integration/adapters/sip-trunk-calls/harness.js';

const canRun = interopAvailable('kamailio', 'kamcmd', 'sipp');

const PHONE_UAC = new URL('../calls/scenarios/uac-auth.xml', import.meta.url).pathname;
const PSTN_UAS = new URL('./scenarios/pstn-uas.xml', import.meta.url).pathname;
const PSTN_UAC = new URL('./scenarios/pstn-uac.xml', import.meta.url).pathname;
const DID_201 = '5123781201';

/**
 * The carrier: OPTIONS answered, REGISTER challenged and saved, an INVITE for a registered
 * number relayed to its binding (a DID call to Strowger), any other INVITE challenged for the
 * trunk's account and relayed to the PSTN. In-dialog requests are relayed by Request-URI.
 */
function startCarrier(pstnPort: number): Promise<KamailioCarrier> {
  return startKamailioCarrier({
    host: CARRIER_HOST,
    realm: CARRIER_REALM,
    account: ACCOUNT,
    beforeRegistrar: `  if (has_totag()) {
    # the ACK of a reply sent here statelessly ends here
    if (is_method("ACK") && uri == myself) exit;
    t_relay();
    exit;
  }
  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }`,
    afterRegistrar: `  if (is_method("INVITE")) {
    if (lookup("location")) { t_relay(); exit; }
${authenticate(CARRIER_REALM, 'proxy')}
    $du = "sip:127.0.0.1:${pstnPort}";
    t_relay();
    exit;
  }`,
  });
}

describe.runIf(canRun)('trunk calls with Kamailio as the carrier and sipp as the PSTN', () => {
  let dir: string;
  let kamailio: KamailioCarrier;
  let pstnPort: number;
  let store: Store;
  let node: SippLineNode;
  let trunks: TrunkAdapter;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strowger-trunk-calls-'));
    pstnPort = await freePort('UDP');
    kamailio = await startCarrier(pstnPort);

    const carrier = `ipv4:${kamailio.address}`;
    const configuration = {
      ...cmeConfiguration({
        proxy: carrier,
        trunk: {
          registrar: { uri: carrier, expires: 3600, retryRegisterSeconds: 60 },
          numbers: [{ number: DID_201, register: true }],
        },
      }),
      // The seed's registrar grants exactly 3600 s; sipp's REGISTER scenario asks for 60.
      registrar: { expiresDefault: 3600, expiresMin: 60, expiresMax: 3600 },
    };
    store = await openStore({ dataDir: join(dir, 'store') });
    const applied = await applyConfig(store, { configuration, sha256: '0'.repeat(64) });
    if (!applied.ok) throw new Error(applied.errors.join('\n'));
    const config: ConfigSnapshot = await loadSnapshot(store);

    node = await startSippLineNode({ store, snapshot: () => config, router: createDialPlanRouter });
    const { stack, core } = node;
    trunks = createTrunkAdapter({ stack, trunks: () => [...config.trunks.values()], stopTimeoutMs: 3000 });
    createSipTrunkCallHandler({ stack, core, trunks });
    trunks.start();
    await vi.waitFor(() => expect(trunks.registerStatus().map((row) => row.registered)).toEqual(['yes']), {
      timeout: 15_000,
    });
  }, 60_000);

  afterAll(async () => {
    await trunks?.stop();
    await node?.close();
    await store?.close();
    await kamailio?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('places 201’s call to 95125551234 through Kamailio: the PSTN sees 5125551234 from 5123781291', async () => {
    const pstn = startSipp([
      ...['-sf', PSTN_UAS, '-i', '127.0.0.1', '-p', String(pstnPort), '-m', '1'],
      ...['-timeout', '60s'],
    ]);
    try {
      const phone = await runSipp(
        [
          ...['-sf', PHONE_UAC, '-s', '95125551234', '-au', '201', '-ap', 'demo-201', '-m', '1', '-d', '200'],
          ...['-i', '127.0.0.1', '-p', String(await freePort('UDP')), '-timeout', '60s', node.server],
        ],
        70_000,
      );
      expect(phone.successful, `${phone.output}\n${kamailio.log()}`).toBe(1);
    } finally {
      const answered = await pstn.exited;
      expect(answered.successful, answered.output).toBe(1);
      expect(answered.failed, answered.output).toBe(0);
    }
    await expect.poll(() => node.core.activeCalls).toBe(0);
    expect(node.records.at(-1)).toMatchObject({
      calling: '201',
      called: '5125551234',
      originalCalled: '95125551234',
      cause: 'normalClearing',
    });
  }, 90_000);

  it('puts a PSTN call to the DID 5123781201 through Kamailio to the registered phone 201', async () => {
    const phonePort = await freePort('UDP');
    const registration = await registerWithSipp({
      server: node.server,
      dn: '201',
      password: 'demo-201',
      localPort: phonePort,
    });
    expect(registration.successful, registration.output).toBe(1);
    const phone = startSipp(['-sn', 'uas', '-i', '127.0.0.1', '-p', String(phonePort), '-m', '1']);
    try {
      const caller = await runSipp(
        [
          ...['-sf', PSTN_UAC, '-s', DID_201, '-m', '1'],
          ...['-i', '127.0.0.1', '-p', String(await freePort('UDP')), '-timeout', '60s'],
          kamailio.address,
        ],
        70_000,
      );
      expect(caller.successful, `${caller.output}\n${kamailio.log()}`).toBe(1);
    } finally {
      const answered = await phone.exited;
      expect(answered.successful, answered.output).toBe(1);
    }
    await expect.poll(() => node.core.activeCalls).toBe(0);
    expect(node.records.at(-1)).toMatchObject({
      calling: '5125550100',
      called: '201',
      originalCalled: DID_201,
      cause: 'normalClearing',
    });
  }, 90_000);
});
