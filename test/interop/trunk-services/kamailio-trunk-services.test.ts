/**
 * Supplementary services over the SIP trunk with Kamailio as the carrier (its registrar holds
 * the DID 5123781201 Strowger registers; its proxy record-routes and relays) and sipp as the
 * PSTN caller. Phone 201, phone 202 and the CUE pilots are SIP stacks of the test.
 *  - CFB / CFNA of a PSTN call to 201: Strowger answers 302 with the voicemail DID, Kamailio
 *    relays it to the PSTN caller; with `no supplementary-service sip moved-temporarily` the
 *    call is completed at voicemail instead (hairpin);
 *  - 201 transfers the PSTN call to 202 by REFER: the carrier gets REFER with DIDs; with `no
 *    supplementary-service sip refer` Strowger rings 202 and re-INVITEs the caller (hairpin).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ConfigSnapshot, snapshotOfConfiguration, type TrunkConfig } from '../../../src/admin/index.js';
import type { Dialog } from '../../../src/sip/index.js';
import { interopAvailable } from '../../helpers/interop.js';
import { type KamailioCarrier, startKamailioCarrier } from '../../helpers/kamailio.js';
import { freePort } from '../../helpers/ports.js';
import { runSipp } from '../../helpers/sipp.js';
import { locationOf } from '../../integration/adapters/sip-line-calls/harness.js';
import {
  ACCOUNT,
  CARRIER_HOST,
  CARRIER_REALM,
  type TrunkNode,
} from '../../integration/adapters/sip-trunk-calls/harness.js';
import {
  type Party,
  servicesConfiguration,
  startParty,
  startServicesNode,
} from '../../integration/services/harness.js';

const canRun = interopAvailable('kamailio', 'kamcmd', 'sipp');

const scenario = (name: string) => new URL(`./scenarios/${name}`, import.meta.url).pathname;
const PSTN_UAC = new URL('../trunk-calls/scenarios/pstn-uac.xml', import.meta.url).pathname;
const DID_201 = '5123781201';

/**
 * The carrier: REGISTER challenged and saved, an INVITE for a registered number relayed to its
 * binding (record-routed, so that REFER and BYE pass through here too), in-dialog requests
 * relayed by their Route. Calls to the PSTN are not needed here.
 */
function startCarrier(): Promise<KamailioCarrier> {
  return startKamailioCarrier({
    host: CARRIER_HOST,
    realm: CARRIER_REALM,
    account: ACCOUNT,
    extraModules: ['rr'],
    beforeRegistrar: `  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK") && uri == myself) exit;
    t_relay();
    exit;
  }
  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }`,
    afterRegistrar: `  if (is_method("INVITE") && lookup("location")) {
    record_route();
    t_relay();
    exit;
  }`,
  });
}

