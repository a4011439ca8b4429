/** The ordered, case-insensitive header field store behind every message (RFC 3261 §7.3). */
import { allIn, TOKEN } from './chars.js';
import { canonicalName, headerKey, NOT_A_LIST } from './header-names.js';
import { splitCommaList } from './params.js';
import type { SipHeaders } from './types.js';

/**
 * Header fields as three parallel arrays (name as written, unfolded value, comparison key).
 * Lookups are linear: a SIP message has a few dozen fields at most, and a scan over a short
 * array beats hashing. `version` counts changes so that cached typed views can tell when they
 * are stale.
 *
 * A received value is sliced out of the header block only when first read: most fields of a
 * message are never looked at. `values[i]` is undefined until then (`values` grows as values
 * are read), and source[ranges[2i], ranges[2i + 1]) is where it lies.
 */
export class HeaderFields implements SipHeaders {
  /** Incremented on every change. */
  version = 0;

  /** @internal The parser hands over its arrays and header block; they are owned by this object afterwards. */
  constructor(
    private readonly names: string[] = [],
    private readonly values: Array<string | undefined> = [],
    private readonly keys: string[] = [],
    private source: string | undefined = undefined,
    private readonly ranges: readonly number[] = [],
  ) {}

  /** The value of field `index`, sliced from the header block on its first read. */
  private valueOf(index: number): string {
    const value = this.values[index];
    if (value !== undefined) return value;
    const read = this.source!.slice(this.ranges[2 * index], this.ranges[2 * index + 1]);
    this.values[index] = read;
    return read;
  }

  /**
   * @internal The string that holds the value of field `index`, to read in
   * [valueStart(index), valueEnd(index)): the header block while the value is unread (a flat
   * string reads faster than a slice of it), else the value itself.
   */
  textOf(index: number): string {
    return this.values[index] ?? this.source!;
  }
  valueStart(index: number): number {
    return this.values[index] === undefined ? this.ranges[2 * index]! : 0;
  }
  valueEnd(index: number): number {
    const value = this.values[index];
    return value === undefined ? this.ranges[2 * index + 1]! : value.length;
  }

  /** @internal Index of the first field of the header, or -1. */
  indexOf(name: string): number {
    return this.keys.indexOf(headerKey(name));
  }

  /** Reads every value before the arrays change shape, so that no range goes stale. */
  private readAll(): void {
    if (this.source === undefined) return;
    for (let i = 0; i < this.names.length; i++) this.valueOf(i);
    this.source = undefined;
  }

  get(name: string): string | undefined {
    const index = this.keys.indexOf(headerKey(name));
    return index < 0 ? undefined : this.valueOf(index);
  }

  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    const split = !NOT_A_LIST.has(key);
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] !== key) continue;
      const value = this.valueOf(i);
      if (!split) {
        out.push(value);
        continue;
      }
      const parts = splitCommaList(value);
      if (parts === undefined) out.push(value);
      else for (const part of parts) if (part.length > 0) out.push(part);
    }
    return out;
  }

  /** The field values of a header without comma splitting. */
  getFields(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] === key) out.push(this.valueOf(i));
    return out;
  }

  /** How many fields of the header there are. */
  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (const k of this.keys) if (k === key) n++;
    return n;
  }

  has(name: string): boolean {
    return this.keys.indexOf(headerKey(name)) >= 0;
  }

  set(name: string, value: string): void {
    checkField(name, value);
    this.readAll();
    const key = headerKey(name);
    const first = this.keys.indexOf(key);
    if (first < 0) {
      this.push(canonicalName(name), value, key);
      return;
    }
    this.values[first] = value;
    for (let i = this.keys.length - 1; i > first; i--) if (this.keys[i] === key) this.splice(i);
    this.version++;
  }

  /** Replaces the value of the first field of the header (e.g. the top Via). Returns whether there was one. */
  replaceFirst(name: string, value: string): boolean {
    checkField(name, value);
    this.readAll();
    const index = this.keys.indexOf(headerKey(name));
    if (index < 0) return false;
    this.values[index] = value;
    this.version++;
    return true;
  }

  append(name: string, value: string): void {
    checkField(name, value);
    this.readAll();
    const key = headerKey(name);
    const last = this.keys.lastIndexOf(key);
    if (last < 0) this.push(canonicalName(name), value, key);
    else this.insert(last + 1, canonicalName(name), value, key);
  }

  prepend(name: string, value: string): void {
    checkField(name, value);
    this.readAll();
    const key = headerKey(name);
    const first = this.keys.indexOf(key);
    this.insert(Math.max(first, 0), canonicalName(name), value, key);
  }

  removeFirst(name: string): boolean {
    const index = this.keys.indexOf(headerKey(name));
    if (index < 0) return false;
    this.readAll();
    this.splice(index);
    this.version++;
    return true;
  }

  remove(name: string): void {
    const key = headerKey(name);
    let removed = false;
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] === key) {
        this.readAll();
        this.splice(i);
        removed = true;
      }
    }
    if (removed) this.version++;
  }

  fields(): ReadonlyArray<{ name: string; value: string }> {
    return this.names.map((name, i) => ({ name, value: this.valueOf(i) }));
  }

  clone(): HeaderFields {
    this.readAll();
    return new HeaderFields(this.names.slice(), this.values.slice(), this.keys.slice());
  }

  /** Number of fields. */
  get size(): number {
    return this.names.length;
  }

  /** @internal Name as written, value and key of field `index`, for the serialiser. */
  nameAt(index: number): string {
    return this.names[index]!;
  }
  valueAt(index: number): string {
    return this.valueOf(index);
  }
  keyAt(index: number): string {
    return this.keys[index]!;
  }

  private push(name: string, value: string, key: string): void {
    this.names.push(name);
    this.values.push(value);
    this.keys.push(key);
    this.version++;
  }

  private insert(index: number, name: string, value: string, key: string): void {
    this.names.splice(index, 0, name);
    this.values.splice(index, 0, value);
    this.keys.splice(index, 0, key);
    this.version++;
  }

  private splice(index: number): void {
    this.names.splice(index, 1);
    this.values.splice(index, 1);
    this.keys.splice(index, 1);
  }
}

/**
 * A name that is not a token or a value with CR/LF would let a caller inject header fields:
 * that is a programming error, so it throws.
 */
function checkField(name: string, value: string): void {
  if (name.length === 0 || !allIn(TOKEN, name))
    throw new TypeError(`invalid SIP header name ${JSON.stringify(name)}`);
  if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
    throw new TypeError(`SIP header ${name} value contains CR or LF`);
  }
}
