/**
 * Checks and copies a JSON variation value: plain JSON only (null, booleans, finite numbers, strings,
 * arrays and plain objects), at most 32 levels deep, no `__proto__` / `constructor` / `prototype` key
 * anywhere, at most 64 KiB serialized. The copy is frozen all the way down.
 */

import { FLAG_CONFIG_LIMITS } from './limits.js';
import type { JsonValue } from './types.js';
import { type Checker, describe, FORBIDDEN_KEYS, isPlainObject, join, quote } from './validate-kit.js';

/** UTF-8 length of a string, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      bytes += next >= 0xdc00 && next <= 0xdfff ? 4 : 3;
    } else bytes += 3;
  }
  return bytes;
}

class JsonCopier {
  /** A lower bound of the serialized size so far, to stop early on a huge value. */
  private bytes = 0;

  constructor(
    private readonly c: Checker,
    private readonly root: string,
  ) {}

  private grow(by: number, path: string): void {
    this.bytes += by;
    if (this.bytes > FLAG_CONFIG_LIMITS.maxVariationBytes) {
      this.c.fail(this.root, `is larger than ${FLAG_CONFIG_LIMITS.maxVariationBytes} bytes (at ${path})`);
    }
  }

  copy(value: unknown, path: string, depth: number): JsonValue {
    if (value === null || typeof value === 'boolean') return this.scalar(value, 4, path);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) this.c.fail(path, `must be plain JSON, got ${describe(value)}`);
      return this.scalar(value, 1, path);
    }
    if (typeof value === 'string') return this.scalar(value, utf8Length(value) + 2, path);
    if (depth >= FLAG_CONFIG_LIMITS.maxJsonDepth) {
      this.c.fail(path, `nests deeper than ${FLAG_CONFIG_LIMITS.maxJsonDepth} levels`);
    }
    if (Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype) {
      return this.array(value, path, depth);
    }
    if (isPlainObject(value)) return this.object(value, path, depth);
    this.c.fail(path, `must be plain JSON, got ${describe(value)}`);
  }

  private scalar<T extends JsonValue>(value: T, bytes: number, path: string): T {
    this.grow(bytes, path);
    return value;
  }

  private array(value: readonly unknown[], path: string, depth: number): JsonValue {
    this.grow(2 + value.length, path);
    const out: JsonValue[] = [];
    for (let i = 0; i < value.length; i++) out.push(this.copy(value[i], `${path}[${i}]`, depth + 1));
    return Object.freeze(out);
  }

  private object(value: Record<string, unknown>, path: string, depth: number): JsonValue {
    const out: Record<string, JsonValue> = {};
    this.grow(2, path);
    for (const key of Object.keys(value)) {
      const at = join(path, key);
      if (FORBIDDEN_KEYS.has(key)) this.c.fail(at, `${quote(key)} is a reserved key`);
      this.grow(utf8Length(key) + 4, at);
      out[key] = this.copy(value[key], at, depth + 1);
    }
    return Object.freeze(out);
  }
}

/** Checks a JSON variation value and returns a deep-frozen copy. */
export function copyJsonValue(c: Checker, value: unknown, path: string): JsonValue {
  const copy = new JsonCopier(c, path).copy(value, path, 0);
  const bytes = utf8Length(JSON.stringify(copy));
  if (bytes > FLAG_CONFIG_LIMITS.maxVariationBytes) {
    c.fail(path, `is larger than ${FLAG_CONFIG_LIMITS.maxVariationBytes} bytes serialized`);
  }
  return copy;
}
