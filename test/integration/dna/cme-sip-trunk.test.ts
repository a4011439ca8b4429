/**
 * `strowger dna` over examples/cme-sip-trunk.yaml, the CME 4.1 SIP-trunk example of spec 01
 * §8.2. Every expected row is derived by hand from the seed's rules (the same reasoning as
 * test/unit/dialplan/cme-seed-plan.test.ts); the comment names the rule or dial-peer that decides
 * it. Rows run through the command's action in-process; a few run as real `strowger` processes,
 * and the example also goes through `strowger config validate` and `strowger apply`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallAnalysis } from '../../../src/admin/dialplan/index.js';
import { type DnaOptions, runDna } from '../../../src/cli/dna.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EXAMPLE = join(ROOT, 'examples/cme-sip-trunk.yaml');
const run = promisify(execFile);

/** `strowger …` as a separate process (tsx, as `npm run strowger` runs it). */
function strowger(...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    timeout: 60_000,
  });
}

async function dna(options: Omit<DnaOptions, 'config' | 'json'>): Promise<CallAnalysis> {
  let stdout = '';
  let stderr = '';
  const status = await runDna(
    { ...options, config: EXAMPLE, json: true },
    { out: (text) => (stdout += text), err: (text) => (stderr += text) },
  );
  expect(stderr).toBe('');
  expect(status).toBe(0);
  return JSON.parse(stdout) as CallAnalysis;
}

const SP = { kind: 'trunk', name: 'sp' } as const;
const VOICEMAIL = { kind: 'address', target: 'ipv4:172.22.1.155', pilot: 'voicemail' } as const;
const ATTENDANT = { kind: 'address', target: 'ipv4:172.22.1.155', pilot: 'auto-attendant' } as const;
const MAIN = '5123781291';
const line = (dn: string) => ({ kind: 'line', dn, partition: 'cme' }) as const;

interface Row {
  call: Omit<DnaOptions, 'config' | 'json'>;
  outcome: 'routed' | 'unreachable';
  called: string;
  calling: string;
  /** Dial-peer tag or DN pattern that routes the call. */
  via?: number | string;
  destination?: object;
  redirecting?: string;
  forwards?: number;
}

const out = (dialed: string, calling = '201'): Row['call'] => ({ dialed, calling });
const inbound = (dialed: string, calling = '5125550100'): Row['call'] => ({
  dialed,
  calling,
  fromTrunk: 'sp',
});

