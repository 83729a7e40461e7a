/**
 * The Redis flag source. The config is one JSON string at `key`; a change is announced on `channel`
 * with the new version. `load` reads the key (capped in Redis). `watch` subscribes on a separate
 * connection (a subscribed connection can run no other command) and reads the key again after each
 * message, after each reconnect of the subscriber, and every `resyncIntervalMs` (a message lost while a
 * connection was down is healed by the next read); a failed read is retried with a short backoff.
 */
import type { Clock } from '../core/clock.js';
import { defineOptions, opt } from '../core/options.js';
import { type RedisScriptClient, runScript } from '../core/redis/script.js';
import { FlagSourceError } from './errors.js';
import { readConfigScript } from './lua/config.js';
import {
  DEFAULT_MAX_BYTES,
  type FlagSourceListener,
  MAX_MAX_BYTES,
  type Outcome,
  parseConfigText,
  type ReadConfig,
  toSourceError,
  withDeadline,
} from './source-kit.js';
import type { FlagConfig, FlagSource } from './types.js';
import { backoffMs, createWatchedSource, startWatchLoop, type WatchHub } from './watch-kit.js';

/**
 * The subscriber connection: an ioredis `Redis` (or `Cluster`) of its own, given to nothing else that
 * subscribes to `channel` (the source unsubscribes from it when it stops watching).
 */
export interface RedisFlagSubscriber {
  /**
   * ioredis' connection status. When present, the source subscribes only once it is `'ready'` (and
   * connects a lazy connection, `'wait'`): ioredis 5 subscribing during its handshake breaks the
   * connection's ready check (redis/ioredis#2037).
   */
  readonly status?: string;
  /** Connects a lazy connection (ioredis `lazyConnect`). */
  connect?(): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'ready' | 'close', listener: () => void): unknown;
  removeListener(event: 'message', listener: (channel: string, message: string) => void): unknown;
  removeListener(event: 'ready' | 'close', listener: () => void): unknown;
}

/** Options of {@link createRedisFlagSource}. */
export interface RedisFlagSourceOptions {
  /** An ioredis `Redis` or `Cluster` for the reads (anything with `evalsha` and `eval`). */
  readonly client: RedisScriptClient;
  /** A second connection, for SUBSCRIBE. */
  readonly subscriber: RedisFlagSubscriber;
  /** The key holding the config JSON. Default `bp:flags:config`. */
  readonly key?: string;
  /** The channel announcing changes. Default `bp:flags:changed`. */
  readonly channel?: string;
  /** Largest config accepted. Default 5 MiB. */
  readonly maxBytes?: number;
  /** Time between reads while watching, whatever the messages say. Default 60 000 ms. */
  readonly resyncIntervalMs?: number;
  /** Deadline of one read or subscribe. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Times the resyncs, retries and deadlines. Default the system clock. */
  readonly clock?: Clock;
}

/** A Redis {@link FlagSource}. */
export interface RedisFlagSource extends FlagSource {
  readonly kind: 'redis';
  /** Reads the key; rejects with a {@link FlagSourceError} (missing, too large, not JSON, Redis failing). */
  load(signal?: AbortSignal): Promise<FlagConfig>;
  /** Subscribes; a new listener first hears the current state, then every change or failure. */
  watch(listener: FlagSourceListener): () => void;
  /** Stops watching (unsubscribes) and drops the listeners; never closes the connections given. */
  close(): Promise<void>;
}

/** The first retry after a failed read while watching; it doubles up to `resyncIntervalMs`. */
const RETRY_BASE_MS = 500;

const parseOptions = defineOptions('createRedisFlagSource', {
  client: opt.port<RedisScriptClient>(['evalsha', 'eval'], 'required'),
  subscriber: opt.port<RedisFlagSubscriber>(['subscribe', 'unsubscribe', 'on', 'removeListener'], 'required'),
  key: opt.string({ default: 'bp:flags:config', maxLength: 512 }),
  channel: opt.string({ default: 'bp:flags:changed', maxLength: 512 }),
  maxBytes: opt.integer({ default: DEFAULT_MAX_BYTES, min: 2, max: MAX_MAX_BYTES }),
  resyncIntervalMs: opt.duration({ default: 60_000, min: 100, max: 86_400_000 }),
  timeoutMs: opt.duration({ default: 5_000, max: 600_000 }),
  clock: opt.clock(),
});

