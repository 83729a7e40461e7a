/**
 * The Redis accounts store: the contract on the shared Redis and on a local 3-node cluster, and what only
 * Redis has: a TTL on every key, the key layout (one slot for all token keys, short keys, no user data in
 * keys), Redis TIME when no clock is given, NOSCRIPT recovery, malformed stored values and a dead server
 * as ERR_STORE, and construction errors.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type AccountsStore, EXPIRED_RETENTION_MS } from '../../src/accounts/index.js';
import { createRedisAccountsStore, type RedisScriptClient } from '../../src/accounts/redis.js';
import { keySlot } from '../../src/core/redis/slot.js';
import { accountsStoreContract, createManualClock } from '../../src/testing/index.js';
import { onPath } from '../support/processes.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';
import { canStartCluster, useLocalRedisCluster } from '../support/redis-cluster.js';
import { startRedisServer } from '../support/redis-server.js';

const api = { describe, it };
const hash = () => createHash('sha256').update(randomBytes(32)).digest('hex');
const binding = (userId: string) => ({ userId, email: `${userId}@example.com`, credentialsVersion: 0 });

async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys.sort();
}

/** Runs every operation of the port once or more, including replacement, expiry and revocation. */
async function everyOperation(store: AccountsStore, advance: (ms: number) => void) {
  const [a, b, c, d] = [hash(), hash(), hash(), hash()];
  await store.issueToken({ kind: 'verify', tokenHash: a, binding: binding('alice'), ttlMs: 60_000 });
  await store.issueToken({ kind: 'verify', tokenHash: b, binding: binding('alice'), ttlMs: 60_000 });
  await store.issueToken({ kind: 'reset', tokenHash: c, binding: binding('alice'), ttlMs: 1_000 });
  await store.issueToken({ kind: 'reset', tokenHash: d, binding: binding('{bob}:x'), ttlMs: 60_000 });
  await store.findToken({ kind: 'verify', tokenHash: b });
  await store.consumeToken({ kind: 'verify', tokenHash: a });
  await store.acquireCooldown({ key: 'reset:alice@example.com', cooldownMs: 60_000 });
  await store.acquireCooldown({ key: 'reset:alice@example.com', cooldownMs: 60_000 });
  await store.putMail({ record: { requestId: 'req-1', kind: 'verify', status: 'queued' }, ttlMs: 60_000 });
  await store.putMail({
    record: { requestId: 'req-1', kind: 'verify', status: 'sent', userId: 'alice', messageId: 'm1' },
    ttlMs: 60_000,
  });
  await store.getMail('req-1');
  advance(2_000);
  await store.findToken({ kind: 'reset', tokenHash: c });
  await store.issueToken({ kind: 'verify', tokenHash: hash(), binding: binding('carol'), ttlMs: 60_000 });
  await store.revokeTokens({ userId: 'carol' });
  await store.issueToken({ kind: 'verify', tokenHash: hash(), binding: binding('dave'), ttlMs: 60_000 });
  return { outstanding: b, expired: c, other: d };
}

function redisContract(name: string, client: () => RedisScriptClient, prefix: string) {
  let n = 0;
  accountsStoreContract(api, {
    name,
    setup: (clock) => ({
      subject: createRedisAccountsStore({ client: client(), prefix: `${prefix}-${n++}`, clock }),
    }),
  });
}

