/**
 * Every failure leaves as `{ error, message, details? }` with a 4xx status; anything else is a
 * fault of the server, logged and answered 500 without its insides.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
  readonly object?: string;
}

export function sendError(
  reply: FastifyReply,
  status: number,
  message: string,
  details?: readonly ErrorDetail[],
): FastifyReply {
  const body = { error: STATUS_CODES[status] ?? 'Error', message, ...(details ? { details } : {}) };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
}

/** `/lines/0/dn` → `lines[0].dn`, as configuration errors spell paths. */
function toPath(pointer: string): string {
  let path = '';
  for (const token of pointer.split('/').slice(1)) {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
    path += /^\d+$/.test(key) ? `[${key}]` : path ? `.${key}` : key;
  }
  return path;
}

function describeSchemaError(error: SchemaError): ErrorDetail | undefined {
  const path = toPath(error.instancePath);
  switch (error.keyword) {
    // TypeBox reports `additionalProperties: false` twice; the keyword's own report names the key.
    case 'boolean':
      return undefined;
    case 'additionalProperties':
      return { path, message: `unknown key ${JSON.stringify(error.params.additionalProperties)}` };
    case 'required':
      return { path, message: `missing required key ${JSON.stringify(error.params.requiredProperties)}` };
    default:
      return { path, message: error.message ?? error.keyword };
  }
}

const MAX_DETAILS = 50;

export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.validation) {
    const details = (error.validation as unknown as SchemaError[])
      .map(describeSchemaError)
      .filter((detail) => detail !== undefined)
      .slice(0, MAX_DETAILS);
    const first = details[0];
    const where = error.validationContext ?? 'request';
    const message = first
      ? `${where}${first.path ? ` ${first.path}` : ''}: ${first.message}`
      : `invalid ${where}`;
    return sendError(reply, 400, message, details);
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return sendError(reply, status, error.message);
  request.log.error({ err: error }, 'request failed');
  return sendError(reply, 500, 'the request could not be completed');
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0] ?? '';
  const shown = path.length > 100 ? `${path.slice(0, 100)}…` : path;
  return sendError(reply, 404, `no route ${request.method} ${shown}`);
}
