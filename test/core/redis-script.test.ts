import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import { createKeyspace } from '../../src/core/redis/keys.js';
import { reply } from '../../src/core/redis/reply.js';
import {
  decodeReply,
  defineScript,
  REDIS_TIME,
  runScript,
  SERVER_TIME,
  timeArg,
} from '../../src/core/redis/script.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';

const TTL_FLOOR_MS = 1000;

const incrWithTtl = defineScript({
  name: 'core-incr',
  summary: 'increments a counter and sets its TTL',
  keys: ['counter: the integer counter'],
  args: ['ttlMs: its time to live (at least TTL_FLOOR_MS)'],
  returns: 'the new value',
  constants: { TTL_FLOOR_MS },
  body: `
local v = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], math.max(TTL_FLOOR_MS, tonumber(ARGV[1])))
return v`,
  reply: reply.integer,
});

const nowScript = defineScript({
  name: 'core-now',
  summary: 'returns the time it decided at',
  keys: [],
  args: ["now: epoch ms, or REDIS_TIME ('') to read Redis TIME"],
  returns: '{ nowMs }',
  uses: [SERVER_TIME],
  body: 'return { now_ms(ARGV[1]) }',
  reply: reply.tuple(reply.integer),
});

describe('defineScript', () => {
  it('writes the header from the definition and injects the constants', () => {
    expect(incrWithTtl.source.split('\n').slice(0, 5)).toEqual([
      '-- core-incr: increments a counter and sets its TTL',
      '-- KEYS[1] counter: the integer counter',
      '-- ARGV[1] ttlMs: its time to live (at least TTL_FLOOR_MS)',
      '-- returns: the new value',
      '-- constant TTL_FLOOR_MS = 1000',
    ]);
    expect(incrWithTtl.numberOfKeys).toBe(1);
    expect(nowScript.source).toContain("-- constant REDIS_TIME = ''");
  });

  it('writes constants as literals in code (no upvalues to capture), never inside strings or comments', () => {
    const script = defineScript({
      name: 'core-inline',
      summary: 'x',
      keys: [],
      args: [],
      returns: 'a table',
      constants: { LIMIT_MS: 250, MODE: 'fast' },
      body: `
-- LIMIT_MS stays in this comment
local function f(x) return x + LIMIT_MS end
return { f(1), MODE, 'LIMIT_MS', "MODE's", LIMIT_MSX }`,
      reply: reply.integer,
    });
    const code = script.source.slice(script.source.indexOf('-- LIMIT_MS stays'));
    expect(code).toContain('-- LIMIT_MS stays in this comment');
    expect(code).toContain('return x + 250 end');
    expect(code).toContain(`return { f(1), 'fast', 'LIMIT_MS', "MODE's", LIMIT_MSX }`);
    expect(script.source).toContain('-- constant LIMIT_MS = 250');
  });

  it('refuses a Lua literal constant that should come from TypeScript', () => {
    const define = () =>
      defineScript({
        name: 'core-bad',
        summary: 'x',
        keys: [],
        args: [],
        returns: 'nothing',
        body: 'local HISTORY_LIMIT = 20\nreturn 1',
        reply: reply.integer,
      });
    expect(define).toThrow(/HISTORY_LIMIT/);
  });

  it('refuses a constant defined twice with different values, and non-ASCII strings', () => {
    const chunk = { name: 'c', constants: { LIMIT: 1 }, source: 'local function f() return LIMIT end' };
    const base = {
      name: 'core-x',
      summary: 'x',
      keys: [],
      args: [],
      returns: 'x',
      body: 'return 1',
      reply: reply.integer,
    };
    expect(() => defineScript({ ...base, uses: [chunk], constants: { LIMIT: 2 } })).toThrow(/twice/);
    expect(() => defineScript({ ...base, constants: { NAME: 'é' } })).toThrow(/ASCII/);
    expect(() => defineScript({ ...base, constants: { lower: 1 } })).toThrow(/UPPER_CASE/);
    expect(() => defineScript({ ...base, constants: { BIG: 2 ** 60 } })).toThrow(/safe integer/);
  });

  it('timeArg sends the clock reading, or the Redis time marker without a clock', () => {
    const clock = createManualClock(5_000);
    expect(timeArg(clock)).toBe(5_000);
    expect(timeArg(undefined)).toBe(REDIS_TIME);
  });
});

