/**
 * Result building: a store's answer becomes a `LimitResult` (one `PolicyResult` per policy and the
 * deciding policy's figures on top), and a store failure becomes the `store-error` result of
 * fail-open / fail-closed. A malformed answer throws a `StoreError`, which the limiter treats as a store
 * failure.
 */
import { StoreError } from '../core/errors.js';
import type { ResolvedKey } from './keys.js';
import type { DecideResponse, PolicyCheck, PolicyDecision } from './store.js';
import type { LimitResult, PolicyResult } from './types.js';

function policyResult(check: PolicyCheck, d: PolicyDecision, nowMs: number): PolicyResult {
  return {
    policy: check.policy,
    allowed: d.allowed,
    limit: check.algorithm.quota,
    remaining: d.remaining,
    resetAtMs: nowMs + d.resetAfterMs,
    resetAfterMs: d.resetAfterMs,
    retryAfterMs: d.retryAfterMs,
    windowMs: check.algorithm.windowMs,
    blocked: d.blocked,
  };
}

/**
 * Whether `r` becomes the deciding policy: among denying policies the one with the longest wait, and
 * while all pass so far, the one with least left.
 */
function takesOver(r: PolicyResult, deciding: PolicyResult | undefined, allowedSoFar: boolean): boolean {
  if (!r.allowed) return allowedSoFar || (deciding !== undefined && r.retryAfterMs > deciding.retryAfterMs);
  return allowedSoFar && (deciding === undefined || r.remaining < deciding.remaining);
}

/** The result of a store's answer to the checks of `resolved`. */
export function toResult(resolved: ResolvedKey, response: DecideResponse): LimitResult {
  const checks = resolved.checks;
  // Sized up front: an empty literal grows to 17 slots on its first push, for usually one policy.
  const results = new Array<PolicyResult>(checks.length);
  let allowed = true;
  let delayMs = 0;
  let deciding: PolicyResult | undefined;
  for (let i = 0; i < checks.length; i++) {
    const d = response.decisions[i];
    if (!d) throw new StoreError('store answered fewer decisions than asked');
    const r = policyResult(checks[i] as PolicyCheck, d, response.nowMs);
    results[i] = r;
    if (d.delayMs > delayMs) delayMs = d.delayMs;
    if (takesOver(r, deciding, allowed)) deciding = r;
    if (!r.allowed) allowed = false;
  }
  if (!deciding) throw new StoreError('store answered no decisions');
  return {
    allowed,
    limit: deciding.limit,
    remaining: deciding.remaining,
    resetAtMs: deciding.resetAtMs,
    retryAfterMs: allowed ? 0 : deciding.retryAfterMs,
    delayMs: allowed ? delayMs : 0,
    policy: deciding.policy,
    policies: results,
    reason: allowed ? 'ok' : deciding.blocked ? 'blocked' : 'limit',
    shadowDenied: false,
    degraded: false,
  };
}

/** What fail-open (`allowed`) or fail-closed reports, in the first policy's name, at `nowMs`. */
export function degradedResult(
  allowed: boolean,
  first: { readonly name: string; readonly quota: number },
  nowMs: number,
  retryAfterMs: number,
): LimitResult {
  return {
    allowed,
    limit: first.quota,
    remaining: 0,
    resetAtMs: nowMs + retryAfterMs,
    retryAfterMs: allowed ? 0 : Math.max(1, retryAfterMs),
    delayMs: 0,
    policy: first.name,
    policies: [],
    reason: 'store-error',
    shadowDenied: false,
    degraded: true,
  };
}
