/**
 * Decodes a YAML syntax tree into typed values while collecting every error with its line and
 * column (the `yaml` package's `LineCounter`). Each decoder reports its own errors and returns
 * INVALID so that decoding goes on and one run lists all problems of a file.
 */
import { isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from 'yaml';
import type { ConfigError } from './config-error.js';

export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

/** Where a decoded object came from: its node, its path and the value node of each key. */
export interface Origin {
  readonly path: string;
  readonly node: Node;
  readonly keys: ReadonlyMap<string, Node>;
}

export class DecodeContext {
  readonly errors: ConfigError[] = [];
  private readonly origins = new WeakMap<object, Origin>();

  constructor(
    readonly file: string,
    private readonly lineCounter: LineCounter,
  ) {}

  /** Reports an error at a source offset. */
  errorAt(offset: number, path: string, message: string): void {
    const { line, col } = this.lineCounter.linePos(offset);
    this.errors.push({ file: this.file, line, column: col, path, message });
  }

  errorAtNode(node: Node | null | undefined, path: string, message: string): void {
    this.errorAt(node?.range?.[0] ?? 0, path, message);
  }

  /** Reports an error about a decoded object, at the value of `key` when given and present. */
  errorOn(value: object, key: string | undefined, message: string): void {
    const origin = this.origins.get(value);
    const node = (key === undefined ? undefined : origin?.keys.get(key)) ?? origin?.node;
    this.errorAtNode(node, origin?.path ?? '', message);
  }

  /** Reports an error about the `index`th entry of the list under `key` of a decoded object. */
  errorOnItem(value: object, key: string, index: number, message: string): void {
    const origin = this.origins.get(value);
    const list = origin?.keys.get(key);
    const item = isSeq(list) ? (list.items[index] as Node | undefined) : undefined;
    this.errorAtNode(item ?? list ?? origin?.node, `${join(origin?.path ?? '', key)}[${index}]`, message);
  }

  /** "line 14, column 5" of a decoded object, for messages that point at a first definition. */
  describePosition(value: object): string {
    const { line, col } = this.lineCounter.linePos(this.origins.get(value)?.node.range?.[0] ?? 0);
    return `line ${line}, column ${col}`;
  }

  remember(value: object, origin: Origin): void {
    this.origins.set(value, origin);
  }
}

export type Decoder<T> = (node: Node | null, path: string, context: DecodeContext) => T | Invalid;
export type DecoderOutput<D> = D extends Decoder<infer T> ? T : never;

function describe(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    if (node.value === null) return 'null';
    if (typeof node.value === 'string') return `"${truncate(node.value)}"`;
    return String(node.source ?? node.value);
  }
  return 'an alias';
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * A string. Plain numbers are taken as written (`201`, `0012`), because names and numbers in
 * telephony are strings of digits, not quantities.
 */
export function text(
  options: {
    max?: number;
    pattern?: RegExp;
    hint?: string /** never echo the value */;
    secret?: boolean;
  } = {},
): Decoder<string> {
  const max = options.max ?? 256;
  return (node, path, context) => {
    const value = scalarText(node);
    if (value === undefined) {
      context.errorAtNode(node, path, `expected a string, got ${describe(node)}`);
      return INVALID;
    }
    if (value.length > max) {
      context.errorAtNode(node, path, `longer than ${max} characters`);
      return INVALID;
    }
    if (options.pattern && !options.pattern.test(value)) {
      const shown = options.secret ? 'the value' : `"${truncate(value)}"`;
      context.errorAtNode(node, path, `${shown} is not ${options.hint ?? `of the form ${options.pattern}`}`);
      return INVALID;
    }
    return value;
  };
}

function scalarText(node: Node | null): string | undefined {
  if (!isScalar(node)) return undefined;
  if (typeof node.value === 'string') return node.value;
  if (typeof node.value === 'number' || typeof node.value === 'bigint')
    return node.source ?? String(node.value);
  return undefined;
}

export function integer(min: number, max: number): Decoder<number> {
  return (node, path, context) => {
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value)) {
      context.errorAtNode(node, path, `expected an integer, got ${describe(node)}`);
      return INVALID;
    }
    if (node.value < min || node.value > max) {
      context.errorAtNode(node, path, `${node.value} is out of range ${min}–${max}`);
      return INVALID;
    }
    return node.value;
  };
}

export const boolean: Decoder<boolean> = (node, path, context) => {
  if (!isScalar(node) || typeof node.value !== 'boolean') {
    context.errorAtNode(node, path, `expected true or false, got ${describe(node)}`);
    return INVALID;
  }
  return node.value;
};

export function oneOf<const T extends string>(choices: readonly T[]): Decoder<T> {
  return (node, path, context) => {
    const value = scalarText(node);
    if (value === undefined || !(choices as readonly string[]).includes(value)) {
      context.errorAtNode(node, path, `expected one of ${choices.join(', ')}, got ${describe(node)}`);
      return INVALID;
    }
    return value as T;
  };
}

/** `false` (switched off) or the decoded value, e.g. `tls: false`. */
export function orFalse<T>(decoder: Decoder<T>): Decoder<T | false> {
  return (node, path, context) =>
    isScalar(node) && node.value === false ? false : decoder(node, path, context);
}