describe.skipIf(noRedis)('redis accounts store (single server)', () => {
  const redis = noRedis ? undefined : connectRedis();
  const prefix = randomPrefix('acct');
  afterAll(async () => {
    if (!redis) return;
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  });
  redisContract('redis', () => redis!, prefix);

  it.each([
    ['on Redis TIME', false],
    ['on a manual clock', true],
  ])('every key it writes has a TTL (%s)', async (_, manual) => {
    const own = `${prefix}-ttl-${manual ? 'clock' : 'time'}`;
    const clock = createManualClock(Date.now());
    const store = createRedisAccountsStore({ client: redis!, prefix: own, ...(manual ? { clock } : {}) });
    await everyOperation(store, (ms) => clock.advance(ms));
    const keys = await scanKeys(redis!, own);
    // b and c (alice), d (bob), dave's token: records and pointers; a cooldown; a mail record.
    expect(keys.length).toBe(10);
    for (const key of keys) expect(await redis!.pttl(key), key).toBeGreaterThan(0);
  });

  it('lays keys out under one token slot, short, with no user data in them', async () => {
    const own = `${prefix}-layout`;
    const store = createRedisAccountsStore({ client: redis!, prefix: own });
    const { outstanding } = await everyOperation(store, () => {});
    const keys = await scanKeys(redis!, own);
    const tokenKeys = keys.filter((k) => k.includes(':{tok}:'));
    expect(tokenKeys.length).toBe(8);
    expect(new Set(tokenKeys.map(keySlot)).size).toBe(1);
    expect(keys).toContain(`${own}:acct:{tok}:t:verify:${outstanding}`);
    for (const key of keys) {
      expect(key).not.toMatch(/alice|bob|carol|dave|@|example/);
      expect(key).toMatch(
        /^[^{}]+:acct:(\{tok\}:t:(verify|reset):[0-9a-f]{64}|\{tok\}:o:(verify|reset):[A-Za-z0-9_-]{22}|\{c:[A-Za-z0-9_-]{22}\}|\{m:req-1\})$/,
      );
    }
    // Bytes per key with the default prefix `bp`: record 87 (verify) / 86 (reset), pointer 45 / 44,
    // cooldown 34, mail 12 + the request id.
    const bytes = (key: string) => Buffer.byteLength(key.replace(own, 'bp'));
    const expected = (key: string) =>
      key.includes(':t:')
        ? 87 - (key.includes(':reset:') ? 1 : 0)
        : key.includes(':o:')
          ? 45 - (key.includes(':reset:') ? 1 : 0)
          : key.includes('{c:')
            ? 34
            : 12 + 'req-1'.length;
    for (const key of keys) expect(bytes(key), key).toBe(expected(key));
  });

  it('without a clock it decides on Redis TIME: instants come from the server', async () => {
    const store = createRedisAccountsStore({ client: redis!, prefix: `${prefix}-time` });
    const toMs = ([s, us]: [number | string, number | string]) =>
      Number(s) * 1000 + Math.floor(Number(us) / 1000);
    const before = toMs((await redis!.time()) as [number, number]);
    const tokenHash = hash();
    const { record } = await store.issueToken({
      kind: 'reset',
      tokenHash,
      binding: binding('t'),
      ttlMs: 60_000,
    });
    const after = toMs((await redis!.time()) as [number, number]);
    expect(record.issuedAtMs).toBeGreaterThanOrEqual(before);
    expect(record.issuedAtMs).toBeLessThanOrEqual(after);
    expect(record.expiresAtMs).toBe(record.issuedAtMs + 60_000);
    expect(await store.consumeToken({ kind: 'reset', tokenHash })).toEqual({ status: 'valid', record });
    const cooldown = await store.acquireCooldown({ key: 'k', cooldownMs: 60_000 });
    expect(cooldown).toEqual({ acquired: true, retryAfterMs: 0 });
    const again = await store.acquireCooldown({ key: 'k', cooldownMs: 60_000 });
    expect(again.acquired).toBe(false);
    expect(again.retryAfterMs).toBeGreaterThan(0);
    expect(again.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('a record key lives ttlMs + EXPIRED_RETENTION_MS, so a late click reads expired', async () => {
    const own = `${prefix}-retention`;
    const store = createRedisAccountsStore({ client: redis!, prefix: own });
    const tokenHash = hash();
    await store.issueToken({ kind: 'verify', tokenHash, binding: binding('r'), ttlMs: 60_000 });
    const pttl = await redis!.pttl(`${own}:acct:{tok}:t:verify:${tokenHash}`);
    expect(pttl).toBeGreaterThan(60_000);
    expect(pttl).toBeLessThanOrEqual(60_000 + EXPIRED_RETENTION_MS);
  });

  it('keeps working after SCRIPT FLUSH (NOSCRIPT → EVAL)', async () => {
    const store = createRedisAccountsStore({ client: redis!, prefix: `${prefix}-flush` });
    const tokenHash = hash();
    await store.issueToken({ kind: 'verify', tokenHash, binding: binding('f'), ttlMs: 60_000 });
    await redis!.script('FLUSH');
    expect((await store.consumeToken({ kind: 'verify', tokenHash })).status).toBe('valid');
    await redis!.script('FLUSH');
    expect((await store.acquireCooldown({ key: 'f', cooldownMs: 1_000 })).acquired).toBe(true);
  });

  it('a stored value of the wrong shape is ERR_STORE, never a made-up record', async () => {
    const own = `${prefix}-corrupt`;
    const store = createRedisAccountsStore({ client: redis!, prefix: own });
    await redis!.hset(`${own}:acct:{m:bad-json}`, 'j', '{"requestId":"x"', 'at', '1', 'x', '9999999999999');
    await redis!.hset(
      `${own}:acct:{m:bad-kind}`,
      ...['j', JSON.stringify({ requestId: 'bad-kind', kind: 'spam', status: 'queued' }), 'at', '1'],
      ...['x', '9999999999999'],
    );
    await redis!.set(`${own}:acct:{m:wrong-type}`, 'x', 'PX', 60_000);
    for (const id of ['bad-json', 'bad-kind', 'wrong-type']) {
      await expect(store.getMail(id)).rejects.toMatchObject({ code: 'ERR_STORE' });
    }
    const tokenHash = hash();
    await redis!.hset(`${own}:acct:{tok}:t:verify:${tokenHash}`, 'u', 'x', 'e', 'e', 'v', 'one', 'i', '1');
    await redis!.hset(`${own}:acct:{tok}:t:verify:${tokenHash}`, 'x', '9999999999999', 'o', 'p');
    await expect(store.findToken({ kind: 'verify', tokenHash })).rejects.toMatchObject({ code: 'ERR_STORE' });
    await deleteByPrefix(redis!, own);
  });

  it('refuses a client that is not one and a prefix that would break hash tags', () => {
    expect(() => createRedisAccountsStore({ client: {} as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => createRedisAccountsStore({ client: redis!, prefix: 'a{b}' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => createRedisAccountsStore({ client: redis!, clock: { now: () => 0 } as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => createRedisAccountsStore({ client: redis!, ttlMs: 5 } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });
});

describe.skipIf(!canStartCluster())('redis accounts store (3-node cluster)', () => {
  const cluster = useLocalRedisCluster();
  const prefix = randomPrefix('acct');
  redisContract('redis cluster', () => cluster(), prefix);

  it('every operation runs on a cluster, and 100 concurrent consumes still have one winner', async () => {
    const store = createRedisAccountsStore({ client: cluster(), prefix: `${prefix}-ops` });
    const { outstanding } = await everyOperation(store, () => {});
    expect((await store.findToken({ kind: 'verify', tokenHash: outstanding })).status).toBe('valid');
    const results = await Promise.all(
      Array.from({ length: 100 }, () => store.consumeToken({ kind: 'verify', tokenHash: outstanding })),
    );
    expect(results.filter((r) => r.status === 'valid')).toHaveLength(1);
  });
});

// It starts its own redis-server to kill: skipped where the binary is missing.
describe.skipIf(!onPath('redis-server'))('redis accounts store failure', () => {
  it('a dead Redis is ERR_STORE on every method, never a fallback', async () => {
    const server = await startRedisServer();
    const client = new Redis(server.url, {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      const store = createRedisAccountsStore({ client, prefix: 'bp-dead' });
      const tokenHash = hash();
      await store.issueToken({ kind: 'verify', tokenHash, binding: binding('d'), ttlMs: 60_000 });
      await server.kill();
      const calls: (() => Promise<unknown>)[] = [
        () => store.issueToken({ kind: 'verify', tokenHash: hash(), binding: binding('d'), ttlMs: 60_000 }),
        () => store.findToken({ kind: 'verify', tokenHash }),
        () => store.consumeToken({ kind: 'verify', tokenHash }),
        () => store.revokeTokens({ userId: 'd' }),
        () => store.acquireCooldown({ key: 'k', cooldownMs: 1_000 }),
        () => store.putMail({ record: { requestId: 'r', kind: 'verify', status: 'queued' }, ttlMs: 1_000 }),
        () => store.getMail('r'),
      ];
      for (const call of calls) await expect(call()).rejects.toMatchObject({ code: 'ERR_STORE' });
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
