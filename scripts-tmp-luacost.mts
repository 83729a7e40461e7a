import { cost, done } from './luacost.mjs';
const dist = process.argv[2] ?? '/work/wt-batch/dist';
const chunks = await import(`${dist}/ratelimit/redis.js`);
import fs from 'node:fs';
// find decide source from the built chunk
const files = fs.readdirSync(dist).filter(f => f.endsWith('.js'));
let src;
for (const f of fs.readdirSync(dist, { recursive: true })) { if (!String(f).endsWith('.js')) continue; const t = fs.readFileSync(`${dist}/${f}`, 'utf8'); if (t.includes('ratelimit-decide')) { src = t; break; } }
const { decideScript } = await import('/work/wt-batch/src/ratelimit/lua/decide.ts').catch(() => ({}));
const rlf = `redis.call('set', KEYS[1], 0, 'EX', ARGV[2], 'NX') local consumed = redis.call('incrby', KEYS[1], ARGV[1]) local ttl = redis.call('pttl', KEYS[1]) if ttl == -1 then redis.call('expire', KEYS[1], ARGV[2]) ttl = 1000 * ARGV[2] end return {consumed, ttl}`;
await cost('rlf', rlf, ['rlf:__rand_int__'], [1, 60]);
await cost('empty script', 'return 1', ['e:__rand_int__'], [1, 60]);
await cost('TIME only', "local t = redis.call('TIME') return 1", ['e:__rand_int__'], [1, 60]);
await cost('HGET+HINCRBY', "local c = redis.call('HGET', KEYS[1], 'f') redis.call('HINCRBY', KEYS[1], 'f', 1) return 1", ['h:__rand_int__'], []);
await cost('GET+INCRBY', "local c = redis.call('GET', KEYS[1]) redis.call('INCRBY', KEYS[1], 1) return 1", ['g:__rand_int__'], []);
if (decideScript) {
  await cost('ours decide fw x1', decideScript.source, ['bp:rl:{api:__rand_int__}:api:__rand_int__:fw'], ['', 1, 'c', 1, 1, 'fw', 1000000, 60000, 0, 0, 0]);
}
await done();
