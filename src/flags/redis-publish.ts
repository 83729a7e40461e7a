/**
 * Publishing a config to the Redis flag source: SET the key and PUBLISH the version on the channel in
 * one Lua script, so a subscriber never hears of a version it cannot read yet. The config is checked for
 * its shape and size only; validate it with the flags engine before publishing.
 */
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../core/errors.js';
import { defineOptions, opt } from '../core/options.js';
import { type RedisScriptClient, runScript } from '../core/redis/script.js';
import { publishConfigScript } from './lua/config.js';
import { configShapeProblem, DEFAULT_MAX_BYTES, MAX_MAX_BYTES } from './source-kit.js';
import type { FlagConfig } from './types.js';

/** Where {@link publishFlagConfig} writes: the same `key` and `channel` as the sources reading it. */
export interface PublishFlagConfigTarget {
  /** An ioredis `Redis` or `Cluster` (anything with `evalsha` and `eval`). */
  readonly client: RedisScriptClient;
  /** Default `bp:flags:config`. */
  readonly key?: string;
  /** Default `bp:flags:changed`. */
  readonly channel?: string;
  /** Largest config accepted, as the readers' `maxBytes`. Default 5 MiB. */
  readonly maxBytes?: number;
}

/** What {@link publishFlagConfig} did. */
export interface PublishFlagConfigResult {
  /** The version stored and announced: the config's own, or a generated one. */
  readonly version: string;
  /** How many subscribers received the announcement (on a Cluster, those of the node that ran it). */
  readonly receivers: number;
}

const parseTarget = defineOptions('publishFlagConfig', {
  client: opt.port<RedisScriptClient>(['evalsha', 'eval'], 'required'),
  key: opt.string({ default: 'bp:flags:config', maxLength: 512 }),
  channel: opt.string({ default: 'bp:flags:changed', maxLength: 512 }),
  maxBytes: opt.integer({ default: DEFAULT_MAX_BYTES, min: 2, max: MAX_MAX_BYTES }),
});

const MAX_VERSION_LENGTH = 256;

function versionOf(config: FlagConfig): string {
  const given: unknown = config.version;
  if (given === undefined) return randomBytes(8).toString('hex');
  if (typeof given !== 'string' || given.length === 0 || given.length > MAX_VERSION_LENGTH) {
    throw new InvalidArgumentError(
      `publishFlagConfig: \`version\` must be a string of 1..${MAX_VERSION_LENGTH} characters`,
    );
  }
  return given;
}

function serialise(config: FlagConfig, version: string, maxBytes: number): string {
  let json: string;
  try {
    json = JSON.stringify({ ...config, version });
  } catch (error) {
    throw new InvalidArgumentError('publishFlagConfig: the config cannot be written as JSON', {
      cause: error,
    });
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) {
    throw new InvalidArgumentError(
      `publishFlagConfig: the config is ${bytes} bytes, over the ${maxBytes}-byte cap`,
    );
  }
  return json;
}

/**
 * Stores `config` at the key and announces its version on the channel, atomically. A config without a
 * `version` gets a random one. Throws `InvalidArgumentError` for a config that is not an object with
 * `flags`, cannot be written as JSON or is over `maxBytes`; a Redis failure rejects with a `StoreError`.
 *
 * @example
 * ```ts
 * const { version } = await publishFlagConfig({ client: redis }, { flags: {} });
 * ```
 */
export async function publishFlagConfig(
  target: PublishFlagConfigTarget,
  config: FlagConfig,
): Promise<PublishFlagConfigResult> {
  const t = parseTarget(target);
  const problem = configShapeProblem(config);
  if (problem !== undefined) throw new InvalidArgumentError(`publishFlagConfig: ${problem}`);
  const version = versionOf(config);
  const json = serialise(config, version, t.maxBytes);
  const receivers = await runScript(t.client, publishConfigScript, [t.key], [json, t.channel, version]);
  return { version, receivers };
}
