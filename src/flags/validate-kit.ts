/**
 * The building blocks of config validation: one {@link Checker} per validation, which knows the flag (or
 * segment) being checked, keeps the config-wide value budget and throws `FlagConfigError` naming the flag
 * and the path. Messages describe values by type and never echo more than a short, quoted excerpt.
 */
import { FlagConfigError } from './errors.js';
import { FLAG_CONFIG_LIMITS } from './limits.js';

/** Keys that could reach an object's prototype: refused as flag, segment, variation and JSON keys. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const KEY = /^[A-Za-z0-9._-]+$/;
const PLAIN_PART = /^[A-Za-z0-9_$-]+$/;
const EXCERPT_CHARS = 64;

/** A short, quoted, truncated rendering of a string for messages. */
export function quote(text: string): string {
  return JSON.stringify(text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text);
}

/** What a value is, for messages (`string`, `null`, `array`, `number 3`). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return `number ${value}`;
  if (typeof value === 'string') return `string ${quote(value)}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** `base.key`, or `base["key"]` when the key holds a dot or other characters beyond `[A-Za-z0-9_$-]`. */
export function join(base: string, key: string): string {
  if (!PLAIN_PART.test(key)) return `${base}[${quote(key)}]`;
  return base === '' ? key : `${base}.${key}`;
}

/** True for `{}` and `Object.create(null)` objects, not arrays, class instances, Maps or Dates. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Validation state and the typed readers every validator uses. */
export class Checker {
  /** The flag or segment being checked, reported with every error. */
  flag: string | undefined;
  private budget: number = FLAG_CONFIG_LIMITS.maxTotalValues;

  /** Starts checking the flag or segment `key` (undefined: back at the config's top level). */
  enter(key: string | undefined): void {
    const max = FLAG_CONFIG_LIMITS.maxKeyLength;
    this.flag = key === undefined || key.length <= max ? key : `${key.slice(0, max)}…`;
  }

  /** Throws the `FlagConfigError` for `path`. */
  fail(path: string, message: string): never {
    throw new FlagConfigError(path, message, this.flag);
  }

  /** Counts `count` values against the config-wide budget. */
  spend(count: number, path: string): void {
    this.budget -= count;
    if (this.budget < 0) {
      this.fail(path, `the config holds more than ${FLAG_CONFIG_LIMITS.maxTotalValues} values in total`);
    }
  }

  /** A plain object, with its own enumerable keys. */
  object(value: unknown, path: string): Record<string, unknown> {
    if (!isPlainObject(value)) this.fail(path, `must be a plain object, got ${describe(value)}`);
    return value;
  }

  /** A plain object whose keys are all in `allowed` and that has every key of `required`. */
  fields(
    value: unknown,
    path: string,
    allowed: readonly string[],
    required: readonly string[] = [],
  ): Record<string, unknown> {
    const record = this.object(value, path);
    for (const key of Object.keys(record)) {
      if (!allowed.includes(key)) this.fail(join(path, key), 'unknown field');
    }
    for (const key of required) {
      if (!Object.hasOwn(record, key) || record[key] === undefined) this.fail(join(path, key), 'is required');
    }
    return record;
  }

  /** An array of at most `max` items. */
  array(value: unknown, path: string, max: number): readonly unknown[] {
    if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) {
      this.fail(path, `must be an array, got ${describe(value)}`);
    }
    if (value.length > max) this.fail(path, `has ${value.length} items, more than ${max}`);
    return value;
  }

  /** A string of `min..max` characters. */
  string(value: unknown, path: string, max: number, min = 0): string {
    if (typeof value !== 'string') this.fail(path, `must be a string, got ${describe(value)}`);
    if (value.length < min) this.fail(path, min === 1 ? 'must not be empty' : `is shorter than ${min}`);
    if (value.length > max) this.fail(path, `is longer than ${max} characters`);
    return value;
  }

  /** A key: `[A-Za-z0-9._-]{1,128}`, and not `__proto__`, `constructor` or `prototype`. */
  key(value: unknown, path: string): string {
    const key = this.string(value, path, FLAG_CONFIG_LIMITS.maxKeyLength, 1);
    if (!KEY.test(key)) this.fail(path, `${quote(key)} is not a key ([A-Za-z0-9._-])`);
    if (FORBIDDEN_KEYS.has(key)) this.fail(path, `${quote(key)} is a reserved name`);
    return key;
  }

  /** A boolean. */
  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, `must be a boolean, got ${describe(value)}`);
    return value;
  }

  /** One of `allowed`. */
  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.fail(path, `must be one of ${allowed.join(', ')}, got ${describe(value)}`);
    }
    return value as T;
  }

  /** An attribute path: dotted parts, none empty or reserved, at most 256 characters and 16 parts. */
  attribute(value: unknown, path: string): string {
    const text = this.string(value, path, FLAG_CONFIG_LIMITS.maxAttributeLength, 1);
    const parts = text.split('.');
    if (parts.length > FLAG_CONFIG_LIMITS.maxAttributeDepth) {
      this.fail(path, `has more than ${FLAG_CONFIG_LIMITS.maxAttributeDepth} dotted parts`);
    }
    for (const part of parts) {
      if (part === '') this.fail(path, `${quote(text)} has an empty part`);
      if (FORBIDDEN_KEYS.has(part)) this.fail(path, `${quote(text)} names ${quote(part)}, a reserved name`);
    }
    return text;
  }
}

/** Reads an optional field: undefined when absent (or explicitly undefined). */
export function optional(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Makes a record with no prototype, so no key of it can shadow or reach `Object.prototype`. */
export function bareRecord<T>(entries: Iterable<readonly [string, T]>): Readonly<Record<string, T>> {
  const record: Record<string, T> = Object.create(null);
  for (const [key, value] of entries) record[key] = value;
  return Object.freeze(record);
}