/**
 * A decoder with a further check on its decoded value, which reports its own errors (at `node`
 * or inside it) and returns false to make the value invalid.
 */
export function refine<T>(
  decoder: Decoder<T>,
  check: (value: T, node: Node, path: string, context: DecodeContext) => boolean,
): Decoder<T> {
  return (node, path, context) => {
    const value = decoder(node, path, context);
    if (value === INVALID || node === null) return value;
    return check(value, node, path, context) ? value : INVALID;
  };
}

/**
 * The value node at `keys` below a mapping node (`['called', 'mask']`), or the deepest node on
 * the way: where an error about a nested value belongs.
 */
export function nodeAt(node: Node, keys: readonly string[]): Node {
  let current = node;
  for (const key of keys) {
    if (!isMap(current)) break;
    const child = current.get(key, true) as Node | undefined;
    if (child === undefined || child === null) break;
    current = child;
  }
  return current;
}

export function list<T>(item: Decoder<T>, options: { max?: number } = {}): Decoder<T[]> {
  const max = options.max ?? 100_000;
  return (node, path, context) => {
    if (!isSeq(node)) {
      context.errorAtNode(
        node,
        path,
        `expected a list, got ${describe(node)}${isNull(node) ? ' (write [] for none)' : ''}`,
      );
      return INVALID;
    }
    if (node.items.length > max) {
      context.errorAtNode(node, path, `more than ${max} entries`);
      return INVALID;
    }
    const result: T[] = [];
    let valid = true;
    node.items.forEach((child, index) => {
      const itemPath = `${path}[${index}]`;
      const itemNode = asNode(child, context, itemPath);
      const value = itemNode === INVALID ? INVALID : item(itemNode, itemPath, context);
      if (value === INVALID) valid = false;
      else result.push(value);
    });
    return valid ? result : INVALID;
  };
}

export interface Field<T> {
  readonly decoder: Decoder<T>;
  readonly required: boolean;
  /** An empty or null value (`voicemail: ~`) leaves the key unset. */
  readonly emptyIsUnset: boolean;
  readonly fallback?: T;
}

export function required<T>(decoder: Decoder<T>): Field<T> {
  return { decoder, required: true, emptyIsUnset: false };
}

/**
 * An optional key that must not be left empty when written: a configuration section, where an
 * empty `phones:` is more likely a mistake than a wish to remove every phone.
 */
export function section<T>(decoder: Decoder<T>): Field<T | undefined> {
  return { decoder, required: false, emptyIsUnset: false };
}

export function optional<T>(decoder: Decoder<T>): Field<T | undefined>;
export function optional<T>(decoder: Decoder<T>, fallback: T): Field<T>;
export function optional<T>(decoder: Decoder<T>, fallback?: T): Field<T | undefined> {
  return { decoder, required: false, emptyIsUnset: true, fallback };
}

type Fields = Record<string, Field<unknown>>;
export type Decoded<F extends Fields> = { [K in keyof F]: F[K] extends Field<infer T> ? T : never };

/**
 * A mapping with known keys. Unknown keys, missing required keys and invalid values are all
 * reported; the decoded object remembers its origin for later reference checks.
 */
export function object<F extends Fields>(fields: F): Decoder<Decoded<F>> {
  const known = Object.keys(fields);
  return (node, path, context) => {
    if (!isMap(node)) {
      context.errorAtNode(node, path, `expected a mapping, got ${describe(node)}`);
      return INVALID;
    }
    const keys = new Map<string, Node>();
    const values = new Map<string, Node | null>();
    let valid = true;
    for (const pair of node.items as Pair<unknown, unknown>[]) {
      const keyNode = pair.key as Node | null;
      const key = scalarText(keyNode);
      const keyPath = key === undefined ? path : join(path, key);
      if (key === undefined || !Object.hasOwn(fields, key)) {
        const shown = key === undefined ? describe(keyNode) : `"${truncate(key)}"`;
        context.errorAtNode(keyNode, path, `unknown key ${shown} (expected ${known.join(', ')})`);
        valid = false;
        continue;
      }
      const valueNode = asNode(pair.value, context, keyPath);
      if (valueNode === INVALID) {
        valid = false;
        continue;
      }
      keys.set(key, valueNode ?? keyNode!);
      if (!isNull(valueNode) || !fields[key]!.emptyIsUnset) values.set(key, valueNode);
    }
    const result: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(fields)) {
      if (!values.has(key)) {
        if (field.required) {
          context.errorAtNode(node, path, `missing required key "${key}"`);
          valid = false;
        } else if (field.fallback !== undefined) {
          result[key] = field.fallback;
        }
        continue;
      }
      const value = field.decoder(values.get(key) ?? null, join(path, key), context);
      if (value === INVALID) valid = false;
      else result[key] = value;
    }
    if (!valid) return INVALID;
    context.remember(result, { path, node, keys });
    return result as Decoded<F>;
  };
}

/** Aliases are refused: they make a file hard to read and can expand without bound. */
function asNode(value: unknown, context: DecodeContext, path: string): Node | null | Invalid {
  if (value === null || value === undefined) return null;
  const node = value as Node;
  if (isAlias(node)) {
    context.errorAtNode(node, path, 'aliases (*name) are not supported');
    return INVALID;
  }
  return node;
}

function isNull(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
