/**
 * Defensive reads of a configuration object that may come from YAML, JSON or an API body: every
 * wrong shape becomes a DialPlanError naming its path instead of an exception.
 */
import type { DialPlanError } from './types.js';

export type ConfigRecord = Record<string, unknown>;

export class ConfigReader {
  readonly errors: DialPlanError[] = [];

  error(path: string, message: string, position?: number): void {
    const error: DialPlanError = { path, message };
    if (position !== undefined) error.position = position;
    this.errors.push(error);
  }

  /** The records of an optional array; wrong shapes are reported and skipped. */
  records(value: unknown, path: string): { record: ConfigRecord; path: string }[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.error(path, 'must be a list');
      return [];
    }
    const out: { record: ConfigRecord; path: string }[] = [];
    value.forEach((item, i) => {
      if (isRecord(item)) out.push({ record: item, path: `${path}[${i}]` });
      else this.error(`${path}[${i}]`, 'must be an object');
    });
    return out;
  }

  strings(value: unknown, path: string): string[] {
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
      this.error(path, 'must be a list of strings');
      return [];
    }
    return value;
  }

  string(record: ConfigRecord, key: string, path: string, required: true): string | null;
  string(record: ConfigRecord, key: string, path: string, required?: false): string | undefined | null;
  /** The string at `key`; undefined when absent and optional, null when invalid (reported). */
  string(record: ConfigRecord, key: string, path: string, required = false): string | undefined | null {
    const value = record[key];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string') {
      this.error(`${path}.${key}`, required && value === undefined ? 'is required' : 'must be a string');
      return null;
    }
    return value;
  }

  integer(
    record: ConfigRecord,
    key: string,
    path: string,
    min: number,
    max: number,
  ): number | undefined | null {
    const value = record[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.error(`${path}.${key}`, `must be an integer from ${min} to ${max}`);
      return null;
    }
    return value;
  }

  boolean(record: ConfigRecord, key: string, path: string): boolean | undefined | null {
    const value = record[key];
    if (value === undefined || typeof value === 'boolean') return value;
    this.error(`${path}.${key}`, 'must be true or false');
    return null;
  }
}

export function isRecord(value: unknown): value is ConfigRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
