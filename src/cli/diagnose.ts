/**
 * `strowger diagnose phone SEP003094C2D5CA [--api URL]…`: the phone's boot steps as the nodes saw
 * them (configuration file, default file, registration, status) and the likely cause with its
 * fix, from the troubleshooting list of CallManager phone registration. With several `--api`
 * the nodes of a CallManager group are read together, so failover between them shows.
 */
import type { Command } from 'commander';
import { type DeviceEvidence, type Diagnosis, diagnose } from '../features/device-status/index.js';
import { ApiClientError, createApiClient } from './api-client.js';

const DEFAULT_API = 'http://127.0.0.1:8080';
const MAC = /^([0-9A-F]{2}[.:-]?){5}[0-9A-F]{2}$|^([0-9A-F]{4}\.){2}[0-9A-F]{4}$/i;

interface DiagnoseOptions {
  api: string[];
  token?: string;
  json?: boolean;
}

/** `SEP003094C2D5CA` for `sep003094c2d5ca`, `0030.94C2.D5CA` or `00:30:94:c2:d5:ca`; other names as given. */
export function deviceNameOf(argument: string): string {
  if (MAC.test(argument)) return `SEP${argument.replace(/[.:-]/g, '').toUpperCase()}`;
  return /^SEP[0-9A-F]{12}$/i.test(argument) ? argument.toUpperCase() : argument;
}

/** The diagnosis as text: one line per boot step, then each likely cause with its fix. */
export function formatDiagnosis(diagnosis: Diagnosis): string {
  const mark = { ok: 'ok      ', failed: 'FAILED  ', 'not-seen': 'not seen', skipped: 'skipped ' } as const;
  const lines = [`Phone ${diagnosis.device} on ${diagnosis.nodes.join(', ') || 'no node'}`, ''];
  for (const step of diagnosis.steps)
    lines.push(`  [${mark[step.outcome]}] ${step.step}: ${clean(step.detail)}`);
  lines.push('');
  if (diagnosis.findings.length === 0) lines.push(clean(diagnosis.summary));
  diagnosis.findings.forEach((finding, index) => {
    lines.push(`${index + 1}. Cause: ${finding.cause}`);
    lines.push(`   Seen:  ${clean(finding.evidence)}`);
    lines.push(`   Fix:   ${finding.fix}`);
  });
  return `${lines.join('\n')}\n`;
}

/** What the phone sent (file names, reasons) could drive the terminal: control characters go. */
function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

export function registerDiagnoseCommand(program: Command): void {
  const command = program.command('diagnose').description('find why a device does not work');
  command
    .command('phone <name>')
    .description("walk a phone's boot and registration as the nodes saw it and name the likely cause")
    .option(
      '--api <url>',
      `management API of a node; repeat for each node of the CallManager group (env STROWGER_API; default ${DEFAULT_API})`,
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--token <token>', 'admin token (env STROWGER_TOKEN)')
    .option('--json', 'print the evidence and the diagnosis as JSON')
    .action(async (argument: string, options: DiagnoseOptions) => {
      const name = deviceNameOf(argument);
      const apis = options.api.length > 0 ? options.api : [process.env.STROWGER_API ?? DEFAULT_API];
      const evidence: DeviceEvidence[] = [];
      let reached = 0;
      for (const api of apis) {
        const client = createApiClient({ baseUrl: api, token: options.token ?? process.env.STROWGER_TOKEN });
        try {
          const answer = await client.get<{ evidence: DeviceEvidence }>(
            `/phones/${encodeURIComponent(name)}/diagnosis`,
          );
          evidence.push(answer.evidence);
          reached++;
        } catch (error) {
          if (!(error instanceof ApiClientError)) throw error;
          // A node that never saw the device is evidence too: nothing there.
          if (error.status === 404) reached++;
          else process.stderr.write(`strowger diagnose phone: ${error.message}\n`);
        }
      }
      if (reached === 0) {
        process.exitCode = 1;
        return;
      }
      const diagnosis = diagnose(name, evidence);
      process.stdout.write(
        options.json ? `${JSON.stringify({ diagnosis, evidence }, null, 2)}\n` : formatDiagnosis(diagnosis),
      );
    });
}
