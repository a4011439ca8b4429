/**
 * Runs the SIP parser fuzzer (test/fuzz/sip-parser-fuzz.ts) inside the unit suite:
 * STROWGER_FUZZ_RUNS inputs (20000 by default, CI sets 100000) from a fixed seed, so a failure
 * reproduces with `npx tsx test/fuzz/sip-parser-fuzz.ts <runs> <seed>`.
 */
import { describe, expect, it } from 'vitest';
import { runFuzz } from '../../../fuzz/sip-parser-fuzz.js';

const runs = Number(process.env.STROWGER_FUZZ_RUNS ?? 20000);
const seed = Number(process.env.STROWGER_FUZZ_SEED ?? 4475);

describe('SIP parser fuzzing', () => {
  it(`survives ${runs} mutated torture messages (seed ${seed})`, () => {
    const report = runFuzz({ runs, seed, log: (line) => console.error(line) });
    console.log(
      `fuzz: ${report.runs} inputs, ${report.parsed} parsed, ${Math.round(report.inputsPerSecond)} inputs/s`,
    );
    expect(report.failures.map((f) => `${f.iteration}: ${f.error.split('\n')[0]}`)).toEqual([]);
    // The mutations must leave enough messages valid to exercise the serialiser round trip.
    expect(report.parsed).toBeGreaterThan(runs / 50);
  });
});
