/**
 * Request and response shapes of the API, as TypeBox schemas: fastify validates requests and
 * serialises responses with them, and the OpenAPI document is generated from them. They state
 * types only; the rules on values (name patterns, ranges, references) are the configuration
 * validator's, applied by `src/admin`, so the API and `strowger.yaml` cannot disagree.
 */
import { type TSchema, Type } from 'typebox';

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const closed = { additionalProperties: false } as const;

export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'The HTTP reason phrase, e.g. `Conflict`.' }),
    message: Type.String(),
    details: Type.Optional(
      Type.Array(
        Type.Object({
          path: Type.String({
            description: 'Where in the object, e.g. `sip.username`; empty for all of it.',
          }),
          message: Type.String(),
          object: Type.Optional(
            Type.String({ description: 'The other object the problem is on, e.g. `line 201 in internal`.' }),
          ),
        }),
      ),
    ),
  },
  { description: 'What went wrong. Never a stack trace.' },
);

const description = Type.String({ description: 'Free text, up to 200 characters.' });

export const Partition = Type.Object({ name: Type.String(), description });
export const PartitionInput = Type.Object(
  { name: Type.String(), description: Type.Optional(description) },
  closed,
);

export const CallingSearchSpace = Type.Object({
  name: Type.String(),
  description,
  partitions: Type.Array(Type.String(), { description: 'Searched in this order.' }),
});
export const CallingSearchSpaceInput = Type.Object(
  {
    name: Type.String(),
    description: Type.Optional(description),
    partitions: Type.Array(Type.String(), { description: 'Searched in this order.' }),
  },
  closed,
);

const devicePoolFields = {
  region: Type.Optional(Type.String({ description: 'Codec region.' })),
  mohSource: Type.Optional(Type.String({ description: 'Music-on-hold audio source (MOH class).' })),
  locale: Type.Optional(Type.String({ description: 'Phone locale, e.g. `English_United_States`.' })),
  toneRegion: Type.Optional(
    Type.Union([Type.Literal('north-america'), Type.Literal('itu')], {
      description:
        'Call-progress tones the node plays to the pool’s phones (ringback, busy, reorder, intercept); the node’s `media.toneRegion` when left out.',
    }),
  ),
};
const callManagerGroup = Type.Array(Type.String(), {
  description: 'Nodes (addresses or host names) its phones register to, in failover order; at most 3.',
});

export const DevicePool = Type.Object({
  name: Type.String(),
  description,
  callManagerGroup,
  ...devicePoolFields,
});
export const DevicePoolInput = Type.Object(
  {
    name: Type.String(),
    description: Type.Optional(description),
    callManagerGroup: Type.Optional(callManagerGroup),
    ...devicePoolFields,
  },
  closed,
);

export const User = Type.Object({ userid: Type.String(), name: Type.String() });
export const UserInput = Type.Object({ userid: Type.String(), name: Type.Optional(Type.String()) }, closed);

const LineForward = Type.Object(
  {
    all: Type.Optional(Type.String({ description: 'CFA target' })),
    busy: Type.Optional(Type.String({ description: 'CFB target' })),
    noAnswer: Type.Optional(Type.String({ description: 'CFNA target' })),
    noAnswerTimeout: Type.Optional(Type.Integer({ description: 'Seconds before CFNA' })),
  },
  closed,
);

export const Line = Type.Object({
  dn: Type.String(),
  partition: Type.String(),
  displayName: Type.String(),
  description,
  forward: Type.Optional(LineForward),
  voicemail: Type.Optional(Type.String({ description: 'Voicemail pilot number' })),
  mwi: Type.Boolean(),
});
export const LineInput = Type.Object(
  {
    dn: Type.String(),
    partition: Type.String(),
    displayName: Type.Optional(Type.String()),
    description: Type.Optional(description),
    forward: Type.Optional(LineForward),
    voicemail: Type.Optional(Type.String({ description: 'Voicemail pilot number' })),
    mwi: Type.Optional(Type.Boolean()),
  },
  closed,
);

