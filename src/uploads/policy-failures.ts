/**
 * Failure counting: every error a policy call throws is counted once in `uploads.failures`, by whichever
 * layer sees it first (admit, rejectAndClean, or the policy method's own wrapper), never twice.
 */
import { isBackendPatternsError } from '../core/errors.js';
import { isUploadRejected } from './errors.js';
import type { CallOp, PolicyContext, UploadMode } from './policy-context.js';

const counted = new WeakSet<object>();

/** The `reason` label of an error: the upload reason, `store`, `invalid` or `error`. */
export function reasonOf(error: unknown): string {
  if (isUploadRejected(error)) return error.reason;
  if (isBackendPatternsError(error, 'ERR_STORE')) return 'store';
  if (isBackendPatternsError(error, 'ERR_INVALID_ARGUMENT')) return 'invalid';
  if (isBackendPatternsError(error, 'ERR_TIMEOUT')) return 'timeout';
  return 'error';
}

/**
 * The `size_bucket` basis of both counters: the size the client declared, `undefined` (bucket `unknown`)
 * when it declared none or something that is not a size. One basis for attempts and failures is what
 * makes failures / attempts per bucket a rate; actual sizes go to `uploads.bytes`.
 */
export function declaredSize(sizeBytes: unknown): number | undefined {
  return typeof sizeBytes === 'number' && Number.isSafeInteger(sizeBytes) && sizeBytes >= 0
    ? sizeBytes
    : undefined;
}

/**
 * Counts `error` in `uploads.failures` unless it was counted already; returns it for `throw`.
 * `declaredBytes` is the upload's declared size ({@link declaredSize}), never the bytes received.
 */
export function markCounted(
  ctx: PolicyContext,
  mode: UploadMode,
  declaredBytes: number | undefined,
  error: unknown,
  startedAtMs?: number,
): unknown {
  if (typeof error === 'object' && error !== null) {
    if (counted.has(error)) return error;
    counted.add(error);
  }
  ctx.instruments.failure(mode, declaredBytes, reasonOf(error), error, startedAtMs);
  return error;
}

/**
 * Counts a refused call whose upload goes on (its reservation kept: the client may retry, or another
 * call already finished it) in `uploads.call_failures{op, reason}`, never in `uploads.failures`; marks
 * the error counted so no outer layer counts it again. Returns it for `throw`.
 */
export function markCallFailure(ctx: PolicyContext, op: CallOp, error: unknown): unknown {
  if (typeof error === 'object' && error !== null) {
    if (counted.has(error)) return error;
    counted.add(error);
  }
  ctx.instruments.callFailure(op, reasonOf(error));
  return error;
}
