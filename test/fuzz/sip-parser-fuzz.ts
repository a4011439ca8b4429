/**
 * Seeded mutational fuzzer for the SIP message layer. Seeds are the RFC 4475 and RFC 5118
 * torture messages; each input is a stack of mutations (bit flips, byte insertion and deletion,
 * splices between messages, duplicated header lines, truncation, huge numbers, stray CRLF and
 * LWS). Every input goes through parseMessage; a message that parses is serialised, parsed again
 * (which must succeed) and serialised again (which must give the same bytes). Random header
 * values go through the URI, Via, name-addr and CSeq parsers, whose successful results must
 * format and re-parse stably. Any exception or broken invariant is a failure: its seed and input
 * are printed and the input is saved under test/fuzz/crashes/.
 *
 * Run: npx tsx test/fuzz/sip-parser-fuzz.ts [runs] [seed]   (or env STROWGER_FUZZ_RUNS)
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkRequestSemantics,
  formatNameAddr,
  formatUri,
  formatVia,
  getRoutes,
  parseContacts,
  parseCSeq,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  parseViaList,
  serializeMessage,
  splitCommaList,
} from '../../src/sip/message/index.js';
import { testdataPath } from '../helpers/testdata.js';

const CORPUS_DIRS = [testdataPath('sip-torture-rfc4475'), testdataPath('sip-torture-rfc5118')];
const CRASH_DIR = join(dirname(fileURLToPath(import.meta.url)), 'crashes');

export interface FuzzOptions {
  runs: number;
  seed: number;
  /** Stop after this many failures (default 5). */
  maxFailures?: number;
  log?: (line: string) => void;
}

export interface FuzzFailure {
  seed: number;
  iteration: number;
  error: string;
  file: string;
}

export interface FuzzReport {
  runs: number;
  parsed: number;
  rejected: number;
  failures: FuzzFailure[];
  inputsPerSecond: number;
}

/** mulberry32: small, fast, good enough to drive mutations reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function loadCorpus(): Buffer[] {
  const corpus: Buffer[] = [];
  for (const dir of CORPUS_DIRS) {
    for (const file of readdirSync(dir).sort()) {
      if (file !== 'README.md' && file !== 'SHA256SUMS') corpus.push(readFileSync(join(dir, file)));
    }
  }
  return corpus;
}

const INTERESTING = Buffer.from(':;,"<>\r\n \t%\\[]@=?/\x00\xff*');
const NUMBERS = [
  '0',
  '4294967295',
  '4294967296',
  '99999999999999999999999',
  '-1',
  '65536',
  '1e3',
  '0x10',
  '',
];
const SNIPPETS = [
  '\r\n ',
  '\r\n\t',
  ' ',
  '\t',
  '\r\n',
  '\n',
  '\r\n\r\n',
  ',',
  ';',
  ';;',
  '""',
  '<',
  '>',
  '%',
  '%0',
];

type Mutator = (input: Buffer, random: () => number, corpus: Buffer[]) => Buffer;

const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)]!;
const position = (length: number, random: () => number): number => Math.floor(random() * (length + 1));

function insertAt(input: Buffer, at: number, bytes: Buffer): Buffer {
  return Buffer.concat([input.subarray(0, at), bytes, input.subarray(at)]);
}

function lineBounds(input: Buffer, random: () => number): [number, number] {
  const text = input.toString('latin1');
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const index = Math.floor(random() * starts.length);
  const start = starts[index]!;
  return [start, starts[index + 1] ?? input.length];
}

const mutators: Mutator[] = [
  function flipBits(input, random) {
    const out = Buffer.from(input);
    for (let n = 1 + Math.floor(random() * 8); n > 0 && out.length > 0; n--) {
      out[Math.floor(random() * out.length)]! ^= 1 << Math.floor(random() * 8);
    }
    return out;
  },
  function insertByte(input, random) {
    const byte = random() < 0.7 ? pick([...INTERESTING], random) : Math.floor(random() * 256);
    return insertAt(input, position(input.length, random), Buffer.from([byte]));
  },
  function deleteBytes(input, random) {
    const at = position(input.length, random);
    return Buffer.concat([input.subarray(0, at), input.subarray(at + 1 + Math.floor(random() * 16))]);
  },
  function splice(input, random, corpus) {
    const other = pick(corpus, random);
    return Buffer.concat([
      input.subarray(0, position(input.length, random)),
      other.subarray(position(other.length, random)),
    ]);
  },
  function duplicateHeaderLine(input, random) {
    const [start, end] = lineBounds(input, random);
    return insertAt(input, end, input.subarray(start, end));
  },
  function truncate(input, random) {
    return input.subarray(0, position(input.length, random));
  },
  function hugeNumber(input, random) {
    const text = input.toString('latin1');
    const digits = [...text.matchAll(/\d+/g)];
    if (digits.length === 0) return input;
    const match = pick(digits, random);
    const replacement = random() < 0.5 ? pick(NUMBERS, random) : '9'.repeat(1 + Math.floor(random() * 40));
    return Buffer.from(
      text.slice(0, match.index) + replacement + text.slice(match.index + match[0].length),
      'latin1',
    );
  },
  function insertLws(input, random) {
    return insertAt(input, position(input.length, random), Buffer.from(pick(SNIPPETS, random), 'latin1'));
  },
  function swapHeaderValue(input, random, corpus) {
    const [start, end] = lineBounds(input, random);
    const [otherStart, otherEnd] = lineBounds(pick(corpus, random), random);
    const line = input.toString('latin1', start, end);
    const colon = line.indexOf(':');
    if (colon < 0) return input;
    const other = pick(corpus, random).toString('latin1', otherStart, otherEnd);
    const value = other.slice(other.indexOf(':') + 1);
    return Buffer.concat([
      input.subarray(0, start + colon + 1),
      Buffer.from(value, 'latin1'),
      input.subarray(end),
    ]);
  },
];

function mutate(input: Buffer, random: () => number, corpus: Buffer[]): Buffer {
  let out = input;
  for (let n = 1 + Math.floor(random() * 4); n > 0; n--) out = pick(mutators, random)(out, random, corpus);
  return out;
}

class InvariantError extends Error {}

function invariant(condition: boolean, message: string): void {
  if (!condition) throw new InvariantError(message);
}

/** Parse → serialise → parse → serialise; the second parse must succeed and the bytes be stable. */
function checkMessage(input: Buffer): boolean {
  const parsed = parseMessage(input);
  if (!parsed.ok) {
    invariant(typeof parsed.error.rule === 'string' && parsed.error.rule.length > 0, 'failure without rule');
    return false;
  }
  const message = parsed.value;
  void [message.via, message.from, message.to, message.callId, message.cseq];
  parseContacts(message);
  getRoutes(message, 'route');
  getRoutes(message, 'record-route');
  if (message.kind === 'request') checkRequestSemantics(message);
  const wire = serializeMessage(message);
  const again = parseMessage(wire);
  invariant(again.ok, `re-parse failed: ${again.ok ? '' : `${again.error.rule}: ${again.error.message}`}`);
  if (!again.ok) return true;
  invariant(again.value.callId === message.callId, 'Call-ID changed in round trip');
  invariant(again.value.cseq.seq === message.cseq.seq, 'CSeq changed in round trip');
  invariant(again.value.via.length === message.via.length, 'Via count changed in round trip');
  invariant(again.value.body.equals(message.body), 'body changed in round trip');
  invariant(serializeMessage(again.value).equals(wire), 'serialisation is not stable');
  return true;
}

