/**
 * Scripts that end or extend an attempt: settle (complete a batch, then claim), fail, release, renew and
 * progress. Each is fenced by the claim's token and an unexpired lease.
 */
import { reply } from '../../core/redis/reply.js';
import { defineScript, SERVER_TIME } from '../../core/redis/script.js';
import { CLAIM_CHUNKS, CLAIM_RETURNS, QUEUE_KEYS } from './claim.js';
import { failReply, settleReply } from './replies.js';
import { HISTORY, LEASE, READY, WAKE } from './shared.js';

const NOW = "now: epoch ms, or REDIS_TIME ('')";

/**
 * Completes a batch of attempts (each fenced by its token and unexpired lease, each applied or not on
 * its own), then optionally claims the next jobs for the same worker: one round trip per batch
 * instead of one per job and state change.
 */
export const settleScript = defineScript({
  name: 'jobs-settle',
  summary: 'completes a batch of attempts, each fenced on its own, then claims the next jobs',
  keys: { variadic: `${QUEUE_KEYS.join('; ')}; then the job hash of each completion` },
  args: {
    variadic:
      'now; completions n; keepCompletedMs (0 deletes the job); jobs to claim afterwards (0 none); ' +
      'leaseMs; token prefix; job key prefix; then per completion: id, token, result JSON, charged retries',
  },
  returns: `{{1 applied | 0 lease lost, per completion}, claim reply ${CLAIM_RETURNS} or 0}`,
  uses: [...CLAIM_CHUNKS, LEASE],
  body: `
local now = now_ms(ARGV[1])
local n, keepMs = tonumber(ARGV[2]), tonumber(ARGV[3])
local applied = {}
for i = 1, n do
  local b = 7 + 4 * (i - 1)
  local id, token, jobKey = ARGV[b + 1], ARGV[b + 2], KEYS[7 + i]
  if holds_lease(jobKey, KEYS[4], id, token, now) then
    redis.call('ZREM', KEYS[4], id)
    if keepMs <= 0 then
      redis.call('DEL', jobKey)
    else
      redis.call('HSET', jobKey, 's', 'completed', 'rv', ARGV[b + 3], 'f', now, 'tk', '')
      if tonumber(ARGV[b + 4]) > 0 then redis.call('HINCRBY', jobKey, 'm', ARGV[b + 4]) end
      redis.call('PEXPIRE', jobKey, keepMs)
    end
    applied[i] = 1
  else
    applied[i] = 0
  end
end
local claimed = 0
if tonumber(ARGV[4]) > 0 then
  claimed = claim_jobs(queue_keys(), now, tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7])
end
return { applied, claimed }
`,
  reply: settleReply,
});

/** Records a failed attempt: retry after a delay (budget permitting) or dead-letter. */
export const failScript = defineScript({
  name: 'jobs-fail',
  summary: 'records a failed attempt: retried after a delay while budget is left, else dead-lettered',
  keys: [
    'job: the job hash',
    'active: leased jobs by lease deadline',
    'ready: ready zset',
    'age: prioritised ready jobs by ready time',
    'delayed: delayed zset',
    'dead: dead zset',
    'wake: the wake list',
  ],
  args: [
    NOW,
    'id: the job id',
    'token: the claim token',
    'error: the error as JSON',
    'retryDelayMs: delay before the retry, or -1 to dead-letter',
    'charged: in-process retries to charge',
  ],
  returns: '0 lease lost (nothing changed), 1 retried, 2 dead',
  uses: [SERVER_TIME, LEASE, HISTORY, READY, WAKE],
  body: `
local now = now_ms(ARGV[1])
local id = ARGV[2]
if not holds_lease(KEYS[1], KEYS[2], id, ARGV[3], now) then return 0 end
redis.call('ZREM', KEYS[2], id)
local made = redis.call('HINCRBY', KEYS[1], 'm', ARGV[6])
local f = redis.call('HMGET', KEYS[1], 'a', 'st', 'p')
local h = with_history(KEYS[1], made, tonumber(f[2]) or now, now, cjson.decode(ARGV[4]))
redis.call('HSET', KEYS[1], 'e', ARGV[4], 'h', h, 'tk', '')
local delay = tonumber(ARGV[5])
if delay < 0 or made >= (tonumber(f[1]) or 1) then
  redis.call('HSET', KEYS[1], 's', 'dead', 'f', now)
  redis.call('ZADD', KEYS[6], now, id)
  return 2
end
if delay > 0 then
  redis.call('HSET', KEYS[1], 's', 'delayed', 'r', now + delay)
  redis.call('ZADD', KEYS[5], now + delay, id)
else
  make_ready(KEYS[3], KEYS[4], KEYS[1], id, tonumber(f[3]) or 0, now)
end
wake(KEYS[7])
return 1
`,
  reply: failReply,
});

