/**
 * `strowger record start <connectionId>` and `strowger record stop <id>`: call recording on the
 * running server, through its management API. `strowger show recordings` lists them and the
 * finished files; `GET /api/v1/recordings/files/{name}` downloads one.
 */
import type { Command } from 'commander';
import type { RecordingView } from '../api/index.js';
import { ApiClientError, createApiClient } from './api-client.js';
import { formatDuration } from './show.js';

const DEFAULT_API = 'http://127.0.0.1:8080';

interface ApiOptions {
  readonly api?: string;
  readonly token?: string;
  readonly json?: boolean;
}

type Finished = RecordingView & {
  readonly endedAt: number;
  readonly seconds: number;
  readonly bytes: number;
};

/** Runs one API call for the command and prints its answer; an API refusal sets exit code 1. */
async function run<T>(
  name: string,
  options: ApiOptions,
  call: (client: ReturnType<typeof createApiClient>) => Promise<T>,
  describe: (answer: T) => string,
): Promise<void> {
  const client = createApiClient({
    baseUrl: options.api ?? process.env.STROWGER_API ?? DEFAULT_API,
    token: options.token ?? process.env.STROWGER_TOKEN,
  });
  try {
    const answer = await call(client);
    process.stdout.write(options.json ? `${JSON.stringify(answer, null, 2)}\n` : describe(answer));
  } catch (error) {
    if (!(error instanceof ApiClientError)) throw error;
    process.stderr.write(`strowger record ${name}: ${error.message}\n`);
    process.exitCode = 1;
  }
}

export function registerRecordCommands(program: Command): void {
  const record = program.command('record').description('call recording on the running server');
  const withApi = (command: Command) =>
    command
      .option('--api <url>', `management API of the server (env STROWGER_API; default ${DEFAULT_API})`)
      .option('--token <token>', 'admin token (env STROWGER_TOKEN)')
      .option('--json', "print the API's JSON");
  withApi(
    record
      .command('start <connectionId>')
      .description(
        "record a party's leg (its connection id, from show calls --json) until it leaves the call",
      ),
  ).action((connectionId: string, options: ApiOptions) =>
    run(
      'start',
      options,
      (client) => client.send<RecordingView>('POST', '/recordings', { connectionId }),
      (started) =>
        `recording ${started.id} of connection ${started.connectionId} in call ${started.callId} to ${started.file}\n`,
    ),
  );
  withApi(
    record.command('stop <id>').description('stop a recording; its file is complete when this returns'),
  ).action((id: string, options: ApiOptions) =>
    run(
      'stop',
      options,
      (client) => client.send<Finished>('DELETE', `/recordings/${encodeURIComponent(id)}`),
      (stopped) =>
        `recording ${stopped.id} stopped: ${stopped.file}, ${formatDuration(stopped.seconds)}, ${stopped.bytes} bytes\n`,
    ),
  );
}
