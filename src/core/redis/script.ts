/**
 * Redis Lua scripts kept as TypeScript strings and run with EVALSHA, falling back to EVAL when the server
 * does not know the script (after a restart, a failover or `SCRIPT FLUSH`); EVAL also caches it again.
 * Works with an ioredis `Redis` or `Cluster` (EVALSHA is routed by its first key).
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError, StoreError } from '../errors.js';

/** The two commands the runner needs; ioredis `Redis` and `Cluster` satisfy it. */
export interface RedisScriptClient {
  evalsha(sha1: string, numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  eval(source: string, numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
}

/** A Lua script ready to run. Its source starts with a header documenting KEYS and ARGV. */
export interface RedisScript {
  /** `<name>-<numberOfKeys>` style name, for logs. */
  readonly name: string;
  /** Fixed number of keys, or `'variadic'` when the caller passes as many as it needs. */
  readonly numberOfKeys: number | 'variadic';
  /** Lua source. */
  readonly source: string;
  /** SHA-1 of the source, as Redis computes it. */
  readonly sha1: string;
}

/** Defines a script. `source` should begin with comment lines listing KEYS[i] and ARGV[i]. */
export function defineScript(name: string, numberOfKeys: number | 'variadic', source: string): RedisScript {
  return Object.freeze({
    name,
    numberOfKeys,
    source,
    sha1: createHash('sha1').update(source).digest('hex'),
  });
}

const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith('NOSCRIPT');

/**
 * Runs `script` with EVALSHA, and with EVAL when Redis answers NOSCRIPT. Redis errors are wrapped in a
 * `StoreError` naming the script; the Redis message is kept as `cause`.
 */
export function runScript(
  client: RedisScriptClient,
  script: RedisScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  if (script.numberOfKeys !== 'variadic' && keys.length !== script.numberOfKeys) {
    return Promise.reject(
      new InvalidArgumentError(`script ${script.name} takes ${script.numberOfKeys} keys, got ${keys.length}`),
    );
  }
  const wrap = (error: unknown) => {
    throw new StoreError(`redis script ${script.name} failed`, { cause: error });
  };
  // One promise chain, no async wrapper: this runs once per rate-limit decision.
  return client.evalsha(script.sha1, keys.length, ...keys, ...args).catch((error: unknown) => {
    if (!isNoScript(error)) return wrap(error);
    return client.eval(script.source, keys.length, ...keys, ...args).catch(wrap);
  });
}
