/**
 * `strowger dna`: digit number analysis of one call against a configuration file, without a
 * server (CUCM's Dialed Number Analyzer, IOS `test voice translation-rule` and `show dial-peer`
 * in one). Prints what matched, every translation, the destination and the presented numbers.
 */
import type { Command } from 'commander';
import {
  analyseCall,
  type CallAnalysis,
  type CallDestination,
  type CallInput,
  describeRoute,
} from '../admin/dialplan/index.js';
import { loadConfigFile } from '../server/config-file.js';

export interface DnaOptions {
  readonly config: string;
  readonly calling: string;
  readonly dialed: string;
  readonly fromTrunk?: string;
  readonly css?: string;
  readonly redirecting?: string;
  readonly forwardOn?: string;
  readonly json?: boolean;
}

export interface DnaOutput {
  out(text: string): void;
  err(text: string): void;
}

const FORWARD_CONDITIONS = ['busy', 'no-answer'] as const;

/**
 * Runs the analysis and writes its report; resolves to the exit status: 0 when the call was
 * analysed (whatever the outcome), 1 when the file is invalid or the call cannot be analysed.
 */
export async function runDna(options: DnaOptions, output: DnaOutput): Promise<number> {
  const forwardOn = options.forwardOn;
  if (forwardOn !== undefined && !(FORWARD_CONDITIONS as readonly string[]).includes(forwardOn)) {
    output.err(`--forward-on must be ${FORWARD_CONDITIONS.join(' or ')}\n`);
    return 1;
  }
  const loaded = await loadConfigFile(options.config);
  if (!loaded.ok) {
    for (const error of loaded.errors) output.err(`${error}\n`);
    return 1;
  }
  const input: CallInput = {
    calling: options.calling,
    dialed: options.dialed,
    ...(options.fromTrunk === undefined ? {} : { fromTrunk: options.fromTrunk }),
    ...(options.css === undefined ? {} : { css: options.css }),
    ...(options.redirecting === undefined ? {} : { redirecting: options.redirecting }),
    ...(forwardOn === undefined ? {} : { forwardOn: forwardOn as CallInput['forwardOn'] }),
  };
  const result = analyseCall(loaded.file.configuration, input);
  if (!result.ok) {
    for (const error of result.errors) output.err(`${options.config}: ${error}\n`);
    return 1;
  }
  output.out(
    options.json ? `${JSON.stringify(result.analysis, null, 2)}\n` : formatAnalysis(input, result.analysis),
  );
  return 0;
}

/** The report as IOS-style labelled lines. */
export function formatAnalysis(input: CallInput, analysis: CallAnalysis): string {
  const lines: string[] = [];
  const row = (label: string, text: string) => lines.push(`${label.padEnd(10)}${text}`);
  const arriving =
    input.fromTrunk === undefined
      ? ''
      : ` arriving on trunk ${input.fromTrunk}, inbound dial-peer ${analysis.inboundDialPeer ?? 0}`;
  row('call', `${input.calling} → ${input.dialed}${arriving}`);
  row('css', analysis.css ?? '<none>: only the <None> partition');
  let leg = 0;
  for (const step of analysis.translations) {
    for (; leg < step.leg; leg++) forwardRow(analysis, leg, row);
    row('translate', `${step.field} ${step.before} → ${step.after}  (${step.rule})`);
  }
  for (; leg < analysis.forwards.length; leg++) forwardRow(analysis, leg, row);
  if (analysis.route) row('matched', describeRoute(analysis.route));
  row('result', describeOutcome(analysis));
  row('called', analysis.called);
  row('calling', analysis.calling);
  if (analysis.redirecting !== undefined) row('redirect', analysis.redirecting);
  return `${lines.join('\n')}\n`;
}

function forwardRow(analysis: CallAnalysis, leg: number, row: (label: string, text: string) => void): void {
  const forward = analysis.forwards[leg];
  if (forward) row('forward', `${forward.dn} in ${forward.partition} ${forward.reason} → ${forward.to}`);
}

function describeOutcome(analysis: CallAnalysis): string {
  switch (analysis.outcome) {
    case 'routed':
      return `routed to ${describeDestination(analysis.destination)}`;
    case 'blocked':
      return `blocked: ${analysis.reason ?? 'by the dial plan'}`;
    case 'loop':
      return `loop: ${analysis.reason ?? 'the call comes back to where it was'}`;
    case 'unreachable':
      return analysis.outsideCss
        ? (analysis.reason ?? 'unreachable from this CSS')
        : `unreachable: ${analysis.reason ?? 'no pattern matches'}`;
  }
}

function describeDestination(destination: CallDestination | null): string {
  if (destination === null) return 'nowhere';
  switch (destination.kind) {
    case 'line':
      return `line ${destination.dn} in ${destination.partition}`;
    case 'trunk':
      return `trunk ${destination.name}`;
    case 'pilot':
      return `pilot ${destination.name}`;
    case 'address':
      return destination.pilot === undefined
        ? destination.target
        : `${destination.target} (pilot ${destination.pilot})`;
  }
}

export function registerDnaCommand(program: Command): void {
  program
    .command('dna')
    .description('analyse a call against a configuration file: matched pattern, translations, destination')
    .requiredOption('-c, --config <file>', 'strowger.yaml holding the dial plan')
    .requiredOption('--calling <number>', "the caller: a line's number, or any number with --from-trunk")
    .requiredOption('--dialed <number>', 'the dialled number')
    .option('--from-trunk <name>', 'the call arrives on this trunk (its inbound dial-peer and CSS apply)')
    .option('--css <name>', "analyse with this calling search space instead of the caller's")
    .option('--redirecting <number>', 'the number the call was forwarded from')
    .option('--forward-on <condition>', 'the line reached is busy or does not answer: busy | no-answer')
    .option('--json', 'print the analysis as JSON')
    .action(async (options: DnaOptions) => {
      process.exitCode = await runDna(options, {
        out: (text) => process.stdout.write(text),
        err: (text) => process.stderr.write(text),
      });
    });
}
