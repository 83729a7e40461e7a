/**
 * RateLimiter (`backend-patterns/ratelimit`): protects APIs from abuse and overload. Algorithms are values
 * (fixed window, sliding log, sliding counter, token bucket, GCRA, leaky bucket) plus a concurrency
 * limiter; several policies (per user and global) are decided atomically; the memory store is the default
 * and `backend-patterns/ratelimit/redis` shares state across processes. A denial is a result, never a
 * throw; a failing store is handled by `onStoreError` and counted, never reported as a limit.
 *
 * Every type in the `RateLimitStore` port's signature is exported here, so an adapter can be written
 * without reaching into internals (check it with `rateLimitStoreContract` from backend-patterns/testing).
 */
export {
  type Algorithm,
  type BucketAlgorithm,
  type EngineKind,
  fixedWindow,
  type GcraOptions,
  gcra,
  type LeakyBucketOptions,
  leakyBucket,
  slidingWindowCounter,
  slidingWindowLog,
  type TokenBucketOptions,
  tokenBucket,
  type WindowAlgorithm,
  type WindowOptions,
} from './algorithms.js';
export { type ClientKeyFunction, type ClientKeyOptions, clientKey, createClientKey } from './client-key.js';
export {
  type AcquireResult,
  type ConcurrencyLimiter,
  type ConcurrencyLimiterOptions,
  createConcurrencyLimiter,
  type Lease,
} from './concurrency.js';
export { RATELIMIT_ERROR_CODES, type RateLimitErrorCode } from './errors.js';
export { type RateLimitHeaderOptions, rateLimitHeaders } from './headers.js';
export { createRateLimiter } from './limiter.js';
export {
  createMemoryRateLimitStore,
  type MemoryRateLimitStore,
  type MemoryRateLimitStoreOptions,
} from './memory.js';
export {
  createRequestKey,
  type RequestHeaders,
  type RequestKeyFunction,
  type RequestKeyOptions,
} from './request-key.js';
export type {
  DecideRequest,
  DecideResponse,
  LeaseHandle,
  LeaseRequest,
  LeaseResponse,
  PolicyCheck,
  PolicyDecision,
  RateLimitStore,
  ResetRequest,
} from './store.js';
export type {
  InsuranceOptions,
  LimitKey,
  LimitOptions,
  LimitReason,
  LimitResult,
  PolicyOptions,
  PolicyResult,
  RateLimiter,
  RateLimiterOptions,
  StoreErrorPolicy,
} from './types.js';
