/**
 * Job hashes as the Redis backend stores them (short field names: `t` type, `d` payload, `s` state, ...)
 * turned back into records. The replies were shape-checked by the decoders in lua/replies.ts; this file
 * gives the fields their meaning. Hot path (once per claimed job): no spreads.
 */
import { DEFAULT_BACKOFF } from './backoff.js';
import type { ClaimReply } from './lua/replies.js';
import type {
  AttemptRecord,
  ClaimedJob,
  ClaimResult,
  JobError,
  JobRecord,
  JobState,
  StoredBackoff,
} from './types.js';

const STATES: readonly JobState[] = ['delayed', 'ready', 'active', 'completed', 'dead'];

const parseJson = <T>(raw: string | undefined, fallback: T): T => {
  if (raw === undefined || raw === '') return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return fallback;
  }
};

const toNumber = (raw: string | undefined, fallback: number) => {
  const n = Number(raw);
  return raw !== undefined && Number.isFinite(n) ? n : fallback;
};

const NO_HISTORY: readonly AttemptRecord[] = Object.freeze([]);
/** Jobs mostly share a handful of backoff settings: each distinct JSON is parsed once. */
const backoffCache = new Map<string, StoredBackoff>();
const BACKOFF_CACHE_LIMIT = 1000;

const parseBackoff = (raw: string | undefined): StoredBackoff => {
  if (raw === undefined) return DEFAULT_BACKOFF;
  let parsed = backoffCache.get(raw);
  if (!parsed) {
    parsed = parseJson<StoredBackoff>(raw, DEFAULT_BACKOFF);
    if (backoffCache.size < BACKOFF_CACHE_LIMIT) backoffCache.set(raw, parsed);
  }
  return parsed;
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function optionalFields(record: Mutable<JobRecord>, f: Record<string, string>): void {
  if (f.k) record.idempotencyKey = f.k;
  if (f.pg !== undefined) record.progressJson = f.pg;
  if (f.rv !== undefined) record.resultJson = f.rv;
  if (f.e) record.error = parseJson<JobError>(f.e, { message: 'unreadable error' });
  if (f.f) record.finishedAtMs = toNumber(f.f, 0);
}

/** A job hash as a record; undefined when the hash is gone (no fields). */
export function decodeJob(id: string, f: Record<string, string>): JobRecord | undefined {
  if (f.t === undefined && f.s === undefined) return undefined;
  const history = f.h === undefined ? NO_HISTORY : parseJson<unknown>(f.h, NO_HISTORY);
  const record: Mutable<JobRecord> = {
    id,
    type: f.t ?? '',
    payloadJson: f.d ?? 'null',
    state: STATES.includes(f.s as JobState) ? (f.s as JobState) : 'ready',
    priority: toNumber(f.p, 0),
    attempts: toNumber(f.a, 1),
    attemptsMade: toNumber(f.m, 0),
    delivery: f.dl === 'o' ? 'at-most-once' : 'at-least-once',
    timeoutMs: toNumber(f.to, 0),
    backoff: parseBackoff(f.b),
    createdAtMs: toNumber(f.c, 0),
    readyAtMs: toNumber(f.r, 0),
    history: Array.isArray(history) ? (history as AttemptRecord[]) : NO_HISTORY,
  };
  optionalFields(record, f);
  return record;
}

/** A decoded claim reply as a ClaimResult. */
export function toClaimResult(reply: ClaimReply): ClaimResult {
  const jobs: ClaimedJob[] = [];
  for (const [id, token, startedAtMs, fields] of reply.rest) {
    const record = decodeJob(id, fields) as Mutable<ClaimedJob> | undefined;
    if (!record) continue;
    record.state = 'active';
    record.token = token;
    record.startedAtMs = startedAtMs;
    jobs.push(record);
  }
  const [nextWakeMs, stalledRetried, stalledDead, paused] = reply.head;
  return { jobs, nextWakeMs: nextWakeMs < 0 ? null : nextWakeMs, stalledRetried, stalledDead, paused };
}