describe('reply decoders', () => {
  const cases: [string, unknown, (raw: unknown) => unknown][] = [
    ['integer gets a string', '1', (r) => reply.integer(r, '')],
    ['integer gets a float', 1.5, (r) => reply.integer(r, '')],
    ['tuple gets a short array', [1], (r) => reply.tuple(reply.integer, reply.integer)(r, '')],
    ['array item of the wrong type', [1, 'x'], (r) => reply.array(reply.integer)(r, '')],
    ['flag gets 2', 2, (r) => reply.flag(r, '')],
    ['pairs of odd length', ['a'], (r) => reply.pairs(reply.string)(r, '')],
    ['json that is not JSON', '{', (r) => reply.json(reply.integer)(r, '')],
    ['chunks of the wrong size', [1, 2, 3], (r) => reply.chunks(2, reply.integer)(r, '')],
    ['literal outside the set', 'maybe', (r) => reply.literal('yes', 'no')(r, '')],
    ['numeric that is empty', '', (r) => reply.numeric(r, '')],
  ];
  for (const [name, raw, decode] of cases) {
    it(`throws on ${name}`, () => expect(() => decode(raw)).toThrow(/expected/));
  }

  it('decodes nested shapes and names the path of a bad part', () => {
    const decoder = reply.headAndRest(
      [reply.integer, reply.flag],
      reply.tuple(reply.string, reply.nullable(reply.integer)),
    );
    expect(decoder([7, 1, ['a', null], ['b', 3]], '')).toEqual({
      head: [7, true],
      rest: [
        ['a', null],
        ['b', 3],
      ],
    });
    expect(() => decoder([7, 1, ['a', 'x']], '')).toThrow('[2][1]: expected integer, got "x"');
    expect(reply.pairs(reply.numeric)(['a', '1.5'], '')).toEqual({ a: 1.5 });
  });

  it('decodeReply turns a bad shape into a StoreError naming the script', () => {
    expect(() => decodeReply(incrWithTtl, 'OK')).toThrow(
      expect.objectContaining({ code: 'ERR_STORE', message: expect.stringContaining('core-incr') }),
    );
  });
});

describe.skipIf(noRedis)('redis script runner (real Redis)', () => {
  let redis: Redis;
  const prefix = randomPrefix('script');
  const keys = createKeyspace(prefix, 'core');

  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(async () => {
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  });

  it('runs with EVALSHA and falls back to EVAL after SCRIPT FLUSH', async () => {
    const key = keys.key('a', 'n');
    await redis.script('FLUSH');
    expect(await runScript(redis, incrWithTtl, [key], [60_000])).toBe(1);
    const [loaded] = (await redis.script('EXISTS', incrWithTtl.sha1)) as number[];
    expect(loaded).toBe(1); // EVAL cached it again
    expect(await runScript(redis, incrWithTtl, [key], [60_000])).toBe(2);
    await redis.script('FLUSH');
    expect(await runScript(redis, incrWithTtl, [key], [60_000])).toBe(3);
    expect(await redis.pttl(key)).toBeGreaterThan(59_000);
  });

  it('uses the injected constant in Lua', async () => {
    const key = keys.key('b', 'n');
    await runScript(redis, incrWithTtl, [key], [1]);
    expect(await redis.pttl(key)).toBeGreaterThan(TTL_FLOOR_MS - 100);
  });

  it('reads Redis TIME for the marker and the clock reading otherwise', async () => {
    const [serverSeconds] = (await redis.time()) as unknown as [string, string];
    const [fromRedis] = await runScript(redis, nowScript, [], [timeArg(undefined)]);
    expect(Math.abs(fromRedis - Number(serverSeconds) * 1000)).toBeLessThan(5_000);
    expect(await runScript(redis, nowScript, [], [timeArg(createManualClock(42))])).toEqual([42]);
  });

  it('wraps Redis errors in a StoreError naming the script, keeping the cause', async () => {
    const broken = defineScript({
      name: 'core-broken',
      summary: 'calls a command that does not exist',
      keys: [],
      args: [],
      returns: 'never',
      body: `return redis.call('NOSUCHCOMMAND')`,
      reply: reply.integer,
    });
    await expect(runScript(redis, broken, [], [])).rejects.toMatchObject({
      code: 'ERR_STORE',
      message: 'redis script core-broken failed',
      cause: expect.any(Error),
    });
  });

  it('rejects an unexpected reply with a StoreError instead of returning it', async () => {
    const wrongShape = defineScript({
      name: 'core-wrong-shape',
      summary: 'returns a string where an integer is declared',
      keys: [],
      args: [],
      returns: 'an integer (it lies)',
      body: `return 'surprise'`,
      reply: reply.integer,
    });
    await expect(runScript(redis, wrongShape, [], [])).rejects.toMatchObject({
      code: 'ERR_STORE',
      message: expect.stringContaining('unexpected reply from redis script core-wrong-shape'),
    });
  });

  it('refuses a call with the wrong number of keys before touching Redis', async () => {
    await expect(runScript(redis, incrWithTtl, [], [1])).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});

describe('keyspace', () => {
  it('puts the hash tag around the tag part', () => {
    const keys = createKeyspace('app', 'rl');
    expect(keys.key('api:u1', 'fw', '42')).toBe('app:rl:{api:u1}:fw:42');
    expect(keys.key('api')).toBe('app:rl:{api}');
    expect(keys.pattern()).toBe('app:rl:*');
  });

  it('rejects prefixes that would break hash tags or key hygiene', () => {
    for (const bad of ['', 'a{b', 'a}b', 'with space', 'x'.repeat(65)]) {
      expect(() => createKeyspace(bad, 'rl')).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });
});
