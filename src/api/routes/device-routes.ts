/**
 * Real-time device status (R-REG-30, CUCM's Find and List Phones) and `diagnose phone`: what this
 * node saw of each phone, and the boot steps with the likely cause of a phone that does not
 * register. `/phones/status` is a fixed path: it shadows a phone named `status` in
 * `/phones/{name}`, a name no Cisco phone has.
 */
import type { FastifyInstance } from 'fastify';
import { type TSchema, Type } from 'typebox';
import { diagnose } from '../../features/device-status/index.js';
import { sendError } from '../errors.js';
import { ErrorBody } from '../schemas.js';
import type { DeviceViews } from '../sources.js';

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const literals = (values: readonly string[]) => Type.Union(values.map((value) => Type.Literal(value)));
const at = Type.String({ description: 'ISO 8601 time' });
const Endpoint = Type.Object({ protocol: Type.String(), address: Type.String(), port: Type.Integer() });
const state = literals(['registered', 'unregistered', 'rejected', 'unknown']);

const Fetch = Type.Object({
  at,
  file: Type.String(),
  found: Type.Boolean(),
  via: literals(['tftp', 'http']),
  address: Type.String(),
});

const Attempt = Type.Object({
  at,
  result: literals(['accepted', 'rejected', 'added']),
  status: Type.Integer(),
  reason: nullable(Type.String({ description: 'Rejection reason: `unknown-device`, `version-error`, …' })),
  detail: Type.String(),
  source: Endpoint,
  line: nullable(Type.String()),
});

const Transition = Type.Object({
  at,
  status: state,
  reason: nullable(Type.String()),
  node: Type.String(),
  address: nullable(Endpoint),
});

export const DeviceStatusSchema = Type.Object({
  name: Type.String(),
  configured: Type.Boolean(),
  status: state,
  reason: nullable(Type.String()),
  reasonCode: nullable(Type.String()),
  address: nullable(Endpoint),
  node: Type.String(),
  protocol: nullable(literals(['sip', 'sccp'])),
  model: Type.Object({ configured: nullable(Type.String()), seen: nullable(Type.String()) }),
  load: nullable(Type.String()),
  userAgent: nullable(Type.String()),
  devicePool: nullable(Type.String()),
  keepaliveSeconds: Type.Integer(),
  lastFetch: nullable(Fetch),
  lastRegistration: nullable(Attempt),
  history: Type.Array(Transition, { description: 'Oldest first; the last 32 transitions.' }),
});

const Evidence = Type.Object({
  status: DeviceStatusSchema,
  fetches: Type.Array(Fetch),
  attempts: Type.Array(Attempt),
  autoRegistration: Type.Boolean(),
});

const DiagnosisSchema = Type.Object({
  device: Type.String(),
  nodes: Type.Array(Type.String()),
  steps: Type.Array(
    Type.Object({
      step: Type.String(),
      outcome: literals(['ok', 'failed', 'not-seen', 'skipped']),
      detail: Type.String(),
    }),
  ),
  findings: Type.Array(
    Type.Object({ code: Type.String(), cause: Type.String(), fix: Type.String(), evidence: Type.String() }),
  ),
  summary: Type.String(),
});

const Name = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });
const unauthorized = { 401: ErrorBody };

export function registerDeviceRoutes(app: FastifyInstance, devices: DeviceViews, prefix: string): void {
  app.get(
    `${prefix}/phones/status`,
    {
      schema: {
        tags: ['runtime'],
        summary: 'Real-time status of every phone (show phones): configured ones and devices seen',
        response: { 200: Type.Array(DeviceStatusSchema), ...unauthorized },
      },
    },
    () => devices.list(),
  );
  app.get(
    `${prefix}/phones/:name/diagnosis`,
    {
      schema: {
        tags: ['runtime'],
        summary: "What this node saw of a phone's boot and the likely cause of a failure (diagnose phone)",
        params: Name,
        response: {
          200: Type.Object({ evidence: Evidence, diagnosis: DiagnosisSchema }),
          404: ErrorBody,
          ...unauthorized,
        },
      },
    },
    (request, reply) => {
      const { name } = request.params as { name: string };
      const evidence = devices.evidence(name);
      if (evidence === undefined) return sendError(reply, 404, `no phone ${name} is configured or was seen`);
      return { evidence, diagnosis: diagnose(name, [evidence]) };
    },
  );
}
