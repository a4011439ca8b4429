/**
 * What the conference test files share: one conference node and the management API over its
 * bridge for the file, phones 201–203 sending their own tones, and checks of what each phone
 * hears (Goertzel share and fitted amplitude of every tone, measured, not assumed).
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { ConferenceControl } from '../../../src/api/index.js';
import type { Dialog } from '../../../src/sip/index.js';
import { openDemoStore, type RunningApi, startApi } from '../api/api-fixture.js';
import { sleep } from '../media/rtp-peer.js';
import {
  dial,
  heard,
  type Law,
  type MediaParty,
  PAYLOAD_TYPE,
  share,
  startPhone,
  toneFrames,
} from '../media-calls/harness.js';
import {
  type ConferenceNode,
  GAIN_DB,
  registerPhone,
  startConferenceNode,
  toneAmplitude,
} from './harness.js';

/** toneFrames' amplitude. */
export const SENT_AMPLITUDE = 12_000;
/** The tone each phone sends. */
export const TONES: Readonly<Record<string, number>> = { '201': 500, '202': 1100, '203': 1700 };

/** The fields the tests read of the API's answers (a room, a list of rooms, an error). */
export interface Answer {
  readonly id: string;
  readonly number: string;
  readonly message: string;
  readonly participants: readonly { readonly number: string }[];
  readonly length: number;
  readonly [index: number]: Answer;
}

export interface ConferenceSuite {
  /** The node of the file (set once its `beforeAll` ran). */
  readonly node: ConferenceNode;
  readonly api: RunningApi;
  /** The phones of the running test, by number; closed after each test. */
  readonly phones: Map<string, MediaParty>;
  phone(dn: string, law?: Law): Promise<MediaParty>;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; json: Answer }>;
  talk(dns: readonly string[], frames?: number): Promise<Map<string, number>>;
  expectHears(dn: string, others: readonly string[], from: number): void;
  call(dn: string, dialed: string): Promise<Dialog>;
  notifications(dn: string): string[];
}

/** Starts a conference node and its API for the test file; every test ends with no call or room left. */
export function useConferenceNode(maxConferences: number): ConferenceSuite {
  let node: ConferenceNode | undefined;
  let api: RunningApi | undefined;
  let disposeStore: () => Promise<void> = async () => undefined;
  const phones = new Map<string, MediaParty>();
  const running = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the conference node is not running');
    return value;
  };

  beforeAll(async () => {
    node = await startConferenceNode(maxConferences);
    const demo = await openDemoStore();
    disposeStore = () => demo.dispose();
    api = await startApi({ store: demo.store, conferences: node.bridge satisfies ConferenceControl });
  });

  afterAll(async () => {
    await api?.server.close();
    await node?.close();
    await disposeStore();
  });

  afterEach(async () => {
    const { bridge, core } = running(node);
    for (const room of bridge.rooms()) await bridge.endRoom(room.id);
    for (const call of core.calls()) for (const connection of call.connections) core.clear(connection.id);
    await Promise.all([...phones.values()].map((phone) => phone.close()));
    phones.clear();
  });

  const suite: ConferenceSuite = {
    get node() {
      return running(node);
    },
    get api() {
      return running(api);
    },
    phones,

    async phone(dn, law = 'ulaw') {
      const party = await startPhone(law);
      registerPhone(suite.node, dn, party);
      phones.set(dn, party);
      return party;
    },

    async request(method, path, body) {
      const response = await fetch(`${suite.api.url}/api/v1${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      const text = await response.text();
      return { status: response.status, json: text ? JSON.parse(text) : undefined };
    },

    /** Every phone sends its own tone toward where the node told it, at once; the marks where each started hearing. */
    async talk(dns, frames = 60) {
      const marks = new Map<string, number>();
      for (const dn of dns) marks.set(dn, partyOf(dn).rtp.received.length);
      await Promise.all(
        dns.map((dn) => {
          const party = partyOf(dn);
          return party.rtp.stream(
            party.target,
            toneFrames(toneOf(dn), frames, party.law),
            PAYLOAD_TYPE[party.law],
          );
        }),
      );
      await sleep(200);
      return marks;
    },

    /** `dn` heard, after the mixer's start-up, each of `others` at the mix gain and not itself. */
    expectHears(dn, others, from) {
      const audio = heard(partyOf(dn), from);
      expect(audio.length, `audio at ${dn}`).toBeGreaterThan(30 * 160);
      const steady = audio.subarray(10 * 160, 40 * 160);
      for (const other of others) {
        expect(share(steady, toneOf(other)), `${dn} hears ${other}`).toBeGreaterThan(0.2);
        // CME `gain -6`: each voice enters the mix at half its amplitude.
        const gain = toneAmplitude(steady, toneOf(other)) / SENT_AMPLITUDE;
        expect(gain, `gain of ${other} at ${dn}`).toBeGreaterThan(10 ** (GAIN_DB / 20) * 0.8);
        expect(gain, `gain of ${other} at ${dn}`).toBeLessThan(10 ** (GAIN_DB / 20) * 1.2);
      }
      expect(share(steady, toneOf(dn)), `${dn} does not hear itself`).toBeLessThan(0.02);
    },

    /** `dn` calls `dialed` and is answered; the answer is kept as where it sends its RTP. */
    async call(dn, dialed) {
      const party = partyOf(dn);
      const { response, dialog } = await (await dial(party, suite.node.asMediaNode, dn, dialed)).waitFor(
        'final',
      );
      expect(response.status).toBe(200);
      if (dialog === undefined) throw new Error('the 200 made no dialog');
      party.received.push(response.body.toString());
      return dialog;
    },

    /** The sipfrag status lines of the NOTIFYs `dn` receives (RFC 3515 §2.4.5). */
    notifications(dn) {
      const frags: string[] = [];
      partyOf(dn).stack.onRequest('NOTIFY', (incoming) => {
        frags.push(incoming.request.body.toString().trim());
        incoming.reply(200);
      });
      return frags;
    },
  };

  function partyOf(dn: string): MediaParty {
    const party = phones.get(dn);
    if (party === undefined) throw new Error(`no phone ${dn} in this test`);
    return party;
  }

  return suite;
}

function toneOf(dn: string): number {
  const tone = TONES[dn];
  if (tone === undefined) throw new Error(`no tone for ${dn}`);
  return tone;
}
