/**
 * Failure counting: every error a policy call throws is counted once in `uploads.failures`, by whichever
 * layer sees it first (admit, rejectAndClean, or the policy method's own wrapper), never twice.
 */
import { isBackendPatternsError } from '../core/errors.js';
import { isUploadRejected } from './errors.js';
import type { PolicyContext, UploadMode } from './policy-context.js';

const counted = new WeakSet<object>();

/** The `reason` label of an error: the upload reason, `store`, `invalid` or `error`. */
export function reasonOf(error: unknown): string {
  if (isUploadRejected(error)) return error.reason;
  if (isBackendPatternsError(error, 'ERR_STORE')) return 'store';
  if (isBackendPatternsError(error, 'ERR_INVALID_ARGUMENT')) return 'invalid';
  if (isBackendPatternsError(error, 'ERR_TIMEOUT')) return 'timeout';
  return 'error';
}

/** Counts `error` in `uploads.failures` unless it was counted already; returns it for `throw`. */
export function markCounted(
  ctx: PolicyContext,
  mode: UploadMode,
  sizeBytes: number | undefined,
  error: unknown,
  startedAtMs?: number,
): unknown {
  if (typeof error === 'object' && error !== null) {
    if (counted.has(error)) return error;
    counted.add(error);
  }
  // A size refusal knows the size even when the caller did not (a declaration refused before it was kept).
  const size = sizeBytes ?? (isUploadRejected(error) ? error.details.sizeBytes : undefined);
  ctx.instruments.failure(mode, size, reasonOf(error), error, startedAtMs);
  return error;
}