const protocol = Type.Union([Type.Literal('sip'), Type.Literal('sccp')]);
export const Phone = Type.Object({
  name: Type.String(),
  model: Type.String(),
  protocol,
  description,
  devicePool: Type.Optional(Type.String()),
  callingSearchSpace: Type.Optional(Type.String()),
  owner: Type.Optional(Type.String({ description: 'userid of the phone’s user' })),
  sip: Type.Optional(
    Type.Object({ username: Type.String() }, { description: 'The password is write-only.' }),
  ),
  lines: Type.Array(
    Type.Object({
      button: Type.Integer(),
      dn: Type.String(),
      partition: Type.String(),
      label: Type.Optional(Type.String()),
    }),
  ),
});
export const PhoneInput = Type.Object(
  {
    name: Type.String(),
    model: Type.String(),
    protocol: Type.Optional(protocol),
    description: Type.Optional(description),
    devicePool: Type.Optional(Type.String()),
    callingSearchSpace: Type.Optional(Type.String()),
    owner: Type.Optional(Type.String()),
    sip: Type.Optional(
      Type.Object(
        {
          username: Type.String(),
          password: Type.Optional(
            Type.String({
              description: 'Required when the phone has none yet; omit to keep the current one.',
            }),
          ),
        },
        closed,
      ),
    ),
    lines: Type.Optional(
      Type.Array(
        Type.Object(
          {
            dn: Type.String(),
            partition: Type.Optional(
              Type.String({ description: 'May be left out when the DN is in one partition only.' }),
            ),
            button: Type.Optional(Type.Integer({ description: 'Defaults to the position in the list.' })),
            label: Type.Optional(Type.String()),
          },
          closed,
        ),
      ),
    ),
  },
  closed,
);

export const ConfigChange = Type.Object({
  action: Type.Union([Type.Literal('+'), Type.Literal('~'), Type.Literal('-')]),
  kind: Type.String(),
  name: Type.String(),
  fields: Type.Optional(Type.Array(Type.String())),
  label: Type.Optional(Type.String()),
});

/** The answer to a create or update: what changed, the new version and the object as stored. */
export function writeResult<T extends TSchema>(object: T) {
  return Type.Object({
    version: Type.Integer({ description: 'The configuration version now in the store.' }),
    changes: Type.Array(ConfigChange, { description: 'Empty when nothing changed.' }),
    object,
  });
}

export const DeleteResult = Type.Object({
  version: Type.Integer({ description: 'The configuration version now in the store.' }),
  changes: Type.Array(ConfigChange),
});

const Endpoint = Type.Object({ protocol: Type.String(), address: Type.String(), port: Type.Integer() });

export const Registration = Type.Object({
  aor: Type.String(),
  dn: Type.String(),
  partition: Type.String(),
  phone: Type.String(),
  contact: Type.String(),
  source: Endpoint,
  expiresIn: Type.Integer({ description: 'Seconds until the binding expires.' }),
  userAgent: nullable(Type.String()),
  instanceId: nullable(Type.String()),
});

export const Call = Type.Object({
  id: Type.String(),
  phase: Type.Union(['routing', 'alerting', 'connected', 'cleared'].map((p) => Type.Literal(p))),
  calling: Type.String(),
  called: Type.String(),
  connections: Type.Array(
    Type.Object({
      id: Type.String(),
      deviceKind: Type.String(),
      deviceId: Type.String(),
      number: Type.String(),
      direction: Type.Union([Type.Literal('originating'), Type.Literal('terminating')]),
      state: Type.String({ description: 'CSTA connection state (ECMA-269 §6.1.2).' }),
    }),
  ),
  diversions: Type.Optional(
    Type.Array(
      Type.Object({
        from: Type.String({ description: 'The number that forwarded the call.' }),
        to: Type.String({ description: 'Where it forwarded it, as configured.' }),
        reason: Type.String({ description: 'all, busy, no-answer, …' }),
      }),
      { description: 'Forwards the call went through, oldest first (RFC 5806 Diversion).' },
    ),
  ),
  startedAt: Type.Integer({ description: 'Epoch milliseconds.' }),
  answeredAt: nullable(Type.Integer({ description: 'Epoch milliseconds.' })),
});

const dateTime = Type.String({ format: 'date-time' });
export const CallDetailRecord = Type.Object({
  id: Type.Integer(),
  callId: Type.String(),
  calling: Type.String(),
  called: Type.String(),
  originalCalled: nullable(Type.String()),
  setupAt: dateTime,
  answerAt: nullable(dateTime),
  endAt: dateTime,
  duration: Type.Integer({ description: 'Connected seconds; 0 when unanswered.' }),
  cause: Type.String(),
});

const Probe = Type.Object({
  target: Endpoint,
  status: Type.Integer(),
  reason: Type.String(),
  rttMs: Type.Number(),
  secondsAgo: Type.Integer(),
});

export const Trunk = Type.Object({
  name: Type.String(),
  state: Type.Union([Type.Literal('in-service'), Type.Literal('out-of-service')]),
  target: Type.Optional(Endpoint),
  targets: Type.Array(Endpoint),
  consecutiveFailures: Type.Integer(),
  lastOptions: Type.Optional(Probe),
  numbers: Type.Array(
    Type.Object({
      number: Type.String(),
      register: Type.Boolean({ description: 'false for no-reg numbers' }),
      state: Type.String({ description: 'registered, pending, failed or none' }),
      status: Type.Optional(Type.Integer()),
      reason: Type.Optional(Type.String()),
      expiresIn: Type.Optional(Type.Integer()),
      retryIn: Type.Optional(Type.Integer()),
      registrar: Type.Optional(Type.String()),
    }),
  ),
});

