/**
 * Digit analysis throughput on a 10,000-pattern plan: 6,000 DNs in five site partitions, 2,000
 * route patterns with wildcards and transforms, 1,000 translation patterns (DID to DN, re-analysed)
 * and 1,000 dial-peers with outgoing translation profiles. The workload mixes internal calls,
 * PSTN calls, DIDs, dial-peer calls and unroutable numbers.
 *
 * Peer: a naive analyser over the same patterns, measured in the same run: a first-match linear
 * scan of one compiled RegExp per pattern (filtered by the CSS), applying the same transforms.
 * It does less than the plan (first match, not closest match) and is still the usual way to do it.
 *
 * Run: npx tsx --expose-gc bench/dialplan.bench.ts   (without --expose-gc the memory row is skipped)
 */
import {
  type AnalysisInput,
  compileDialPlan,
  type DialPeerConfig,
  type DialPlanConfig,
  type DirectoryNumberConfig,
  type RoutePatternConfig,
  type TranslationPatternConfig,
} from '../src/dialplan/index.js';

const SITES = 5;
const ANALYSES = 2_000_000;
const LATENCY_SAMPLES = 200_000;
const BASELINE_ANALYSES = 20_000;

/** Deterministic PRNG (mulberry32) so every run analyses the same numbers. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(0x5eed);
const digits = (count: number): string =>
  Array.from({ length: count }, () => Math.floor(rand() * 10)).join('');
const pick = (choices: string): string => choices[Math.floor(rand() * choices.length)]!;

// --- the plan ----------------------------------------------------------------------------------
const partitions = ['Xlate', 'PSTN', ...Array.from({ length: SITES }, (_, s) => `Site${s}`)];
const sitePartitions = partitions.slice(2);
const callingSearchSpaces = [
  ...sitePartitions.map((own, s) => ({
    name: `Phones${s}`,
    partitions: ['Xlate', own, ...sitePartitions.filter((p) => p !== own), 'PSTN'],
  })),
  { name: 'Internal', partitions: sitePartitions },
];
const directoryNumbers: DirectoryNumberConfig[] = Array.from({ length: 6000 }, (_, i) => ({
  number: `${20000 + i}`,
  partition: `Site${i % SITES}`,
}));
const routePatterns: RoutePatternConfig[] = [];
for (let npa = 200; npa < 1000; npa++) {
  routePatterns.push({
    pattern: `9.1${npa}[2-9]XXXXXX`,
    partition: 'PSTN',
    target: { kind: 'trunk', name: `carrier-${npa % 4}` },
    called: { discard: 'predot' },
    calling: { mask: '51237XXXXX' },
  });
  routePatterns.push({
    pattern: `9.${npa}[2-9]XXXXXX`,
    partition: 'PSTN',
    target: { kind: 'trunk', name: `carrier-${npa % 4}` },
    called: { discard: 'predot', prefix: '1' },
  });
}
routePatterns.push(
  {
    pattern: '9.011!',
    partition: 'PSTN',
    target: { kind: 'trunk', name: 'international' },
    called: { discard: 'predot' },
  },
  {
    pattern: '9.911',
    partition: 'PSTN',
    target: { kind: 'trunk', name: 'emergency' },
    called: { discard: 'predot' },
  },
  {
    pattern: '9.[2-9]XXXXXX',
    partition: 'PSTN',
    target: { kind: 'trunk', name: 'local' },
    called: { discard: 'predot', prefix: '512' },
  },
);
for (let site = 0; routePatterns.length < 2000; site++) {
  routePatterns.push({
    pattern: `8${100 + site}.XXXX`,
    partition: 'PSTN',
    target: { kind: 'trunk', name: `site-${site}` },
  });
}
const translationPatterns: TranslationPatternConfig[] = Array.from({ length: 1000 }, (_, i) => ({
  pattern: `5${1000 + i}XXXX`,
  partition: 'Xlate',
  css: 'Internal',
  called: { mask: '2XXXX' },
}));
const profiles = ['A', 'B', 'C', 'D'];
const dialPeers: DialPeerConfig[] = Array.from({ length: 1000 }, (_, i) => ({
  tag: i + 1,
  kind: 'voip',
  destinationPattern: `7${String(i).padStart(3, '0')}T`,
  sessionTarget: `ipv4:10.0.${i >> 8}.${i & 255}`,
  translationProfileOutgoing: profiles[i % profiles.length]!,
}));
const config: DialPlanConfig = {
  version: 'bench',
  partitions,
  callingSearchSpaces,
  directoryNumbers,
  routePatterns,
  translationPatterns,
  translationRules: [
    { id: 1, rules: [{ precedence: 1, match: '^7...\\(.*\\)', replace: '\\1' }] },
    { id: 2, rules: [{ precedence: 1, match: '^2\\(....\\)$', replace: '512378\\1' }] },
  ],
  translationProfiles: profiles.map((name) => ({ name, called: 1, calling: 2 })),
  dialPeers,
};
const patternCount =
  directoryNumbers.length + routePatterns.length + translationPatterns.length + dialPeers.length;

// --- the workload ------------------------------------------------------------------------------
const workload: AnalysisInput[] = Array.from({ length: 4096 }, () => {
  const caller = `${20000 + Math.floor(rand() * 6000)}`;
  const css = `Phones${Math.floor(rand() * SITES)}`;
  const kind = rand();
  let dialed: string;
  if (kind < 0.4) dialed = `${20000 + Math.floor(rand() * 6000)}`;
  else if (kind < 0.6) dialed = `91${200 + Math.floor(rand() * 800)}${pick('23456789')}${digits(6)}`;
  else if (kind < 0.65) dialed = `9${pick('23456789')}${digits(6)}`;
  else if (kind < 0.8)
    dialed = `5${1000 + Math.floor(rand() * 1000)}${Math.floor(rand() * 6000)
      .toString()
      .padStart(4, '0')}`;
  else if (kind < 0.95) dialed = `7${digits(3)}${digits(7)}`;
  else dialed = `3${digits(4)}`;
  return { dialed, calling: caller, css };
});

// --- the naive peer ----------------------------------------------------------------------------
interface NaiveEntry {
  regex: RegExp;
  partition: string | null;
  kind: 'line' | 'route' | 'translate' | 'peer';
  mask?: string;
  prefix?: string;
  discard?: number;
  keepAccessCode?: boolean;
  css?: string;
}
function cucmRegex(pattern: string): { regex: RegExp; discard: number } {
  const dot = pattern.indexOf('.');
  const source = pattern
    .replace('.', '')
    .replaceAll('X', '[0-9]')
    .replaceAll('!', '[0-9]+')
    .replaceAll('*', '\\*');
  return { regex: new RegExp(`^${source}$`), discard: Math.max(dot, 0) };
}
const naive: NaiveEntry[] = [
  ...directoryNumbers.map((dn) => ({
    ...cucmRegex(dn.number),
    partition: dn.partition!,
    kind: 'line' as const,
  })),
  ...routePatterns.map((rp) => ({
    ...cucmRegex(rp.pattern),
    partition: rp.partition!,
    kind: 'route' as const,
    prefix: rp.called?.prefix,
    keepAccessCode: rp.called?.discard === undefined,
  })),
  ...translationPatterns.map((tp) => ({
    ...cucmRegex(tp.pattern),
    partition: tp.partition!,
    kind: 'translate' as const,
    mask: tp.called?.mask,
    css: tp.css,
  })),
  ...dialPeers.map((peer) => ({
    regex: new RegExp(`^${peer.destinationPattern!.replace('T', '.*')}`),
    partition: null,
    kind: 'peer' as const,
  })),
];
const cssMembers = new Map(callingSearchSpaces.map((css) => [css.name, new Set(css.partitions)]));
const peerCalled = /^7...(.*)/;
const peerCalling = /^2(....)$/;

function naiveAnalyse(input: AnalysisInput): { called: string; calling: string; kind: string } | null {
  let called = input.dialed;
  let calling = input.calling ?? '';
  let members = cssMembers.get(input.css!)!;
  for (let hop = 0; hop < 16; hop++) {
    const entry = naive.find(
      (e) => (e.partition === null || members.has(e.partition)) && e.regex.test(called),
    );
    if (entry === undefined) return null;
    if (entry.kind === 'translate') {
      called = `2${called.slice(-4)}`;
      members = cssMembers.get(entry.css!)!;
      continue;
    }
    if (entry.kind === 'route')
      called = (entry.prefix ?? '') + (entry.keepAccessCode ? called : called.slice(entry.discard));
    if (entry.kind === 'peer') {
      called = called.replace(peerCalled, '$1');
      calling = calling.replace(peerCalling, '512378$1');
    }
    return { called, calling, kind: entry.kind };
  }
  return null;
}

// --- measurements ------------------------------------------------------------------------------
const gc = (globalThis as { gc?: () => void }).gc;
const memory = (): number => {
  gc?.();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};

const memoryBefore = memory();
const compileStart = performance.now();
const compiled = compileDialPlan(config);
const compileMs = performance.now() - compileStart;
if (!compiled.ok)
  throw new Error(`bench plan does not compile: ${JSON.stringify(compiled.error.slice(0, 3))}`);
const plan = compiled.value;
const planBytes = memory() - memoryBefore;

// both analysers must agree on where every workload number goes before their speed is compared
let routed = 0;
for (const input of workload) {
  const ours = plan.analyse(input);
  const theirs = naiveAnalyse(input);
  if (
    (ours.outcome === 'routed') !== (theirs !== null) ||
    (theirs !== null && ours.called !== theirs.called)
  ) {
    throw new Error(
      `analysers disagree on ${JSON.stringify(input)}: ${JSON.stringify(ours)} / ${JSON.stringify(theirs)}`,
    );
  }
  if (ours.outcome === 'routed') routed++;
}

let sink = 0;
function run(analyse: (input: AnalysisInput) => unknown, count: number): number {
  const start = performance.now();
  for (let i = 0; i < count; i++) if (analyse(workload[i & 4095]!) !== null) sink++;
  return (count / (performance.now() - start)) * 1000;
}
/** Median rate of `rounds` equal rounds: the machine is shared, one slow round must not decide. */
function medianRate(analyse: (input: AnalysisInput) => unknown, count: number, rounds: number): number {
  const rates = Array.from({ length: rounds }, () => run(analyse, count / rounds)).sort((a, b) => a - b);
  return rates[Math.floor(rounds / 2)]!;
}
const analyse = (input: AnalysisInput) => plan.analyse(input);
run(analyse, 200_000); // warm-up
const oursPerSecond = medianRate(analyse, ANALYSES, 10);
run(naiveAnalyse, 2_000);
const naivePerSecond = medianRate(naiveAnalyse, BASELINE_ANALYSES, 5);