// biome-ignore format: one row per line reads as a table
const rows: [string, Row][] = [
  // --- outbound from the phones (their CSS cme-css reaches every DN; dial-peers need no CSS) ---
  ['911: dp 5 exact; rule 2.1 /^911$/ keeps 911; rule 3.1 sets the main number', { call: out('911'), outcome: 'routed', called: '911', calling: MAIN, via: 5, destination: SP }],
  ['9911: dp 6 exact beats dp 7 9[2-9]11; rule 2.2 strips the 9', { call: out('9911'), outcome: 'routed', called: '911', calling: MAIN, via: 6, destination: SP }],
  ['9411 from 202: dp 7 9[2-9]11; rule 2.2 strips the 9', { call: out('9411', '202'), outcome: 'routed', called: '411', calling: MAIN, via: 7, destination: SP }],
  ['9611: dp 7; rule 2.2', { call: out('9611'), outcome: 'routed', called: '611', calling: MAIN, via: 7, destination: SP }],
  ['9111: dp 5 911 matches the leading digits (enbloc prefix match); rule 2.2', { call: out('9111'), outcome: 'routed', called: '111', calling: MAIN, via: 5, destination: SP }],
  ['99115: dp 6 9911 plus one digit is closer than dp 7', { call: out('99115'), outcome: 'routed', called: '9115', calling: MAIN, via: 6, destination: SP }],
  ['95125551234: dp 3 (10-digit NANP) beats the 9-digit dp 2 prefix; rule 2.2', { call: out('95125551234'), outcome: 'routed', called: '5125551234', calling: MAIN, via: 3, destination: SP }],
  ['95125551234 from 202: calling is the main number as well (rule 3.1)', { call: out('95125551234', '202'), outcome: 'routed', called: '5125551234', calling: MAIN, via: 3, destination: SP }],
  ['914155550100: dp 4 (1 + NANP); rule 2.2', { call: out('914155550100'), outcome: 'routed', called: '14155550100', calling: MAIN, via: 4, destination: SP }],
  ['904155550100: dp 4 [0-1] takes 0 too', { call: out('904155550100'), outcome: 'routed', called: '04155550100', calling: MAIN, via: 4, destination: SP }],
  ['91155550100: dp 3 needs [2-9] second; dp 5 911 as a prefix is closer than dp 2', { call: out('91155550100'), outcome: 'routed', called: '1155550100', calling: MAIN, via: 5, destination: SP }],
  ['9512555123: 10 digits, only dp 2 9........ (prefix) matches', { call: out('9512555123'), outcome: 'routed', called: '512555123', calling: MAIN, via: 2, destination: SP }],
  ['955512345 (9 digits): dp 2 exactly', { call: out('955512345'), outcome: 'routed', called: '55512345', calling: MAIN, via: 2, destination: SP }],
  ['9011441632960000: dp 8 9011T beats the dp 2 prefix; rule 2.2', { call: out('9011441632960000'), outcome: 'routed', called: '011441632960000', calling: MAIN, via: 8, destination: SP }],
  ['9011: dp 8, T takes no further digit', { call: out('9011'), outcome: 'routed', called: '011', calling: MAIN, via: 8, destination: SP }],
  ['*67: dp 9 *.. carries no translation profile (R-TRUNK-38)', { call: out('*67'), outcome: 'routed', called: '*67', calling: '201', via: 9, destination: SP }],
  ['600: dp 10 to CUE voicemail; PSTN_CallForwarding has no called/calling rules', { call: out('600'), outcome: 'routed', called: '600', calling: '201', via: 10, destination: VOICEMAIL }],
  ['601 from 202: dp 11 to the CUE auto attendant', { call: out('601', '202'), outcome: 'routed', called: '601', calling: '202', via: 11, destination: ATTENDANT }],
  ['600 redirected from 201: rule 4.4 /^2(..)$/ presents the redirecting DN as a DID', { call: { ...out('600'), redirecting: '201' }, outcome: 'routed', called: '600', calling: '201', via: 10, destination: VOICEMAIL, redirecting: '5123781201' }],
  ['95125551234 redirected from 202: rule 2.2 on called, 3.1 on calling, 4.4 on redirecting', { call: { ...out('95125551234'), redirecting: '202' }, outcome: 'routed', called: '5125551234', calling: MAIN, via: 3, destination: SP, redirecting: '5123781202' }],
  ['202: ephone-dn 12', { call: out('202'), outcome: 'routed', called: '202', calling: '201', via: '202', destination: line('202') }],
  ['201 from 202: ephone-dn 11', { call: out('201', '202'), outcome: 'routed', called: '201', calling: '202', via: '201', destination: line('201') }],
  ['5123781202: secondary number of ephone-dn 12', { call: out('5123781202'), outcome: 'routed', called: '5123781202', calling: '201', via: '5123781202', destination: line('202') }],
  ['8000201 from CUE: ephone-dn 15 8000... (MWI on)', { call: { ...out('8000201', '600'), css: 'cme-css' }, outcome: 'routed', called: '8000201', calling: '600', via: '8000XXX', destination: line('8000XXX') }],
  ['8001201 from CUE: ephone-dn 16 8001... (MWI off)', { call: { ...out('8001201', '600'), css: 'cme-css' }, outcome: 'routed', called: '8001201', calling: '600', via: '8001XXX', destination: line('8001XXX') }],
  ['203: no DN and no dial-peer', { call: out('203'), outcome: 'unreachable', called: '203', calling: '201' }],
  ['9123: 912 is not 911 and 1 is outside 9[2-9]11', { call: out('9123'), outcome: 'unreachable', called: '9123', calling: '201' }],
  ['*6: *.. needs two digits after the star', { call: out('*6'), outcome: 'unreachable', called: '*6', calling: '201' }],
  // --- call forward busy / no answer 600 on ephone-dns 11 and 12 (R-TRUNK-16) ------------------
  ['202 busy: CFB 600, dp 10; PSTN_CallForwarding rule 4.4 presents 202 as 5123781202', { call: { ...out('202'), forwardOn: 'busy' }, outcome: 'routed', called: '600', calling: '201', via: 10, destination: VOICEMAIL, redirecting: '5123781202', forwards: 1 }],
  ['201 from 202, no answer: CFNA 600 after 15 s; rule 4.4', { call: { ...out('201', '202'), forwardOn: 'no-answer' }, outcome: 'routed', called: '600', calling: '202', via: 10, destination: VOICEMAIL, redirecting: '5123781201', forwards: 1 }],
  // --- inbound from the SIP trunk: dial-peer 1 (.%), profile CUE_Voicemail/AutoAttendant ---------
  ['DID 5123781291: rule 1.1 makes it the AA pilot 601, dp 11', { call: inbound('5123781291'), outcome: 'routed', called: '601', calling: '5125550100', via: 11, destination: ATTENDANT }],
  ['DID 5123781290: rule 1.2 makes it the voicemail pilot 600, dp 10', { call: inbound('5123781290'), outcome: 'routed', called: '600', calling: '5125550100', via: 10, destination: VOICEMAIL }],
  ['DID 5123781201: no rule of set 1 matches; secondary of ephone-dn 11', { call: inbound('5123781201'), outcome: 'routed', called: '5123781201', calling: '5125550100', via: '5123781201', destination: line('201') }],
  ['DID 5123781202 from 4155550100: ephone-dn 12', { call: inbound('5123781202', '4155550100'), outcome: 'routed', called: '5123781202', calling: '4155550100', via: '5123781202', destination: line('202') }],
  ['DID 5123788000: ephone-dn 13 (voicemail DID)', { call: inbound('5123788000'), outcome: 'routed', called: '5123788000', calling: '5125550100', via: '5123788000', destination: line('5123788000') }],
  ['DID 5123788001: ephone-dn 14 (AA DID)', { call: inbound('5123788001'), outcome: 'routed', called: '5123788001', calling: '5125550100', via: '5123788001', destination: line('5123788001') }],
  ['DID 5123781299: unchanged by set 1, nothing answers it', { call: inbound('5123781299'), outcome: 'unreachable', called: '5123781299', calling: '5125550100' }],
  ['inbound 201: .% takes any called number; ephone-dn 11', { call: inbound('201'), outcome: 'routed', called: '201', calling: '5125550100', via: '201', destination: line('201') }],
  ['DID 5123781201 busy: CFB 600 is hairpinned (no 302: moved-temporarily is off), rule 4.4', { call: { ...inbound('5123781201'), forwardOn: 'busy' }, outcome: 'routed', called: '600', calling: '5125550100', via: 10, destination: VOICEMAIL, redirecting: '5123781201', forwards: 1 }],
];