export const DnaQuery = Type.Object(
  {
    calling: Type.String({ minLength: 1, maxLength: 64 }),
    dialed: Type.String({ minLength: 1, maxLength: 64 }),
    fromTrunk: Type.Optional(Type.String({ maxLength: 64 })),
    css: Type.Optional(Type.String({ maxLength: 64 })),
    forwardOn: Type.Optional(Type.Union([Type.Literal('busy'), Type.Literal('no-answer')])),
  },
  closed,
);

const open = { additionalProperties: true };
export const DnaResult = Type.Object(
  {
    outcome: Type.Union(['routed', 'blocked', 'unreachable', 'loop'].map((o) => Type.Literal(o))),
    called: Type.String({ description: 'The called number as it leaves, after every translation.' }),
    calling: Type.String({ description: 'The calling number presented.' }),
    css: nullable(Type.String()),
    route: nullable(Type.Object({ kind: Type.String() }, open)),
    destination: nullable(Type.Object({ kind: Type.String() }, open)),
    translations: Type.Array(
      Type.Object({
        leg: Type.Integer(),
        step: Type.Integer(),
        field: Type.String(),
        before: Type.String(),
        after: Type.String(),
        rule: Type.String(),
      }),
    ),
    forwards: Type.Array(
      Type.Object({ dn: Type.String(), partition: Type.String(), reason: Type.String(), to: Type.String() }),
    ),
    reason: Type.Optional(Type.String()),
  },
  open,
);

export const CdrQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default 100.' })) },
  closed,
);

export const Status = Type.Object({
  product: Type.String(),
  version: Type.String(),
  uptimeSeconds: Type.Integer(),
  configVersion: Type.Integer(),
  listeners: Type.Array(Endpoint),
});

export const ConferenceParticipant = Type.Object({
  connectionId: Type.String({ description: "The bridge's connection in the participant's call." }),
  callId: Type.String(),
  number: Type.String({ description: "The participant's number, or the number the bridge dialled." }),
  direction: Type.Union([Type.Literal('in'), Type.Literal('out')], {
    description: '`in`: the participant called the room; `out`: the bridge called the participant.',
  }),
  state: Type.Union([Type.Literal('joining'), Type.Literal('joined'), Type.Literal('held')]),
  joinedAt: Type.Integer({ description: 'Epoch milliseconds.' }),
});

export const ConferenceRoom = Type.Object({
  id: Type.String(),
  number: Type.String({ description: 'Dialling it joins the room (meet-me).' }),
  createdAt: Type.Integer({ description: 'Epoch milliseconds.' }),
  participants: Type.Array(ConferenceParticipant),
});

const dialledNumber = Type.String({ pattern: '^\\+?[0-9*#]{1,32}$' });

const connectionId = Type.String({
  pattern: '^[0-9]{1,12}\\.[0-9]{1,6}$',
  description: 'A CSTA connection id.',
});

/** A room at most this large is opened in one request; more join one by one. */
const MAX_NUMBERS_AT_OPEN = 16;

export const ConferenceRoomRequest = Type.Object(
  {
    numbers: Type.Optional(
      Type.Array(dialledNumber, {
        maxItems: MAX_NUMBERS_AT_OPEN,
        description: 'Numbers the bridge calls into the new room at once (routed like calls from the room).',
      }),
    ),
    heldConnectionId: Type.Optional({
      ...connectionId,
      description:
        "Ad hoc conference (with `activeConnectionId`): a device's held connection; its other party joins the room and the connection is released.",
    }),
    activeConnectionId: Type.Optional({
      ...connectionId,
      description:
        'The same device’s connected connection in another call: its other party joins the room, and so does the device, keeping its dialog.',
    }),
  },
  {
    ...closed,
    description:
      'Send `{}` for an empty room, `numbers` to call them in, or `heldConnectionId` and `activeConnectionId` for an ad hoc conference of a device’s two calls.',
  },
);

export const ConferenceRoomParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,12}$' }) }, closed);

export const ConferenceParticipantParams = Type.Object(
  { id: Type.String({ pattern: '^[0-9]{1,12}$' }), connectionId },
  closed,
);

export const ConferenceParticipantRequest = Type.Object(
  {
    number: Type.Optional({
      ...dialledNumber,
      description: 'The bridge calls this number (routed like a call from the room).',
    }),
    connectionId: Type.Optional({
      ...connectionId,
      description:
        "A party's connection in a connected two-party call: that party moves into the room and its other party leaves the call.",
    }),
  },
  {
    ...closed,
    description: 'Exactly one of `number` (dial out) and `connectionId` (move a party of a call in).',
  },
);

export const ConferenceParticipantAdded = Type.Object({
  callId: Type.String({ description: "The participant's call with the bridge." }),
});

