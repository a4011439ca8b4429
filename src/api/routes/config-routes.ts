/**
 * CRUD for configuration objects: list, read, create, replace, delete. Writes go through
 * `src/admin`, which validates them with the rules of `strowger.yaml` and applies them in one
 * transaction; the answer carries the change list and the new configuration version.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type TObject, type TSchema, Type } from 'typebox';
import {
  type ConfigService,
  type CrudFailure,
  lineKey,
  type ResourceInputs,
  type ResourceKind,
} from '../../admin/index.js';
import { sendError } from '../errors.js';
import {
  CallingSearchSpace,
  CallingSearchSpaceInput,
  DeleteResult,
  DevicePool,
  DevicePoolInput,
  ErrorBody,
  Line,
  LineInput,
  Partition,
  PartitionInput,
  Phone,
  PhoneInput,
  User,
  UserInput,
  writeResult,
} from '../schemas.js';

interface ResourceRoute {
  readonly kind: ResourceKind;
  /** Under `/api/v1`, e.g. `/users`. */
  readonly collection: string;
  /** The object's URL below the collection, in fastify's syntax, e.g. `/:userid`. */
  readonly item: string;
  readonly params: TObject;
  keyOf(params: Record<string, string>): string;
  readonly noun: string;
  readonly input: TSchema;
  readonly output: TSchema;
}

const name = Type.Object({ name: Type.String() });

const resourceRoutes: readonly ResourceRoute[] = [
  {
    kind: 'partition',
    collection: '/partitions',
    item: '/:name',
    params: name,
    keyOf: (p) => p.name!,
    noun: 'partition',
    input: PartitionInput,
    output: Partition,
  },
  {
    kind: 'callingSearchSpace',
    collection: '/calling-search-spaces',
    item: '/:name',
    params: name,
    keyOf: (p) => p.name!,
    noun: 'calling search space',
    input: CallingSearchSpaceInput,
    output: CallingSearchSpace,
  },
  {
    kind: 'devicePool',
    collection: '/device-pools',
    item: '/:name',
    params: name,
    keyOf: (p) => p.name!,
    noun: 'device pool',
    input: DevicePoolInput,
    output: DevicePool,
  },
  {
    kind: 'user',
    collection: '/users',
    item: '/:userid',
    params: Type.Object({ userid: Type.String() }),
    keyOf: (p) => p.userid!,
    noun: 'user',
    input: UserInput,
    output: User,
  },
  {
    kind: 'line',
    collection: '/lines',
    item: '/:partition/:dn',
    params: Type.Object({ partition: Type.String(), dn: Type.String() }),
    keyOf: (p) => lineKey(p.partition!, p.dn!),
    noun: 'line',
    input: LineInput,
    output: Line,
  },
  {
    kind: 'phone',
    collection: '/phones',
    item: '/:name',
    params: name,
    keyOf: (p) => p.name!,
    noun: 'phone',
    input: PhoneInput,
    output: Phone,
  },
];

/** Every configuration route's URL, for the OpenAPI completeness check. */
export const configRoutePaths = resourceRoutes.flatMap((r) => [r.collection, `${r.collection}${r.item}`]);

const failureStatus: Record<CrudFailure['reason'], number> = {
  invalid: 400,
  'not-found': 404,
  exists: 409,
  conflict: 409,
};

function sendFailure(reply: FastifyReply, failure: CrudFailure): FastifyReply {
  return sendError(reply, failureStatus[failure.reason], failure.message, failure.details);
}

const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, ErrorBody]));

export function registerConfigRoutes(app: FastifyInstance, config: ConfigService, prefix: string): void {
  for (const route of resourceRoutes) {
    const tags = [route.collection.slice(1)];
    const collection = `${prefix}${route.collection}`;
    const item = `${collection}${route.item}`;
    const key = (params: unknown) => route.keyOf(params as Record<string, string>);
    const body = (input: unknown) => input as ResourceInputs[typeof route.kind];

    app.get(
      collection,
      {
        schema: {
          tags,
          summary: `List ${route.noun}s`,
          response: { 200: Type.Array(route.output), ...errors(401) },
        },
      },
      () => config.list(route.kind),
    );

    app.get(
      item,
      {
        schema: {
          tags,
          summary: `Read one ${route.noun}`,
          params: route.params,
          response: { 200: route.output, ...errors(401, 404) },
        },
      },
      async (request, reply) => {
        const object = await config.get(route.kind, key(request.params));
        return object ?? sendError(reply, 404, `${route.noun} not found`);
      },
    );

    app.post(
      collection,
      {
        schema: {
          tags,
          summary: `Create a ${route.noun}`,
          body: route.input,
          response: { 201: writeResult(route.output), ...errors(400, 401, 409) },
        },
      },
      async (request, reply) => {
        const result = await config.create(route.kind, body(request.body));
        if (!result.ok) return sendFailure(reply, result);
        const created = result.object as unknown as Record<string, string>;
        const location = `${collection}/${route.item
          .split('/:')
          .slice(1)
          .map((param) => encodeURIComponent(created[param] ?? ''))
          .join('/')}`;
        return reply.code(201).header('location', location).send(result);
      },
    );

    app.put(
      item,
      {
        schema: {
          tags,
          summary: `Replace a ${route.noun} (its key cannot change)`,
          params: route.params,
          body: route.input,
          response: { 200: writeResult(route.output), ...errors(400, 401, 404, 409) },
        },
      },
      async (request, reply) => {
        const result = await config.update(route.kind, key(request.params), body(request.body));
        return result.ok ? result : sendFailure(reply, result);
      },
    );

    app.delete(
      item,
      {
        schema: {
          tags,
          summary: `Delete a ${route.noun}`,
          description: 'Refused (409) while other objects still refer to it.',
          params: route.params,
          response: { 200: DeleteResult, ...errors(401, 404, 409) },
        },
      },
      async (request, reply) => {
        const result = await config.remove(route.kind, key(request.params));
        return result.ok ? { version: result.version, changes: result.changes } : sendFailure(reply, result);
      },
    );
  }
}
