/**
 * HTTP response fields for a limit result, framework-agnostic: set them on any response object.
 * Format: draft-ietf-httpapi-ratelimit-headers (RateLimit-Policy / RateLimit as structured-field lists).
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { LimitResult, PolicyResult } from './types.js';

/** Options of {@link rateLimitHeaders}. */
export interface RateLimitHeaderOptions {
  /** Also emit `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds). */
  readonly legacy?: boolean;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;
const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/** Policy names reach the header unescaped, so only what the limiter itself allows passes. */
const POLICY_NAME = /^[A-Za-z0-9._-]+$/;

const isPolicyResult = (p: unknown): p is PolicyResult =>
  isObject(p) &&
  typeof p.policy === 'string' &&
  POLICY_NAME.test(p.policy) &&
  ['limit', 'remaining', 'resetAfterMs', 'windowMs'].every((field) => isFiniteNumber(p[field]));

/**
 * Refuses what is not a `LimitResult` with a typed error instead of a TypeError deep inside, or worse,
 * headers reading `NaN` (a proxy may treat a malformed `Retry-After` as "retry now").
 */
function checkResult(result: unknown): asserts result is LimitResult {
  const fail = (what: string) => {
    throw new InvalidArgumentError(`rateLimitHeaders: \`result\` must be a LimitResult (${what})`);
  };
  if (!isObject(result)) return fail('got a non-object');
  if (typeof result.allowed !== 'boolean') fail('`allowed` must be a boolean');
  if (!Array.isArray(result.policies) || !result.policies.every(isPolicyResult))
    fail('`policies` must be an array of policy results');
  if (!result.allowed && !isFiniteNumber(result.retryAfterMs)) fail('`retryAfterMs` must be a finite number');
}

function checkOptions(options: unknown): RateLimitHeaderOptions {
  if (options === undefined) return {};
  if (!isObject(options) || Object.keys(options).some((k) => k !== 'legacy'))
    throw new InvalidArgumentError('rateLimitHeaders: `options` must be { legacy?: boolean }');
  if (options.legacy !== undefined && typeof options.legacy !== 'boolean')
    throw new InvalidArgumentError('rateLimitHeaders: `options.legacy` must be a boolean');
  return options;
}

/**
 * Header fields for `result`: `RateLimit-Policy` and `RateLimit` (one list item per policy), `Retry-After`
 * on denial, and optionally the legacy `X-RateLimit-*` trio. A `store-error` result has no quota fields.
 * Anything but a `LimitResult` (or options but `{ legacy?: boolean }`) is an `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * for (const [field, value] of Object.entries(rateLimitHeaders(result))) res.setHeader(field, value);
 * ```
 */
export function rateLimitHeaders(
  result: LimitResult,
  options?: RateLimitHeaderOptions,
): Record<string, string> {
  checkResult(result);
  const { legacy } = checkOptions(options);
  const headers: Record<string, string> = {};
  if (result.policies.length > 0) {
    // Policy names are restricted to [A-Za-z0-9._-], so they need no escaping inside sf-strings.
    headers['RateLimit-Policy'] = result.policies
      .map((p) => `"${p.policy}";q=${p.limit};w=${Math.max(1, seconds(p.windowMs))}`)
      .join(', ');
    headers.RateLimit = result.policies
      .map((p) => `"${p.policy}";r=${Math.max(0, p.remaining)};t=${seconds(p.resetAfterMs)}`)
      .join(', ');
    if (legacy) {
      headers['X-RateLimit-Limit'] = String(result.limit);
      headers['X-RateLimit-Remaining'] = String(Math.max(0, result.remaining));
      headers['X-RateLimit-Reset'] = String(Math.ceil(result.resetAtMs / 1000));
    }
  }
  if (!result.allowed) headers['Retry-After'] = String(Math.max(1, seconds(result.retryAfterMs)));
  return headers;
}