const epochMs = Type.Integer({ description: 'Epoch milliseconds.' });

export const Recording = Type.Object({
  id: Type.String(),
  connectionId: Type.String({ description: 'The recorded party’s connection.' }),
  callId: Type.String({ description: 'The call the recorded leg is in now (a transfer may move it).' }),
  file: Type.String({ description: 'File name in the recordings folder, downloadable once it has ended.' }),
  startedAt: epochMs,
});

export const ActiveRecording = Type.Object({
  ...Recording.properties,
  seconds: Type.Number({ description: 'Since it started.' }),
  bytes: Type.Integer({ description: 'Audio bytes on disk so far.' }),
});

export const FinishedRecording = Type.Object({
  ...Recording.properties,
  endedAt: epochMs,
  seconds: Type.Number({ description: 'Audio recorded.' }),
  bytes: Type.Integer({ description: 'Audio bytes written (16-bit stereo, 8 kHz).' }),
});

export const RecordingFile = Type.Object({
  name: Type.String(),
  size: Type.Integer({ description: 'Bytes, header included.' }),
  durationSeconds: nullable(Type.Number({ description: 'From the WAV header.' })),
  modifiedAt: epochMs,
});

export const RecordingList = Type.Object({
  active: Type.Array(ActiveRecording),
  files: Type.Array(RecordingFile, { description: 'Finished recordings, newest first.' }),
  truncated: Type.Boolean({ description: 'True when the folder holds more recordings than are listed.' }),
});

export const RecordingRequest = Type.Object(
  {
    connectionId: {
      ...connectionId,
      description: 'The party to record: a CSTA connection id (`GET /calls`).',
    },
  },
  closed,
);

export const RecordingParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{12}$' }) }, closed);

/** Names the node writes (a UTC time, the connection, the recording id); anything else is refused. */
export const RecordingFileParams = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }) },
  closed,
);

/** More streams than this are never listed in one answer. */
export const MAX_MEDIA_STREAMS = 10_000;
export const DEFAULT_MEDIA_STREAMS = 1000;

export const MediaQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_MEDIA_STREAMS,
        description: `Streams listed at most. Default ${DEFAULT_MEDIA_STREAMS}.`,
      }),
    ),
  },
  closed,
);

const count = Type.Integer({ minimum: 0 });

export const MediaStream = Type.Object({
  endpointId: Type.String({ description: 'The RTP engine’s endpoint (one port pair).' }),
  kind: Type.Union(
    [Type.Literal('call'), Type.Literal('announcement'), Type.Literal('conference'), Type.Literal('other')],
    {
      description:
        '`call`: a leg of an anchored call; `announcement`: a failed caller’s tone or announcement; `conference`: a participant’s endpoint in a conference room’s mix; `other`: an endpoint none of these holds.',
    },
  ),
  callId: nullable(Type.String()),
  connectionId: nullable(
    Type.String({
      description:
        'The leg’s CSTA connection; null while the leg has not answered the offer. For a `conference` stream, the bridge’s connection in the participant’s call (the participant’s `connectionId` in `/conferences`), null while the bridge’s call out has none yet.',
    }),
  ),
  conferenceId: nullable(
    Type.String({ description: 'The conference room of a `conference` stream; null for the others.' }),
  ),
  packetsReceived: count,
  packetsSent: count,
  packetsLost: Type.Integer({
    description: 'Expected minus received (RFC 3550 A.3); negative when duplicates arrived.',
  }),
  jitterMs: Type.Number({ description: 'Interarrival jitter in milliseconds (RFC 3550 A.8).' }),
  malformed: count,
  foreignSource: Type.Integer({
    minimum: 0,
    description: 'Packets from a source other than the one the endpoint latched on to.',
  }),
  unroutable: Type.Integer({
    minimum: 0,
    description: 'Packets with a payload type the leg did not negotiate or its peer cannot take.',
  }),
});

export const MediaState = Type.Object({
  anchored: Type.Boolean({
    description: 'False when the node does not anchor media (`node.media.anchor: off`): every figure is 0.',
  }),
  workers: count,
  ports: Type.Object({
    capacity: Type.Integer({ minimum: 0, description: 'RTP/RTCP port pairs in the range.' }),
    used: count,
    available: count,
  }),
  conferences: Type.Integer({ minimum: 0, description: 'Conference mixes running.' }),
  workerUtilization: Type.Array(nullable(Type.Number({ minimum: 0, maximum: 1 })), {
    description:
      'Per worker, the share of time its event loop was busy (0–1) since the engine was last read (by this route or a scrape of `/metrics`); null when not known.',
  }),
  totalStreams: Type.Integer({
    minimum: 0,
    description: 'Endpoints allocated; `streams` lists at most `limit` of them.',
  }),
  streams: Type.Array(MediaStream),
});
