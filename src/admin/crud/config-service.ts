/**
 * Create, update and delete one configuration object. Each change is made the way a file edit
 * would be: the whole configuration is read from the store, the one object is changed, and the
 * result goes through the file validator and `applyConfig`, so that the rules of the
 * configuration live in one place. It all runs in one transaction under the configuration lock,
 * so concurrent changes (from this node, another node or `strowger apply`) never overwrite each
 * other.
 */
import { stringify } from 'yaml';
import type { Repositories, Store } from '../../store/index.js';
import { type ApplyResult, applyConfig } from '../config/apply.js';
import type { ConfigError } from '../config/config-error.js';
import type { ConfigChange } from '../config/plan.js';
import { validateConfigText } from '../config/validate.js';
import {
  type ConfigDocument,
  type DocumentSection,
  describeEntry,
  descriptors,
  documentOf,
  type ResourceInputs,
  type ResourceKind,
  type Resources,
} from './resources.js';

/** One problem, located inside the object (`path`) and, for another object, naming it. */
export interface CrudErrorDetail {
  /** Within the object, as the file spells it: `sip.username`, `lines[1].dn`; empty for all of it. */
  readonly path: string;
  readonly message: string;
  /** The other object the problem is on (`line 201 in internal`), when it is not the one changed. */
  readonly object?: string;
}

export interface CrudFailure {
  readonly ok: false;
  /**
   * `invalid`: the object breaks a rule; `not-found`: no such object; `exists`: the key is taken;
   * `conflict`: the change breaks another object (it still refers to the one deleted, say).
   */
  readonly reason: 'invalid' | 'not-found' | 'exists' | 'conflict';
  readonly message: string;
  readonly details: readonly CrudErrorDetail[];
}

export interface CrudSuccess<T> {
  readonly ok: true;
  /** The configuration version now in the store; unchanged when nothing changed. */
  readonly version: number;
  /** Empty when the store already held the object as given. */
  readonly changes: readonly ConfigChange[];
  /** The object as now stored (for create and update). */
  readonly object: T | undefined;
}

export type CrudResult<T> = CrudSuccess<T> | CrudFailure;

export interface ConfigService {
  list<K extends ResourceKind>(kind: K): Promise<Resources[K][]>;
  /** `key` is the object's name (`userid` for users, `partition/dn` for lines). */
  get<K extends ResourceKind>(kind: K, key: string): Promise<Resources[K] | undefined>;
  create<K extends ResourceKind>(kind: K, input: ResourceInputs[K]): Promise<CrudResult<Resources[K]>>;
  /** Replaces the object; its key cannot change. */
  update<K extends ResourceKind>(
    kind: K,
    key: string,
    input: ResourceInputs[K],
  ): Promise<CrudResult<Resources[K]>>;
  remove(kind: ResourceKind, key: string): Promise<CrudResult<never>>;
}

export interface ConfigServiceOptions {
  readonly store: Store;
  /**
   * Told after every committed change, so that the server reloads its snapshot. Awaited before
   * the change is reported; a rejection is reported as the change's failure although the change
   * is committed, so callers should handle their own errors.
   */
  readonly onConfigChanged?: (version: number) => void | Promise<void>;
  readonly now?: () => Date;
}

/** The name validation messages carry for the generated document. */
const DOCUMENT_NAME = 'api';
/** Problems listed in one answer; the message says how many there are in all. */
const MAX_DETAILS = 50;

type Edit<K extends ResourceKind> =
  | { readonly op: 'create'; readonly input: ResourceInputs[K] }
  | { readonly op: 'update'; readonly key: string; readonly input: ResourceInputs[K] }
  | { readonly op: 'delete'; readonly key: string };

/** Carries a failure out of the transaction, rolling it back. */
class Rejected extends Error {
  constructor(readonly failure: CrudFailure) {
    super(failure.message);
  }
}

function failure(
  reason: CrudFailure['reason'],
  message: string,
  details: readonly CrudErrorDetail[] = [],
): Rejected {
  return new Rejected({ ok: false, reason, message, details });
}

export function createConfigService(options: ConfigServiceOptions): ConfigService {
  const { store } = options;

  const read = () =>
    store.withTransaction(async (tx) => documentOf(await tx.configuration.readAll()), { readOnly: true });

  const write = async <K extends ResourceKind>(kind: K, edit: Edit<K>): Promise<CrudResult<Resources[K]>> => {
    let result: CrudSuccess<Resources[K]>;
    try {
      result = await store.withTransaction((tx) => applyEdit(tx, store.kind, kind, edit, options.now));
    } catch (error) {
      if (error instanceof Rejected) return error.failure;
      throw error;
    }
    if (result.changes.length > 0) await options.onConfigChanged?.(result.version);
    return result;
  };

  return {
    list: async (kind) => {
      const { section, show } = descriptors[kind];
      return (await read())[section].map(show);
    },
    get: async (kind, key) => {
      const { section, show, keyOf } = descriptors[kind];
      const entry = (await read())[section].find((e) => keyOf(e as Resources[typeof kind]) === key);
      return entry && show(entry);
    },
    create: (kind, input) => write(kind, { op: 'create', input }),
    update: (kind, key, input) => write(kind, { op: 'update', key, input }),
    remove: async (kind, key) => {
      const result = await write(kind, { op: 'delete', key });
      return result.ok ? { ...result, object: undefined } : result;
    },
  };
}

