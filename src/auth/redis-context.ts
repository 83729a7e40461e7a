/**
 * What the three Redis auth stores share: option parsing, the keyspace, the script runner and the time
 * argument (the store's `clock`, or Redis `TIME` when it has none).
 */
import type { Clock } from '../core/clock.js';
import { defineOptions, type OptionSpec, opt } from '../core/options.js';
import { createKeyspace, type Keyspace } from '../core/redis/keys.js';
import { type RedisScript, type RedisScriptClient, runScript, timeArg } from '../core/redis/script.js';
import { sha256, userTag } from './secrets.js';

/** Options every Redis auth store takes. */
export interface RedisAuthStoreOptions {
  /** An ioredis `Redis` or `Cluster` (anything with `evalsha` and `eval`). */
  readonly client: RedisScriptClient;
  /** Key prefix, 1..64 of [A-Za-z0-9._:-]. Default `bp`. Keys are `<prefix>:auth:{<tag>}:...`. */
  readonly prefix?: string;
  /**
   * The store's time. Default none: the scripts read Redis `TIME`, so every app server decides on one
   * clock. Pass one in tests (a manual clock) or to use the app's own time.
   */
  readonly clock?: Clock;
}

/** The option specs every Redis auth store shares (factories add their own). */
export const redisStoreSpecs = {
  client: opt.port<RedisScriptClient>(['evalsha', 'eval'], 'required'),
  prefix: opt.keyPrefix(),
  clock: opt.optionalClock(),
} satisfies Record<string, OptionSpec<unknown>>;

/** The parser of {@link RedisAuthStoreOptions} for a factory named `owner`. */
export const redisStoreOptions = (owner: string) => defineOptions(owner, redisStoreSpecs);

/** Keys, runner and time of one store. */
export interface StoreContext {
  readonly keys: Keyspace;
  /** The scripts' time argument: the clock's reading, or the Redis `TIME` marker. */
  now(): number | '';
  run<R>(script: RedisScript<R>, keys: readonly string[], args: readonly (string | number)[]): Promise<R>;
}

/** Builds the context of a store from its parsed options. */
export function storeContext(options: {
  readonly client: RedisScriptClient;
  readonly prefix: string;
  readonly clock: Clock | undefined;
}): StoreContext {
  const { client, clock } = options;
  return {
    keys: createKeyspace(options.prefix, 'auth'),
    now: () => timeArg(clock),
    run: (script, k, a) => runScript(client, script, k, a),
  };
}

/** A key under the user's hash tag (the user id is hashed, so it cannot shape the key). */
export const userKey = (keys: Keyspace, userId: string, ...parts: string[]) =>
  keys.key(`u:${userTag(userId)}`, ...parts);

/** jti values of our tokens are base64url; anything else is hashed so it cannot shape the key. */
export const jtiPart = (jti: string) => (/^[A-Za-z0-9_-]{1,128}$/.test(jti) ? jti : sha256(jti));
