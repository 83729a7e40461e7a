/**
 * The RateLimiter's error codes. The module raises only core errors: `InvalidOptionError` at
 * construction, `InvalidArgumentError` at a call (bad key or cost, or a `clientKey` input that is not an
 * IP address), and `StoreError` / `TimeoutError` from a failing store, which the limiter turns into its
 * `onStoreError` decision (only `reset` and the lease methods throw them). A denial is a result, never an
 * error, so the module has no code of its own.
 */

/** The module's own codes: none (see above). The docs check reads this list. */
export const RATELIMIT_ERROR_CODES = [] as const;

/** The module's own error codes: `never`, since it raises only core codes (`CoreErrorCode`). */
export type RateLimitErrorCode = (typeof RATELIMIT_ERROR_CODES)[number];