async function applyEdit<K extends ResourceKind>(
  tx: Repositories,
  storeKind: Store['kind'],
  kind: K,
  edit: Edit<K>,
  now: (() => Date) | undefined,
): Promise<CrudSuccess<Resources[K]>> {
  const descriptor = descriptors[kind];
  const keyOfEntry = (entry: object) => descriptor.keyOf(entry as Resources[K]);
  await tx.configuration.lockForChange();
  const document = documentOf(await tx.configuration.readAll());
  const entries = document[descriptor.section];
  const key = edit.op === 'create' ? descriptor.keyOf(edit.input) : edit.key;
  const index = entries.findIndex((entry) => keyOfEntry(entry) === key);
  const name = describeEntry(descriptor.section, descriptor.keyFields(key));

  let target: number | undefined;
  if (edit.op === 'create') {
    if (index >= 0) throw failure('exists', `${name} already exists`);
    target = entries.push(edit.input) - 1;
  } else if (index < 0) {
    throw failure('not-found', `${name} does not exist`);
  } else if (edit.op === 'update') {
    if (descriptor.keyOf(edit.input) !== key) {
      throw failure('invalid', `${name} cannot be renamed: create the new one and delete this one`);
    }
    entries[index] = keepHidden(entries[index]!, edit.input);
    target = index;
  } else {
    entries.splice(index, 1);
  }

  const validated = validateConfigText(stringify(document), DOCUMENT_NAME);
  if (!validated.ok) throw classify(validated.errors, document, descriptor.section, target, edit.op, name);
  const applied: ApplyResult = await applyConfig(inTransaction(tx, storeKind), validated.file, now);
  if (!applied.ok) {
    throw failure(
      'conflict',
      applied.errors.join('; '),
      applied.errors.map((message) => ({ path: '', message })),
    );
  }
  const stored =
    target === undefined
      ? undefined
      : documentOf(await tx.configuration.readAll())[descriptor.section].find((e) => keyOfEntry(e) === key);
  return {
    ok: true,
    version: applied.version,
    changes: applied.changes,
    object: stored && descriptor.show(stored),
  };
}

/**
 * An update replaces the object with what the API shows of it; what the API does not show
 * stays: a phone's SIP password (write-only) when only the user name is given, and a line's
 * CME settings (secondary number, no-reg, dual-line, MWI control) that only the file sets.
 */
function keepHidden(current: object, input: object): object {
  const before = current as { sip?: { password?: string } } & Record<string, unknown>;
  let after = input as { sip?: { username: string; password?: string } } & Record<string, unknown>;
  if (after.sip && after.sip.password === undefined && before.sip?.password !== undefined) {
    after = { ...after, sip: { ...after.sip, password: before.sip.password } };
  }
  for (const field of FILE_ONLY_LINE_FIELDS) {
    if (before[field] !== undefined && after[field] === undefined)
      after = { ...after, [field]: before[field] };
  }
  return after;
}

const FILE_ONLY_LINE_FIELDS = ['secondary', 'noReg', 'dualLine', 'mwiControl'] as const;

/** The store as seen from inside one open transaction, for `applyConfig` to join it. */
function inTransaction(tx: Repositories, kind: Store['kind']): Store {
  return { ...tx, kind, withTransaction: (fn) => fn(tx), close: async () => undefined };
}

/**
 * Sorts validation errors into the changed object's own (`invalid`) and those that the change
 * causes on other objects (`conflict`), each with a path relative to its object.
 */
function classify(
  errors: readonly ConfigError[],
  document: ConfigDocument,
  section: DocumentSection,
  target: number | undefined,
  op: Edit<ResourceKind>['op'],
  name: string,
): Rejected {
  const own: CrudErrorDetail[] = [];
  const others: CrudErrorDetail[] = [];
  for (const error of errors) {
    const located = /^([A-Za-z]+)\[(\d+)\]\.?(.*)$/.exec(error.path);
    const entrySection = located?.[1] as DocumentSection | undefined;
    const entryIndex = Number(located?.[2]);
    const path = located?.[3] ?? error.path;
    if (entrySection === section && entryIndex === target) {
      own.push({ path, message: error.message });
      continue;
    }
    const entry = entrySection && document[entrySection]?.[entryIndex];
    others.push(
      entry
        ? { path, message: error.message, object: describeEntry(entrySection, entry) }
        : { path, message: error.message },
    );
  }
  if (own.length > 0) {
    const first = own[0]!;
    return failure(
      'invalid',
      summary(first.path ? `${first.path}: ${first.message}` : first.message, own.length),
      own.slice(0, MAX_DETAILS),
    );
  }
  const first = others[0];
  const message =
    first === undefined
      ? `${name} was refused`
      : op === 'delete' && first.object
        ? `${name} is still used by ${first.object}`
        : `${first.object ? `${first.object}: ` : ''}${first.message}`;
  return failure('conflict', summary(message, others.length), others.slice(0, MAX_DETAILS));
}

function summary(first: string, count: number): string {
  return count > 1 ? `${first} (and ${count - 1} more)` : first;
}
