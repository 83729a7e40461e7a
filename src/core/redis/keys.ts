/**
 * Redis key naming. Every key is `<prefix>:<module>:{<tag>}:<part>...`; the `{tag}` is a Redis Cluster
 * hash tag, so all keys of one operation that share a tag land in one slot and one Lua script may touch
 * them all.
 */
import { InvalidOptionError } from '../errors.js';

/** Builds keys for one module instance (one limiter, one queue, ...). */
export interface Keyspace {
  /** The fixed part before the hash tag, e.g. `bp:rl`. */
  readonly base: string;
  /** `<base>:{<tag>}:<parts joined by ':'>`. */
  key(tag: string, ...parts: string[]): string;
  /** A pattern matching every key of this keyspace (for SCAN in tests and admin tools). */
  pattern(): string;
}

/** What a key prefix may be: no braces (they would break hash tags), no spaces, at most 64 characters. */
export const KEY_PREFIX_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Creates a keyspace under `prefix` (user-chosen, no braces) and `module` (e.g. `rl`, `jobs`).
 *
 * @example
 * ```ts nocheck
 * const keys = createKeyspace('myapp', 'rl');
 * keys.key('api:user-1', 'fw'); // 'myapp:rl:{api:user-1}:fw'
 * ```
 */
export function createKeyspace(prefix: string, module: string): Keyspace {
  if (!KEY_PREFIX_PATTERN.test(prefix)) {
    throw new InvalidOptionError('`prefix` must be 1..64 characters of [A-Za-z0-9._:-] (no braces)');
  }
  const base = `${prefix}:${module}`;
  return {
    base,
    key: (tag, ...parts) => (parts.length ? `${base}:{${tag}}:${parts.join(':')}` : `${base}:{${tag}}`),
    pattern: () => `${base}:*`,
  };
}