type Parsed = ReturnType<typeof parseOptions>;

async function readKey(o: Parsed, signal?: AbortSignal): Promise<ReadConfig> {
  const where = `key ${o.key}`;
  const [size, value] = await withDeadline(
    'redis',
    o.clock,
    o.timeoutMs,
    signal,
    () =>
      runScript(o.client, readConfigScript, [o.key], [o.maxBytes]).catch((error: unknown) => {
        throw toSourceError('redis', `reading ${where} failed`, error);
      }),
    `reading ${where}`,
  );
  if (value === null && size > o.maxBytes) {
    throw new FlagSourceError(
      'redis',
      `${where} is ${size} bytes, over the ${o.maxBytes}-byte cap (\`maxBytes\`)`,
    );
  }
  if (value === null) throw new FlagSourceError('redis', `${where} holds no config (missing)`);
  return { config: parseConfigText('redis', value, where), key: value };
}

/** Starts one watch (listeners on the subscriber, the resync loop); returns its stop. */
function startRedisWatch(o: Parsed, hub: WatchHub): () => void {
  const { subscriber, channel } = o;
  let subscribed = false;
  let everSubscribed = false;
  let connected = subscriber.status === undefined || subscriber.status === 'ready';
  const wake = { now: () => {} };

  const onMessage = (from: string) => {
    if (from === channel) wake.now();
  };
  const onReady = () => {
    connected = true;
    subscribed = false; // subscribe again before reading, so no change falls between the two
    wake.now();
  };
  const onClose = () => {
    subscribed = false;
    if (!connected) return;
    connected = false;
    hub.offer({
      error: new FlagSourceError('redis', `the subscriber connection closed; watching ${channel} paused`),
    });
  };
  const subscribe = async () => {
    const status = subscriber.status;
    if (subscribed) return;
    if (status !== undefined && status !== 'ready') {
      if (status === 'wait') subscriber.connect?.().catch(() => {}); // its 'ready' wakes the loop
      return;
    }
    await withDeadline(
      'redis',
      o.clock,
      o.timeoutMs,
      undefined,
      () => subscriber.subscribe(channel),
      `subscribing to ${channel}`,
    );
    subscribed = true;
    everSubscribed = true;
  };
  const run = async (): Promise<Outcome> => {
    try {
      await subscribe();
      return await readKey(o);
    } catch (error) {
      return { error: toSourceError('redis', `watching ${channel} failed`, error) };
    }
  };
  subscriber.on('message', onMessage);
  subscriber.on('ready', onReady);
  subscriber.on('close', onClose);
  const loop = startWatchLoop({
    source: 'redis',
    clock: o.clock,
    run,
    deliver: (outcome) => hub.offer(outcome),
    nextDelayMs: (failures) =>
      failures === 0
        ? o.resyncIntervalMs
        : backoffMs(failures - 1, RETRY_BASE_MS, o.resyncIntervalMs, () => 0),
  });
  wake.now = () => loop.wake();
  return () => {
    loop.stop();
    subscriber.removeListener('message', onMessage);
    subscriber.removeListener('ready', onReady);
    subscriber.removeListener('close', onClose);
    if (everSubscribed) subscriber.unsubscribe(channel).catch(() => {});
  };
}

/**
 * Creates a source reading a Redis key and watching a channel.
 *
 * @example
 * ```ts
 * const source = createRedisFlagSource({ client: redis, subscriber: redis.duplicate() });
 * const stop = source.watch((update) => {
 *   if ('config' in update) console.log('flags now at', update.config.version);
 * });
 * ```
 */
export function createRedisFlagSource(options: RedisFlagSourceOptions): RedisFlagSource {
  const o = parseOptions(options);
  return createWatchedSource({
    kind: 'redis',
    load: async (signal) => (await readKey(o, signal)).config,
    startWatch: (hub) => startRedisWatch(o, hub),
  });
}
