/**
 * Options of `createRateLimiter` and `createConcurrencyLimiter`: one `defineOptions` table each, plus the
 * policy compilation (exactly one of `algorithm` / `policies`, unique names) that a table cannot express.
 */
import { InvalidOptionError } from '../core/errors.js';
import { defineOptions, opt, optionError } from '../core/options.js';
import { type Algorithm, isAlgorithm, MAX_LIMIT } from './algorithms.js';
import { checkShare, DEFAULT_INSURANCE_SHARE } from './insurance.js';
import type { NormalizedPolicy } from './keys.js';
import type { RateLimitStore } from './store.js';
import type { RateLimiter, StoreErrorPolicy } from './types.js';

/** Longest penalty block: 366 days. */
const MAX_BLOCK_MS = 366 * 86_400_000;
/** Longest lease: one day. */
export const MAX_LEASE_MS = 86_400_000;

function checkAlgorithm(value: unknown, path: string, owner: string): Algorithm {
  if (!isAlgorithm(value)) throw optionError(owner, path, 'made by fixedWindow(), tokenBucket(), ...');
  return value;
}

function storeErrorPolicy(value: unknown, path: string, owner: string): StoreErrorPolicy {
  if (value === 'insurance' || value === 'fail-open' || value === 'fail-closed') return value;
  if (typeof value === 'object' && value !== null && 'fallback' in value) {
    const fallback = (value as { fallback: unknown }).fallback as RateLimiter | undefined;
    if (fallback && typeof fallback.limit === 'function' && typeof fallback.peek === 'function')
      return { fallback };
  }
  throw optionError(owner, path, "'insurance', 'fail-open', 'fail-closed' or { fallback: RateLimiter }");
}

/** Store calls the limiters make; a store missing one is refused at construction. */
const storeCalls = (methods: readonly string[]) => opt.port<RateLimitStore>(methods);

/** `insurance: { share }`; absent when not given, so giving it without `onStoreError: 'insurance'` is caught. */
const insuranceOption = opt.shape({
  share: opt.custom(checkShare, { default: DEFAULT_INSURANCE_SHARE }),
});

/** The insurance share of parsed options: refuses `insurance` given to a limiter that would not use it. */
export function insuranceShare(
  owner: string,
  o: { readonly onStoreError: unknown; readonly insurance: { readonly share: number } | undefined },
): number {
  if (o.insurance !== undefined && o.onStoreError !== 'insurance') {
    throw new InvalidOptionError(`${owner}: \`insurance\` applies only with \`onStoreError: 'insurance'\``);
  }
  return o.insurance?.share ?? DEFAULT_INSURANCE_SHARE;
}

const guardOptions = {
  clock: opt.clock(),
  metrics: opt.metrics(),
  storeTimeoutMs: opt.duration({ default: 50, min: 1, max: 60_000 }),
  storeRetryAfterMs: opt.duration({ default: 1000, min: 0, max: 3_600_000 }),
  maxKeyLength: opt.integer({ default: 256, min: 1, max: 65_536 }),
};

/** The `createRateLimiter` table. */
export const parseRateLimiterOptions = defineOptions('createRateLimiter', {
  name: opt.name({ required: true, maxLength: 64 }),
  algorithm: opt.custom(checkAlgorithm),
  policies: opt.list(
    opt.shape(
      {
        name: opt.name({ required: true, maxLength: 64 }),
        algorithm: opt.custom(checkAlgorithm, { required: true }),
        by: opt.name({ default: 'key', maxLength: 64 }),
        blockDurationMs: opt.integer({ default: 0, min: 0, max: MAX_BLOCK_MS }),
      },
      { required: true },
    ),
    { minItems: 1, maxItems: 16 },
  ),
  store: storeCalls(['decide', 'reset']),
  onStoreError: opt.custom(storeErrorPolicy, { default: 'insurance' }),
  insurance: insuranceOption,
  mode: opt.oneOf(['enforce', 'shadow'], { default: 'enforce' }),
  localBlockCacheSize: opt.integer({ default: 10_000, min: 0 }),
  ...guardOptions,
});

/** The parsed options of `createRateLimiter`. */
export type ParsedRateLimiterOptions = ReturnType<typeof parseRateLimiterOptions>;

/** The limiter's policies: the given list, or one policy named after the limiter. */
export function compilePolicies(options: ParsedRateLimiterOptions): NormalizedPolicy[] {
  if ((options.algorithm === undefined) === (options.policies === undefined)) {
    throw new InvalidOptionError('createRateLimiter: give exactly one of `algorithm` or `policies`');
  }
  const given = options.policies ?? [
    { name: options.name, algorithm: options.algorithm as Algorithm, by: 'key', blockDurationMs: 0 },
  ];
  const names = new Set<string>();
  for (const p of given) {
    if (names.has(p.name))
      throw new InvalidOptionError(`createRateLimiter: duplicate policy name \`${p.name}\``);
    names.add(p.name);
  }
  return given.map((p) => ({ ...p }));
}

/** The `createConcurrencyLimiter` table. */
export const parseConcurrencyLimiterOptions = defineOptions('createConcurrencyLimiter', {
  name: opt.name({ required: true, maxLength: 64 }),
  limit: opt.integer({ required: true, min: 1, max: MAX_LIMIT }),
  leaseMs: opt.duration({ required: true, min: 1, max: MAX_LEASE_MS }),
  store: storeCalls(['acquireLease', 'releaseLease', 'extendLease']),
  onStoreError: opt.oneOf(['insurance', 'fail-open', 'fail-closed'], { default: 'insurance' }),
  insurance: insuranceOption,
  ...guardOptions,
});