/** Sub-parsers on one header value; what parses must format to something that parses the same way. */
function checkValue(value: string): void {
  const uri = parseUri(value);
  if (uri.ok) {
    const text = formatUri(uri.value);
    const back = parseUri(text);
    invariant(back.ok && formatUri(back.value) === text, `URI round trip: ${JSON.stringify(value)}`);
  }
  const nameAddr = parseNameAddr(value);
  if (nameAddr.ok) {
    const text = formatNameAddr(nameAddr.value);
    const back = parseNameAddr(text);
    invariant(
      back.ok && formatNameAddr(back.value) === text,
      `name-addr round trip: ${JSON.stringify(value)}`,
    );
  }
  const via = parseVia(value);
  if (via.ok) {
    const text = formatVia(via.value);
    const back = parseVia(text);
    invariant(back.ok && formatVia(back.value) === text, `Via round trip: ${JSON.stringify(value)}`);
  }
  parseViaList(value);
  parseCSeq(value);
  splitCommaList(value);
}

function randomHeaderValue(input: Buffer, random: () => number): string {
  const [start, end] = lineBounds(input, random);
  const line = input.toString('latin1', start, end).replace(/\r?\n$/, '');
  const colon = line.indexOf(':');
  return (colon < 0 ? line : line.slice(colon + 1)).trim();
}

export function runFuzz(options: FuzzOptions): FuzzReport {
  const { runs, seed, maxFailures = 5, log = console.log } = options;
  const corpus = loadCorpus();
  const random = prng(seed);
  const failures: FuzzFailure[] = [];
  let parsed = 0;
  const start = performance.now();
  for (let iteration = 0; iteration < runs && failures.length < maxFailures; iteration++) {
    const input = mutate(pick(corpus, random), random, corpus);
    const value = randomHeaderValue(input, random);
    try {
      if (checkMessage(input)) parsed++;
      checkValue(value);
    } catch (error) {
      mkdirSync(CRASH_DIR, { recursive: true });
      const file = join(CRASH_DIR, `seed-${seed}-iteration-${iteration}.bin`);
      writeFileSync(file, Buffer.concat([input, Buffer.from(`\n--- header value ---\n${value}`, 'latin1')]));
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push({ seed, iteration, error: text, file });
      log(`FUZZ FAILURE seed=${seed} iteration=${iteration}: ${text}\n  input saved to ${file}`);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  return { runs, parsed, rejected: runs - parsed, failures, inputsPerSecond: runs / seconds };
}

function main(): void {
  const runs = Number(process.argv[2] ?? process.env.STROWGER_FUZZ_RUNS ?? 20000);
  const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
  const report = runFuzz({ runs, seed });
  console.log(
    `seed ${seed}: ${report.runs} inputs, ${report.parsed} parsed, ${report.failures.length} failures, ` +
      `${Math.round(report.inputsPerSecond)} inputs/s`,
  );
  if (report.failures.length > 0) process.exitCode = 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
