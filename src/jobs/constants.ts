/**
 * Values the memory backend and the Lua scripts must agree on. They live here once: memory.ts and
 * backoff.ts import them, and the scripts receive them through `defineScript({ constants })`, so the two
 * backends cannot drift apart (the differential test checks that they do not).
 */
import type { JobError } from './types.js';

/** Ready jobs score `priority * PRIORITY_FACTOR + readyAtMs` (2^42: exact in a double up to priority 1000). */
export const PRIORITY_FACTOR = 2 ** 42;
/** Attempt records kept per job (the oldest are dropped). */
export const HISTORY_LIMIT = 20;
/** Jobs recovered from expired leases per claim, so one claim stays short. */
export const STALL_BATCH = 100;
/** Delayed jobs promoted per claim. */
export const PROMOTE_BATCH = 1000;

/** Default first retry delay of an exponential backoff. */
export const BACKOFF_DELAY_MS = 1000;
/** Default cap of an exponential backoff. */
export const BACKOFF_MAX_DELAY_MS = 300_000;
/** Default share of an exponential delay that is randomised away. */
export const BACKOFF_JITTER = 0.5;

/** Name, code and message recorded when a lease expires before its attempt finished. */
export const LEASE_EXPIRED_NAME = 'LeaseExpired';
/** See {@link LEASE_EXPIRED_NAME}. */
export const LEASE_EXPIRED_CODE = 'ERR_JOB_LEASE_EXPIRED';
/** See {@link LEASE_EXPIRED_NAME}. */
export const LEASE_EXPIRED_MESSAGE =
  'the lease expired before the attempt finished (worker crashed, blocked or too slow)';

/** The error recorded when a lease expires. */
export const LEASE_EXPIRED_ERROR: JobError = Object.freeze({
  name: LEASE_EXPIRED_NAME,
  code: LEASE_EXPIRED_CODE,
  message: LEASE_EXPIRED_MESSAGE,
});

/** Name, code and message recorded on a job dead-lettered by `overflow: 'dead-letter'`. */
export const QUEUE_FULL_NAME = 'QueueFullError';
/** See {@link QUEUE_FULL_NAME}. */
export const QUEUE_FULL_CODE = 'ERR_QUEUE_FULL';
/** See {@link QUEUE_FULL_NAME}. */
export const QUEUE_FULL_MESSAGE = 'queue full';

/** The error recorded on a job dead-lettered by overflow. */
export const QUEUE_FULL_ERROR: JobError = Object.freeze({
  name: QUEUE_FULL_NAME,
  code: QUEUE_FULL_CODE,
  message: QUEUE_FULL_MESSAGE,
});