describe.runIf(canRun)('trunk services with Kamailio as the carrier and sipp as the PSTN', () => {
  let kamailio: KamailioCarrier;
  let node: TrunkNode;
  let phone201: Party;
  let phone202: Party;
  let pilots: Party;
  let current: ConfigSnapshot;

  function configure(supplementary: TrunkConfig['supplementary']): ConfigSnapshot {
    const carrier = `ipv4:${kamailio.address}`;
    return snapshotOfConfiguration(
      servicesConfiguration(carrier, `127.0.0.1:${pilots.endpoint.port}`, {
        registrar: { uri: carrier, expires: 3600, retryRegisterSeconds: 60 },
        numbers: [{ number: DID_201, register: true }],
        supplementary,
      }),
    );
  }

  /** Switches the trunk's supplementary services and waits for the DID to be registered again. */
  async function switchTo(supplementary: TrunkConfig['supplementary']): Promise<void> {
    current = configure(supplementary);
    await node.trunks.reload();
    await vi.waitFor(
      () => expect(node.trunks.registerStatus().map((row) => row.registered)).toEqual(['yes']),
      {
        timeout: 15_000,
      },
    );
  }

  /** The sipp PSTN caller's call to the DID of 201 through Kamailio. */
  async function pstnCalls(scenarioFile: string) {
    const result = await runSipp(
      [
        ...['-sf', scenarioFile, '-s', DID_201, '-m', '1'],
        ...['-i', '127.0.0.1', '-p', String(await freePort('UDP')), '-timeout', '30s'],
        kamailio.address,
      ],
      40_000,
    );
    expect(result.successful, `${result.output}\n${kamailio.log()}`).toBe(1);
  }

  beforeAll(async () => {
    kamailio = await startCarrier();
    [phone201, phone202, pilots] = await Promise.all([startParty(), startParty(), startParty()]);
    current = configure({ refer: true, movedTemporarily: true });
    node = await startServicesNode(() => current);
    node.locations.set('201', [locationOf('SEP0008A37128E9', phone201.stack, '201')]);
    node.locations.set('202', [locationOf('SEP0008A3465C7F', phone202.stack, '202')]);
    await vi.waitFor(
      () => expect(node.trunks.registerStatus().map((row) => row.registered)).toEqual(['yes']),
      {
        timeout: 15_000,
      },
    );
  }, 60_000);

  afterAll(async () => {
    await node?.close();
    await Promise.all([phone201, phone202, pilots].map((party) => party?.stack.close()));
    await kamailio?.stop();
  });

  beforeEach(() => {
    for (const party of [phone201, phone202, pilots]) party.reset();
  });

  /** Phone 201 transfers the call it answered to 202 as soon as it is up. */
  function transferTo202(): void {
    phone201.onInvite = (incoming) => {
      phone201.answer(incoming);
      setTimeout(() => {
        const dialog = phone201.dialogs[0] as Dialog | undefined;
        if (dialog)
          void phone201.stack.requestInDialog(dialog, 'REFER', {
            headers: [['Refer-To', '<sip:202@127.0.0.1>']],
          });
      }, 300);
    };
  }

  it('CFB of a PSTN call: 302 with the voicemail DID reaches the PSTN caller through Kamailio', async () => {
    phone201.onInvite = (incoming) => incoming.reply(486);
    await pstnCalls(scenario('pstn-uac-redirected.xml'));
    expect(pilots.invites).toHaveLength(0);
    expect(node.records.at(-1)).toMatchObject({ calling: '5125550100', cause: 'redirected' });
  }, 60_000);

  it('CFNA of a PSTN call: 302 after 201 rang for its timeout', async () => {
    phone201.onInvite = (incoming) => incoming.reply(180);
    await pstnCalls(scenario('pstn-uac-redirected.xml'));
    expect(phone201.invites).toHaveLength(1);
  }, 60_000);

  it('transfer of a PSTN call: REFER with the DIDs at the carrier', async () => {
    transferTo202();
    await pstnCalls(scenario('pstn-uac-referred.xml'));
    expect(phone202.invites).toHaveLength(0);
    await vi.waitFor(() => expect(phone201.byes).toHaveLength(1));
  }, 60_000);

  describe('with `no supplementary-service sip moved-temporarily` and `… refer`', () => {
    beforeAll(() => switchTo({ refer: false, movedTemporarily: false }), 30_000);

    it('CFB of a PSTN call is completed at voicemail (hairpin)', async () => {
      phone201.onInvite = (incoming) => incoming.reply(486);
      await pstnCalls(PSTN_UAC);
      expect(pilots.invites[0]?.request.headers.get('Diversion')).toMatch(
        /^<sip:201@[^>]+>;reason=user-busy/,
      );
      await vi.waitFor(() =>
        expect(node.records.at(-1)).toMatchObject({
          calling: '5125550100',
          called: '600',
          cause: 'normalClearing',
        }),
      );
    }, 60_000);

    it('transfer of a PSTN call rings 202 and re-INVITEs the caller (hairpin)', async () => {
      transferTo202();
      await pstnCalls(scenario('pstn-uac-hairpinned.xml'));
      expect(phone202.invites[0]?.request.from.uri.user).toBe('5125550100');
      await vi.waitFor(() => expect(node.core.activeCalls).toBe(0));
    }, 60_000);
  });
});
