/**
 * The HTTP configuration server (CUCM listens on 6970): phones with newer firmware fetch the same
 * files as over TFTP with `GET /SEP<MAC>.cnf.xml`. GET and HEAD only (RFC 9110 §9.1: a
 * general-purpose server supports both); the path is a file name for the shared FileSource,
 * which confines it to the generated files and the static folders.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ErrorCode,
  type FileSource,
  type RemoteEndpoint,
  type SourceFile,
  TftpError,
} from '../tftp/index.js';
import { type ProvisioningLogger, silentLogger } from './logger.js';

export interface HttpFetch {
  readonly file: string;
  readonly found: boolean;
  readonly remote: RemoteEndpoint;
}

export interface ProvisioningHttpServerOptions {
  /** Default 0.0.0.0. */
  readonly address?: string;
  /** Default 6970; 0 picks an ephemeral port. */
  readonly port?: number;
  readonly source: FileSource;
  /** Sees every GET or HEAD of a file, found or not. */
  readonly onFetch?: (fetch: HttpFetch) => void;
  readonly logger?: ProvisioningLogger;
  /** Connections at once, default 1000; more are refused so a boot storm cannot exhaust descriptors. */
  readonly maxConnections?: number;
}

export interface HttpStats {
  requests: number;
  served: number;
  notFound: number;
  refused: number;
  failed: number;
}

export interface ProvisioningHttpServer {
  address(): RemoteEndpoint;
  stats(): HttpStats;
  close(): Promise<void>;
}

/** Octets read from a large file at once; the response waits for the socket to drain between reads. */
const CHUNK = 64 * 1024;

export async function createProvisioningHttpServer(
  options: ProvisioningHttpServerOptions,
): Promise<ProvisioningHttpServer> {
  const logger = options.logger ?? silentLogger;
  const counters: HttpStats = { requests: 0, served: 0, notFound: 0, refused: 0, failed: 0 };
  const server = http.createServer((request, response) => {
    counters.requests++;
    handle(request, response).catch((error: unknown) => {
      counters.failed++;
      logger.warn({ err: error, url: request.url?.slice(0, 200) }, 'provisioning http request failed');
      if (!response.headersSent) answer(response, 500, 'Internal Server Error');
      else response.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = options.maxConnections ?? 1000;

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const method = request.method ?? '';
    if (method !== 'GET' && method !== 'HEAD') {
      counters.refused++;
      response.setHeader('Allow', 'GET, HEAD');
      return answer(response, 405, 'Method Not Allowed');
    }
    const file = fileNameOf(request.url ?? '');
    if (file === undefined) {
      counters.refused++;
      return answer(response, 400, 'Bad Request');
    }
    const remote = { address: request.socket.remoteAddress ?? '', port: request.socket.remotePort ?? 0 };
    let source: SourceFile | undefined;
    try {
      source = file === '' ? undefined : await options.source.open(file, remote);
    } catch (error) {
      if (!(error instanceof TftpError)) throw error;
      options.onFetch?.({ file, found: false, remote });
      counters.refused++;
      // The TFTP access violation (a path leaving the folders, an unreadable file) is HTTP's 403.
      return error.code === ErrorCode.accessViolation
        ? answer(response, 403, 'Forbidden')
        : answer(response, 404, 'Not Found');
    }
    options.onFetch?.({ file, found: source !== undefined, remote });
    if (source === undefined) {
      counters.notFound++;
      return answer(response, 404, 'Not Found');
    }
    counters.served++;
    await send(response, source, file, method === 'HEAD');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 6970, options.address ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger.error({ err: error }, 'provisioning http server error'));

  return {
    address() {
      const { address, port } = server.address() as AddressInfo;
      return { address, port };
    },
    stats: () => ({ ...counters }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The file name in a request target: the path without its leading `/`, percent-decoded. */
function fileNameOf(target: string): string | undefined {
  if (!target.startsWith('/')) return undefined;
  const end = target.search(/[?#]/);
  try {
    return decodeURIComponent((end === -1 ? target : target.slice(0, end)).slice(1));
  } catch {
    return undefined; // malformed percent-encoding: a 400 for the client
  }
}

function contentTypeOf(file: string): string {
  const lower = file.toLowerCase();
  if (lower.endsWith('.xml')) return 'text/xml; charset=utf-8';
  if (lower.endsWith('.cnf') || lower.endsWith('.txt')) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

function answer(response: http.ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': text.length + 1,
  });
  response.end(`${text}\n`);
}

async function send(response: http.ServerResponse, source: SourceFile, file: string, headOnly: boolean) {
  // Generated files change with every configuration version: never serve one from a cache.
  const headers: http.OutgoingHttpHeaders = {
    'Content-Type': contentTypeOf(file),
    'Cache-Control': 'no-store',
  };
  if ('data' in source) {
    response.writeHead(200, { ...headers, 'Content-Length': source.data.length });
    response.end(headOnly ? undefined : source.data);
    return;
  }
  try {
    if (source.size !== undefined) headers['Content-Length'] = source.size;
    response.writeHead(200, headers);
    if (headOnly) return void response.end();
    for (let offset = 0; !response.destroyed; ) {
      const chunk = await source.read(offset, CHUNK);
      if (chunk.length > 0 && !response.write(chunk)) await drained(response);
      offset += chunk.length;
      if (chunk.length < CHUNK) break;
    }
    response.end();
  } finally {
    await source.close?.();
  }
}

function drained(response: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
