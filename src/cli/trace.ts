/**
 * `strowger trace sip [--device NAME]`: the live SIP message trace of a running node (IOS
 * `debug ccsip message`), until interrupted. Reads `/api/v1/trace` over a WebSocket.
 */
import type { Command } from 'commander';
import WebSocket from 'ws';
import type { TraceEntry } from '../api/index.js';

const DEFAULT_API = 'http://127.0.0.1:8080';

interface TraceOptions {
  api?: string;
  token?: string;
  device?: string;
  json?: boolean;
}

/** One message the way `debug ccsip message` prints it: a heading line, then the message. */
export function formatTraceEntry(entry: TraceEntry): string {
  const time = new Date(entry.at).toISOString().slice(11, 23);
  const host = entry.remote.address.includes(':') ? `[${entry.remote.address}]` : entry.remote.address;
  const arrow = entry.direction === 'in' ? 'Received from' : 'Sent to';
  // Control characters other than line ends could drive the terminal; the message is shown, not obeyed.
  const text = entry.text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '?');
  return `${time} ${arrow} ${entry.remote.protocol} ${host}:${entry.remote.port}:\n${text.replace(/\r\n/g, '\n')}\n`;
}

export function traceUrl(api: string, device: string | undefined, token: string | undefined): string {
  const url = new URL(`${api.replace(/\/+$/, '')}/api/v1/trace`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (device !== undefined) url.searchParams.set('device', device);
  if (token) url.searchParams.set('token', token);
  return url.toString();
}

export function registerTraceCommand(program: Command): void {
  const trace = program.command('trace').description('live traces of a running node');
  trace
    .command('sip')
    .description('print SIP messages as they cross the wire (debug ccsip message), until Ctrl-C')
    .option('--device <name>', 'only messages to or from this phone (its registered addresses and its lines)')
    .option('--api <url>', 'the node\u2019s management API (default $STROWGER_API or http://127.0.0.1:8080)')
    .option('--token <token>', 'admin token (default $STROWGER_TOKEN)')
    .option('--json', 'one JSON object per message')
    .action((options: TraceOptions) => {
      const api = options.api ?? process.env.STROWGER_API ?? DEFAULT_API;
      const token = options.token ?? process.env.STROWGER_TOKEN;
      const socket = new WebSocket(traceUrl(api, options.device, token));
      socket.on('open', () => {
        process.stderr.write(
          `tracing SIP${options.device ? ` for ${options.device}` : ''} on ${api} (Ctrl-C to stop)\n`,
        );
      });
      socket.on('message', (data) => {
        const entry = JSON.parse(data.toString()) as TraceEntry;
        process.stdout.write(options.json ? `${JSON.stringify(entry)}\n` : `${formatTraceEntry(entry)}\n`);
      });
      socket.on('unexpected-response', (_request, response) => {
        const hint =
          response.statusCode === 401 ? ' (give the admin token with --token or STROWGER_TOKEN)' : '';
        process.stderr.write(`strowger: the API refused the trace: HTTP ${response.statusCode}${hint}\n`);
        process.exit(1);
      });
      socket.on('error', (error) => {
        process.stderr.write(`strowger: cannot reach the Strowger API at ${api}: ${error.message}\n`);
        process.exit(1);
      });
      socket.on('close', (code, reason) => {
        process.stderr.write(`trace ended (${code}${reason.length ? ` ${reason.toString()}` : ''})\n`);
        process.exit(code === 1000 || code === 1001 ? 0 : 1);
      });
      process.on('SIGINT', () => socket.close(1000));
    });
}
