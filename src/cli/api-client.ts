/** Reads and drives the running server through its management API, for `strowger show` and others. */

export interface ApiClientOptions {
  /** e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  readonly token?: string;
  readonly timeoutMs?: number;
}

/** A failure to read the API, worded for the person at the command line. */
export class ApiClientError extends Error {
  override readonly name = 'ApiClientError';
  constructor(
    message: string,
    /** The HTTP status, when the server answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ApiClient {
  /** GETs `path` under `/api/v1` and returns the parsed JSON. */
  get<T>(path: string): Promise<T>;
  /** Sends `method` to `path` under `/api/v1`, with `body` as JSON, and returns the parsed JSON answer. */
  send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export function createApiClient(options: ApiClientOptions): ApiClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;

  const request = async <T>(method: string, path: string, payload?: unknown): Promise<T> => {
    const url = `${base}/api/v1${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
        signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
    } catch (error) {
      const cause =
        error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : '';
      throw new ApiClientError(`cannot reach the Strowger API at ${base}: ${cause}`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiClientError(
        `${url} answered ${response.status} with something other than JSON`,
        response.status,
      );
    }
    if (!response.ok) {
      const reason = (body as { message?: unknown } | null)?.message;
      const hint = response.status === 401 ? ' (give the admin token with --token or STROWGER_TOKEN)' : '';
      throw new ApiClientError(
        `${url}: ${response.status} ${typeof reason === 'string' ? reason : response.statusText}${hint}`,
        response.status,
      );
    }
    return body as T;
  };
  return {
    get: (path) => request('GET', path),
    send: (method, path, payload) => request(method, path, payload),
  };
}
