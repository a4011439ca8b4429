/**
 * Tones follow the listener's device pool (`devicePools[].toneRegion`, CUCM's network locale):
 * a phone in an ITU-T pool hears the ITU-T busy tone (425 Hz) while one in a pool without a
 * region hears the node's (North American: 480 + 620 Hz). A carrier's caller belongs to no
 * device pool and hears the node's tones.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Configuration, ToneRegionSetting } from '../../../src/admin/index.js';
import { tonePlan } from '../../../src/media/tone-generator.js';
import {
  carrierCalls,
  dial,
  heard,
  type MediaNode,
  type MediaParty,
  Parties,
  PHONE_201,
  PHONE_202,
  register,
  share,
  startMediaNode,
} from './harness.js';

/** One 20 ms G.711 frame, in samples. */
const FRAME = 160;
/** A DID of the example's range that no line has. */
const UNASSIGNED_DID = '5123781299';

let node: MediaNode | undefined;
const parties = new Parties();

afterEach(async () => {
  await parties.closeAll();
  await node?.close();
  node = undefined;
});

/** The busy tone's frequencies in `region`, as the engine generates them. */
function busyHz(region: ToneRegionSetting): number[] {
  return tonePlan('busy', region).steps[0]!.components.map((component) => component.frequency);
}

/** The example's phone 201 in its own pool with `toneRegion` (none: the example's pool, no region). */
function phone201InPool(toneRegion: ToneRegionSetting | undefined) {
  return (configuration: Configuration): Configuration => {
    if (toneRegion === undefined) return configuration;
    return {
      ...configuration,
      devicePools: [
        ...(configuration.devicePools ?? []),
        {
          name: 'geneva',
          description: '',
          region: null,
          callManagerGroup: [],
          mohSource: null,
          locale: null,
          toneRegion,
        },
      ],
      phones: (configuration.phones ?? []).map((phone) =>
        phone.name === PHONE_201 ? { ...phone, devicePool: 'geneva' } : phone,
      ),
    };
  };
}

/**
 * The first burst of tone `party` heard: its audio (without its first and last frame, where the
 * cadence switches) and its length in frames, and how many silent frames followed it.
 */
function firstBurst(party: MediaParty): { tone: Int16Array; onFrames: number; offFrames: number } {
  const audio = heard(party);
  const loud = (index: number) => {
    let energy = 0;
    for (const sample of audio.subarray(index * FRAME, (index + 1) * FRAME)) energy += sample * sample;
    return energy / FRAME > 10_000;
  };
  const frames = Math.floor(audio.length / FRAME);
  let start = 0;
  while (start < frames && !loud(start)) start++;
  let end = start;
  while (end < frames && loud(end)) end++;
  let silent = end;
  while (silent < frames && !loud(silent)) silent++;
  return {
    tone: audio.subarray((start + 1) * FRAME, Math.max(start + 1, end - 1) * FRAME),
    onFrames: end - start,
    offFrames: silent - end,
  };
}

/** Phone 201 calls 202, which is busy (486): what 201 hears before the final response. */
async function busyHeardBy201(nodeRegion: ToneRegionSetting, poolRegion: ToneRegionSetting | undefined) {
  node = await startMediaNode({
    toneRegion: nodeRegion,
    callFailure: { inband: 'all', seconds: 2, notInService: null },
    configure: phone201InPool(poolRegion),
  });
  const caller = await parties.phone('ulaw');
  const busy = await parties.ringingPhone('ulaw', (incoming) => incoming.reply(486));
  register(node, '201', caller, PHONE_201);
  register(node, '202', busy, PHONE_202);
  const attempt = await dial(caller, node, '201', '202');
  await attempt.waitFor(183);
  expect((await attempt.waitFor('final')).response.status).toBe(486);
  return firstBurst(caller);
}

describe('tone region per device pool', () => {
  it('plays a phone in an ITU-T pool the ITU-T busy tone on a North American node', async () => {
    const [itu] = busyHz('itu');
    expect(itu).toBe(425);
    const burst = await busyHeardBy201('north-america', 'itu');
    expect(share(burst.tone, 425)).toBeGreaterThan(0.9);
    for (const frequency of busyHz('north-america')) expect(share(burst.tone, frequency)).toBeLessThan(0.05);
    // ITU-T E.180 busy: 500 ms on, 500 ms off (reorder would be 250/250).
    expect(burst.onFrames).toBeGreaterThanOrEqual(20);
    expect(burst.onFrames).toBeLessThanOrEqual(30);
    expect(burst.offFrames).toBeGreaterThanOrEqual(20);
  });

  it('plays a phone in a pool without a region the node’s North American busy tone', async () => {
    const [low, high] = busyHz('north-america');
    expect([low, high]).toEqual([480, 620]);
    const burst = await busyHeardBy201('north-america', undefined);
    expect(share(burst.tone, 480)).toBeGreaterThan(0.4);
    expect(share(burst.tone, 620)).toBeGreaterThan(0.4);
    expect(share(burst.tone, 480) + share(burst.tone, 620)).toBeGreaterThan(0.9);
    expect(share(burst.tone, 425)).toBeLessThan(0.05);
    expect(burst.onFrames).toBeGreaterThanOrEqual(20);
    expect(burst.offFrames).toBeGreaterThanOrEqual(20);
  });

  it('lets a pool’s North American region win over an ITU-T node', async () => {
    const burst = await busyHeardBy201('itu', 'north-america');
    expect(share(burst.tone, 480) + share(burst.tone, 620)).toBeGreaterThan(0.9);
    expect(share(burst.tone, 425)).toBeLessThan(0.05);
  });

  it('plays a carrier’s caller the node’s intercept whatever the phones’ pools say', async () => {
    node = await startMediaNode({
      callFailure: { inband: 'trunks', seconds: 2, notInService: null },
      configure: (configuration) => ({
        ...configuration,
        devicePools: (configuration.devicePools ?? []).map((pool) => ({ ...pool, toneRegion: 'itu' })),
      }),
    });
    const gateway = await parties.callingGateway(node, 'ulaw');
    const attempt = carrierCalls(node, gateway, UNASSIGNED_DID);
    await attempt.waitFor(183);
    expect((await attempt.waitFor('final')).response.status).toBe(404);
    // The intercept's first segment (274 ms): Telcordia's 913.8 Hz, not ITU-T E.180's 950 Hz.
    const first = firstBurst(gateway).tone.subarray(0, 10 * FRAME);
    expect(share(first, 913.8)).toBeGreaterThan(0.8);
    expect(share(first, 950)).toBeLessThan(0.2);
  });
});