/** Puts a leased job back at the front of the queue without charging the attempt (graceful shutdown). */
export const releaseScript = defineScript({
  name: 'jobs-release',
  summary: 'puts a leased job back in the ready queue without charging the attempt',
  keys: [
    'job: the job hash',
    'active: leased jobs by lease deadline',
    'ready: ready zset',
    'age: prioritised ready jobs by ready time',
    'wake: the wake list',
  ],
  args: [NOW, 'id: the job id', 'token: the claim token'],
  returns: '1 released, 0 lease lost',
  uses: [SERVER_TIME, LEASE, READY, WAKE],
  body: `
local now = now_ms(ARGV[1])
local id = ARGV[2]
if not holds_lease(KEYS[1], KEYS[2], id, ARGV[3], now) then return 0 end
redis.call('ZREM', KEYS[2], id)
local made = redis.call('HINCRBY', KEYS[1], 'm', -1)
if made < 0 then redis.call('HSET', KEYS[1], 'm', 0) end
local f = redis.call('HMGET', KEYS[1], 'p', 'r')
make_ready(KEYS[3], KEYS[4], KEYS[1], id, tonumber(f[1]) or 0, tonumber(f[2]) or now)
wake(KEYS[5])
return 1
`,
  reply: reply.flag,
});

/** Extends the leases this worker still holds. */
export const renewScript = defineScript({
  name: 'jobs-renew',
  summary: 'extends each lease still held by its token',
  keys: { variadic: 'active: leased jobs by lease deadline; then the job hash of each lease' },
  args: { variadic: 'now; leaseMs; count n; then per lease: id, token' },
  returns: '{1 renewed | 0 lost, per lease}',
  uses: [SERVER_TIME, LEASE],
  body: `
local now = now_ms(ARGV[1])
local leaseMs = tonumber(ARGV[2])
local out = {}
for i = 1, tonumber(ARGV[3]) do
  local id, token = ARGV[3 + 2 * i - 1], ARGV[3 + 2 * i]
  if holds_lease(KEYS[1 + i], KEYS[1], id, token, now) then
    redis.call('ZADD', KEYS[1], now + leaseMs, id)
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
`,
  reply: reply.array(reply.flag),
});

/** Stores progress, fenced like a result. */
export const progressScript = defineScript({
  name: 'jobs-progress',
  summary: "stores a job's progress while its lease is held",
  keys: ['job: the job hash', 'active: leased jobs by lease deadline'],
  args: [NOW, 'id: the job id', 'token: the claim token', 'progress: the progress JSON'],
  returns: '1 stored, 0 lease lost',
  uses: [SERVER_TIME, LEASE],
  body: `
local now = now_ms(ARGV[1])
if not holds_lease(KEYS[1], KEYS[2], ARGV[2], ARGV[3], now) then return 0 end
redis.call('HSET', KEYS[1], 'pg', ARGV[4])
return 1
`,
  reply: reply.flag,
});
