/**
 * The Redis flag source and its publisher against real Redis: capped reads and hostile values, the
 * publish (SET and PUBLISH in one script), watching in this process and from a second process, a lost
 * message healed by the resync, and a private Redis killed mid-run and restarted.
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { type Cluster, Redis } from 'ioredis';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import type { FlagConfig } from '../../src/flags/index.js';
import {
  createRedisFlagSource,
  publishFlagConfig,
  type RedisFlagSourceOptions,
  type RedisFlagSubscriber,
  type RedisScriptClient,
} from '../../src/flags/redis.js';
import { onPath, spawnTracked } from '../support/processes.js';
import { noRedis, redisUrl, useRedisPrefix } from '../support/redis.js';
import { startRedisServer } from '../support/redis-server.js';
import { eventually, record, rejectsWith, sampleConfig, served } from './source-helpers.js';

const watcherFile = resolve(import.meta.dirname, 'fixtures/redis-watcher.ts');

it('an ioredis Redis or Cluster fits both connection types', () => {
  expectTypeOf<Redis>().toExtend<RedisFlagSubscriber>();
  expectTypeOf<Redis>().toExtend<RedisScriptClient>();
  expectTypeOf<Cluster>().toExtend<RedisFlagSubscriber>();
  expectTypeOf<Cluster>().toExtend<RedisScriptClient>();
});

describe.skipIf(noRedis)('createRedisFlagSource against the shared Redis', () => {
  const { client, prefix } = useRedisPrefix('flags-src');
  const subscribers: Redis[] = [];
  afterAll(() => {
    for (const s of subscribers) s.disconnect();
  });
  let n = 0;
  /** A fresh key and channel, and a subscriber connection of its own. */
  const names = () => {
    n += 1;
    const subscriber = new Redis(redisUrl()!);
    subscribers.push(subscriber);
    return { key: `${prefix}:config:${n}`, channel: `${prefix}:changed:${n}`, subscriber };
  };
  const make = (extra: Partial<RedisFlagSourceOptions> = {}) => {
    const { key, channel, subscriber } = names();
    return { key, channel, source: createRedisFlagSource({ client, subscriber, key, channel, ...extra }) };
  };

  it('loads the JSON string at the key', async () => {
    const { key, source } = make();
    expect(source.kind).toBe('redis');
    await client.set(key, JSON.stringify(sampleConfig(true, 'v1')));
    expect((await source.load()).version).toBe('v1');
  });

  it('hostile values are FlagSourceErrors naming the key and the reason', async () => {
    const { key, source } = make();
    await rejectsWith(source.load(), 'ERR_FLAGS_SOURCE', /key \S+ holds no config \(missing\)/);
    const cases: [string, RegExp][] = [
      ['', /not valid JSON/],
      ['{"flags": ', /not valid JSON/],
      ['[]', /got an array/],
      ['17', /got number/],
      ['null', /got null/],
      ['{"flags": []}', /a `flags` object/],
      ['{"__proto__": {"flags": {}}}', /a `flags` object/],
    ];
    for (const [value, reason] of cases) {
      await client.set(key, value);
      const error = await rejectsWith(source.load(), 'ERR_FLAGS_SOURCE', reason);
      expect(error.message).toContain(key);
    }
    await client.del(key);
    await client.hset(key, 'flags', '{}');
    await rejectsWith(source.load(), 'ERR_FLAGS_SOURCE', /WRONGTYPE/);
  });

  it('refuses a value over maxBytes without reading it', async () => {
    const { key, source } = make({ maxBytes: 100 });
    await client.set(key, JSON.stringify(sampleConfig(true)));
    await rejectsWith(source.load(), 'ERR_FLAGS_SOURCE', /is \d+ bytes, over the 100-byte cap/);
    const big = make();
    await client.set(big.key, `{"flags": {}, "pad": "${'x'.repeat(5 * 1024 * 1024)}"}`);
    await rejectsWith(big.source.load(), 'ERR_FLAGS_SOURCE', /over the 5242880-byte cap/);
  });

  it('keeps `__proto__` keys as plain data', async () => {
    const { key, source } = make();
    await client.set(key, '{"flags": {"__proto__": {"polluted": true}}, "__proto__": {"polluted": true}}');
    const config = await source.load();
    expect(Object.hasOwn(config.flags, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('publishFlagConfig stores the config with its version and announces the version', async () => {
    const { key, channel, subscriber } = names();
    const heard: string[] = [];
    subscriber.on('message', (_c: string, m: string) => heard.push(m));
    await subscriber.subscribe(channel);
    const given = await publishFlagConfig({ client, key, channel }, sampleConfig(true, 'release-7'));
    expect(given).toEqual({ version: 'release-7', receivers: 1 });
    const generated = await publishFlagConfig({ client, key, channel }, sampleConfig(false));
    expect(generated.version).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.parse((await client.get(key)) ?? '{}').version).toBe(generated.version);
    await eventually(() => heard.length === 2);
    expect(heard).toEqual(['release-7', generated.version]);
  });

  it('publishFlagConfig refuses hostile configs and targets, writing nothing', async () => {
    const { key, channel } = names();
    const cyclic: Record<string, unknown> = { flags: {} };
    cyclic.self = cyclic;
    const hostile: unknown[] = [
      null,
      [],
      'x',
      {},
      { flags: [] },
      { flags: {}, version: 42 },
      { flags: {}, version: '' },
      { flags: {}, version: 'v'.repeat(257) },
      { flags: { n: 10n } },
      cyclic,
    ];
    for (const config of hostile) {
      await expect(publishFlagConfig({ client, key, channel }, config as FlagConfig)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    }
    await expect(
      publishFlagConfig({ client, key, channel, maxBytes: 50 }, sampleConfig(true)),
    ).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/over the 50-byte cap/),
    });
    expect(await client.exists(key)).toBe(0);
    for (const target of [{}, { client: {} }, { client, key: '' }, { client, chanel: 'typo' }]) {
      await expect(
        publishFlagConfig(target as Parameters<typeof publishFlagConfig>[0], sampleConfig(true)),
      ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    }
  });

  it('rejects bad options at construction', () => {
    const { subscriber } = names();
    const bad: unknown[] = [
      {},
      { client },
      { subscriber },
      { client: {}, subscriber },
      { client, subscriber: {} },
      { client, subscriber, key: '' },
      { client, subscriber, maxBytes: 0 },
      { client, subscriber, resyncIntervalMs: 0 },
      { client, subscriber, kye: 'typo' },
    ];
    for (const options of bad) {
      expect(() => createRedisFlagSource(options as RedisFlagSourceOptions)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });

  it('watch: the current config, each publish, malformed data reported with the previous kept', async () => {
    const { key, channel, source } = make();
    await publishFlagConfig({ client, key, channel }, sampleConfig(true, 'v1'));
    const rec = record(source);
    await eventually(() => rec.configs().length === 1, { what: 'initial' });
    await publishFlagConfig({ client, key, channel }, sampleConfig(false, 'v2'));
    await eventually(() => rec.configs().length === 2, { what: 'v2' });
    await client.set(key, '{"flags": {"half": ');
    await client.publish(channel, 'broken');
    await eventually(() => rec.errors().length === 1, { what: 'malformed' });
    expect(rec.errors()[0]?.message).toMatch(/not valid JSON/);
    await publishFlagConfig({ client, key, channel }, sampleConfig(true, 'v3'));
    await eventually(() => rec.configs().length === 3, { what: 'v3' });
    expect(rec.configs().map((c) => c.version)).toEqual(['v1', 'v2', 'v3']);
    await source.close();
    const [, subscribed] = (await client.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
    expect(subscribed).toBe(0);
  });

  it('watching on fresh and lazy connections waits for ready before subscribing (ioredis#2037)', async () => {
    const key = `${prefix}:fresh`;
    const channel = `${prefix}:fresh:changed`;
    await publishFlagConfig({ client, key, channel }, sampleConfig(true, 'f1'));
    const connectionErrors: Error[] = [];
    // Half lazy, half caught in the middle of their handshake ('connect', before the ready check).
    const watchers = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const subscriber = new Redis(redisUrl()!, { lazyConnect: i % 2 === 1 });
        subscribers.push(subscriber);
        subscriber.on('error', (e: Error) => connectionErrors.push(e));
        if (i % 2 === 0) await new Promise((r) => subscriber.once('connect', r));
        const source = createRedisFlagSource({ client, subscriber, key, channel });
        return { source, rec: record(source) };
      }),
    );
    await eventually(() => watchers.every((w) => w.rec.configs().length === 1), { what: 'initial' });
    await eventually(() => subscribers.slice(-8).every((s) => s.status === 'ready'), {
      what: 'all connected',
    });
    let numsub = 0;
    await eventually(
      () => {
        void client.call('PUBSUB', 'NUMSUB', channel).then((r) => {
          numsub = (r as [string, number])[1];
        });
        return numsub === 8;
      },
      { what: 'all subscribed' },
    );
    await publishFlagConfig({ client, key, channel }, sampleConfig(false, 'f2'));
    await eventually(() => watchers.every((w) => w.rec.configs().some((c) => c.version === 'f2')), {
      what: 'all saw f2',
    });
    expect(watchers.flatMap((w) => w.rec.errors())).toEqual([]);
    expect(connectionErrors).toEqual([]);
    for (const w of watchers) await w.source.close();
  });

  it('a lost message is healed by the resync; an unchanged resync delivers nothing', async () => {
    const clock = createManualClock(0);
    const { key, channel, source } = make({ clock, resyncIntervalMs: 60_000, timeoutMs: 600_000 });
    await publishFlagConfig({ client, key, channel }, sampleConfig(true, 'v1'));
    const rec = record(source);
    await eventually(() => rec.configs().length === 1);
    clock.advance(60_000);
    await client.set(key, JSON.stringify(sampleConfig(false, 'v2'))); // no PUBLISH: the message is "lost"
    await eventually(() => rec.configs().length === 2, { step: () => clock.advance(60_000), what: 'resync' });
    expect(served(rec.configs()[1])).toBe('off');
    expect(rec.errors()).toEqual([]);
    await source.close();
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('a publish in this process is seen by a watcher in another process', async () => {
    const { key, channel } = names();
    await publishFlagConfig({ client, key, channel }, sampleConfig(true, 'p1'));
    const child: ChildProcess = spawnTracked(
      process.execPath,
      ['--import', 'tsx', watcherFile, redisUrl()!, key, channel],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const lines: Record<string, string>[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(JSON.parse(line)));
    try {
      await eventually(() => lines.some((l) => l.version === 'p1'), { tries: 3000, what: 'child started' });
      await publishFlagConfig({ client, key, channel }, sampleConfig(false, 'p2'));
      await eventually(() => lines.some((l) => l.version === 'p2'), { what: 'child saw p2' });
      await client.set(key, 'not json');
      await client.publish(channel, 'x');
      await eventually(() => lines.some((l) => l.error !== undefined), { what: 'child saw the error' });
      await publishFlagConfig({ client, key, channel }, sampleConfig(true, 'p3'));
      await eventually(() => lines.some((l) => l.version === 'p3'), { what: 'child saw p3' });
      expect(lines.map((l) => l.version ?? 'error')).toEqual(['p1', 'p2', 'error', 'p3']);
    } finally {
      child.stdin?.end();
    }
  });
});

describe.skipIf(noRedis || !onPath('redis-server'))('createRedisFlagSource with Redis killed mid-run', () => {
  it('reports errors while Redis is down and recovers after the restart', async () => {
    const redis = await startRedisServer();
    const options = { maxRetriesPerRequest: 1, retryStrategy: () => 50 };
    const client = new Redis(redis.url, options);
    const subscriber = new Redis(redis.url, options);
    client.on('error', () => {});
    subscriber.on('error', () => {});
    const target = { client, key: 'flags', channel: 'flags:changed' };
    const source = createRedisFlagSource({ ...target, subscriber, resyncIntervalMs: 200, timeoutMs: 1000 });
    try {
      await publishFlagConfig(target, sampleConfig(true, 'before'));
      const rec = record(source);
      await eventually(() => rec.configs().length === 1);
      await redis.kill();
      await eventually(() => rec.errors().length >= 1, { what: 'an error while down' });
      await rejectsWith(source.load(), 'ERR_FLAGS_SOURCE');
      await redis.restart();
      await eventually(() => client.status === 'ready', { tries: 3000 });
      await publishFlagConfig(target, sampleConfig(false, 'after')); // the restart lost the data
      await eventually(() => rec.configs().some((c) => c.version === 'after'), {
        tries: 3000,
        what: 'recovery',
      });
      expect(rec.configs()[0]?.version).toBe('before');
      expect(rec.configs().at(-1)?.version).toBe('after');
    } finally {
      await source.close();
      client.disconnect();
      subscriber.disconnect();
      await redis.stop();
    }
  });
});