function expectRow(analysis: CallAnalysis, row: Row): void {
  expect(analysis.outcome).toBe(row.outcome);
  expect(analysis.called).toBe(row.called);
  expect(analysis.calling).toBe(row.calling);
  expect(analysis.redirecting).toBe(row.redirecting ?? row.call.redirecting);
  expect(analysis.css).toBe('cme-css');
  expect(analysis.inboundDialPeer).toBe(row.call.fromTrunk === undefined ? undefined : 1);
  expect(analysis.forwards).toHaveLength(row.forwards ?? 0);
  if (row.outcome !== 'routed') {
    expect(analysis.destination).toBeNull();
    expect(analysis.outsideCss).toBeUndefined();
    return;
  }
  expect(analysis.destination).toEqual(row.destination);
  if (typeof row.via === 'number') expect(analysis.route).toMatchObject({ kind: 'dial-peer', tag: row.via });
  else expect(analysis.route).toEqual({ kind: 'directory-number', pattern: row.via, partition: 'cme' });
}

describe('strowger dna on examples/cme-sip-trunk.yaml (spec 01 §8.2)', () => {
  it.each(rows)('%s', async (_why, row) => {
    expectRow(await dna(row.call), row);
  });

  it('lists every translation with the rule that made it', async () => {
    expect((await dna(out('95125551234'))).translations).toEqual([
      {
        leg: 0,
        step: 0,
        field: 'called',
        before: '95125551234',
        after: '5125551234',
        rule: 'dial-peer 3 outgoing PSTN_Outgoing: translation-rule 2 rule 2',
      },
      {
        leg: 0,
        step: 0,
        field: 'calling',
        before: '201',
        after: MAIN,
        rule: 'dial-peer 3 outgoing PSTN_Outgoing: translation-rule 3 rule 1',
      },
    ]);
  });

  it('refuses a caller that is neither a line nor on a trunk', async () => {
    const errors: string[] = [];
    const status = await runDna(
      { config: EXAMPLE, calling: '5125550100', dialed: '201' },
      { out: () => undefined, err: (text) => errors.push(text) },
    );
    expect(status).toBe(1);
    expect(errors.join('')).toContain('5125550100 is not a line');
  });
});

describe('strowger as a process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strowger-dna-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('analyses table rows in real `strowger dna` processes, as JSON and for people', async () => {
    const spawned = [rows[6]!, rows[16]!, rows[30]!];
    const [text, ...json] = await Promise.all([
      strowger('dna', '--config', EXAMPLE, '--calling', '201', '--dialed', '95125551234'),
      ...spawned.map(([, row]) =>
        strowger(
          'dna',
          '--config',
          EXAMPLE,
          '--calling',
          row.call.calling,
          '--dialed',
          row.call.dialed,
          ...(row.call.fromTrunk ? ['--from-trunk', row.call.fromTrunk] : []),
          '--json',
        ),
      ),
    ]);
    json.forEach(({ stdout }, i) => {
      expectRow(JSON.parse(stdout) as CallAnalysis, spawned[i]![1]);
    });
    expect(text!.stdout).toContain('matched   dial-peer 3 (9[2-9]..[2-9]......)');
    expect(text!.stdout).toContain('translate called 95125551234 → 5125551234');
    expect(text!.stdout).toContain('result    routed to trunk sp');
    expect(text!.stdout).toContain('calling   5123781291');
  });

  it('passes strowger config validate, then applies, then finds nothing to change', async () => {
    const [validated, first] = await Promise.all([
      strowger('config', 'validate', EXAMPLE),
      strowger('apply', EXAMPLE, '--data-dir', dataDir),
    ]);
    expect(validated.stdout).toBe(`${EXAMPLE}: valid\n`);
    expect(first.stdout).toContain('+ dial-peer 10 (**CUE Voicemail**)');
    expect(first.stdout).toContain('+ trunk sp (Service provider SIP trunk)');
    expect(first.stdout).toContain('+ translation rule 4');
    expect(first.stdout).toMatch(/configuration version 1\n$/);
    const again = await strowger('apply', EXAMPLE, '--data-dir', dataDir);
    expect(again.stdout).toBe('no changes (configuration version 1)\n');
  });
});