function latencies(fn: (input: AnalysisInput) => unknown, samples: number): { p50: number; p99: number } {
  const times = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const input = workload[i & 4095]!;
    const start = process.hrtime.bigint();
    fn(input);
    times[i] = Number(process.hrtime.bigint() - start);
  }
  times.sort();
  return { p50: times[Math.floor(samples * 0.5)]!, p99: times[Math.floor(samples * 0.99)]! };
}
const ourLatency = latencies(analyse, LATENCY_SAMPLES);
const naiveLatency = latencies(naiveAnalyse, BASELINE_ANALYSES / 4);

const row = (name: string, count: number, perSecond: number, latency: { p50: number; p99: number }) => [
  name,
  count.toLocaleString('en-US'),
  Math.round(perSecond).toLocaleString('en-US'),
  `${(latency.p50 / 1000).toFixed(2)}`,
  `${(latency.p99 / 1000).toFixed(2)}`,
];
const rows = [
  row('strowger dial plan (trie)', ANALYSES, oursPerSecond, ourLatency),
  row('naive RegExp first-match scan', BASELINE_ANALYSES, naivePerSecond, naiveLatency),
];
const headers = ['analyser', 'analyses', 'analyses/s (median round)', 'p50 µs', 'p99 µs'];
const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const print = (cells: string[]) =>
  console.log(cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));

console.log(
  `plan: ${patternCount.toLocaleString('en-US')} patterns; workload: 4,096 numbers, ${routed} routed`,
);
print(headers);
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
rows.forEach(print);
console.log(`ours / baseline: ${(oursPerSecond / naivePerSecond).toFixed(1)}x`);
console.log(`compile: ${compileMs.toFixed(1)} ms`);
console.log(
  gc === undefined
    ? 'plan memory: run with --expose-gc to measure'
    : `plan memory (heap + array buffers after GC): ${(planBytes / 1024 / 1024).toFixed(1)} MiB`,
);
console.log('latency includes the cost of reading the clock around each call');
if (sink < 0) console.log(sink);
