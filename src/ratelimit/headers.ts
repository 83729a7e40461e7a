/**
 * HTTP response fields for a limit result, framework-agnostic: set them on any response object.
 * Format: draft-ietf-httpapi-ratelimit-headers (RateLimit-Policy / RateLimit as structured-field lists).
 */
import type { LimitResult } from './types.js';

/** Options of {@link rateLimitHeaders}. */
export interface RateLimitHeaderOptions {
  /** Also emit `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds). */
  readonly legacy?: boolean;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * Header fields for `result`: `RateLimit-Policy` and `RateLimit` (one list item per policy), `Retry-After`
 * on denial, and optionally the legacy `X-RateLimit-*` trio. A `store-error` result has no quota fields.
 *
 * @example
 * ```ts
 * for (const [field, value] of Object.entries(rateLimitHeaders(result))) res.setHeader(field, value);
 * ```
 */
export function rateLimitHeaders(
  result: LimitResult,
  options: RateLimitHeaderOptions = {},
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (result.policies.length > 0) {
    // Policy names are restricted to [A-Za-z0-9._-], so they need no escaping inside sf-strings.
    headers['RateLimit-Policy'] = result.policies
      .map((p) => `"${p.policy}";q=${p.limit};w=${Math.max(1, seconds(p.windowMs))}`)
      .join(', ');
    headers.RateLimit = result.policies
      .map((p) => `"${p.policy}";r=${Math.max(0, p.remaining)};t=${seconds(p.resetAfterMs)}`)
      .join(', ');
    if (options.legacy) {
      headers['X-RateLimit-Limit'] = String(result.limit);
      headers['X-RateLimit-Remaining'] = String(Math.max(0, result.remaining));
      headers['X-RateLimit-Reset'] = String(Math.ceil(result.resetAtMs / 1000));
    }
  }
  if (!result.allowed) headers['Retry-After'] = String(Math.max(1, seconds(result.retryAfterMs)));
  return headers;
}
