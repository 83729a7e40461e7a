/**
 * The policy's side of the metrics: {@link PolicyInstruments} on top of the module's instruments
 * (instruments.ts), with the `policy` label filled in and the size bucketed.
 */
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import { isUploadRejected } from './errors.js';
import { sizeBucket, uploadInstruments } from './instruments.js';
import type { CallOp, PolicyInstruments, UploadMode } from './policy-context.js';

/** Builds the instruments of the policy named `policy`. */
export function policyInstruments(metrics: Metrics, policy: string, clock: Clock): PolicyInstruments {
  const base = uploadInstruments(metrics);
  const cleanup = metrics.counter('uploads.cleanup_failures', {
    description: 'cleanup steps that failed after a refusal (left for the sweeper)',
    unit: '{step}',
    labelNames: ['policy', 'mode', 'step'],
  });
  const thumbnails = metrics.counter('uploads.thumbnail_failures', {
    description: 'thumbnails not made for a stored file (the file is kept without them)',
    unit: '{file}',
    labelNames: ['policy', 'reason'],
  });
  const callFailures = metrics.counter('uploads.call_failures', {
    description: 'calls refused while their upload goes on (retryable, lost races, unknown ids)',
    unit: '{call}',
    labelNames: ['policy', 'op', 'reason'],
  });
  const duration = (mode: UploadMode, outcome: string, startedAtMs: number | undefined) => {
    if (startedAtMs === undefined) return;
    base.duration.record(Math.max(0, clock.now() - startedAtMs) / 1000, { policy, mode, outcome });
  };
  return Object.freeze({
    attempt(mode: UploadMode, declaredBytes: number | undefined) {
      base.attempts.add(1, { policy, mode, size_bucket: sizeBucket(declaredBytes) });
    },
    failure(
      mode: UploadMode,
      sizeBytes: number | undefined,
      reason: string,
      error?: unknown,
      startedAtMs?: number,
    ) {
      base.failures.add(1, { policy, mode, size_bucket: sizeBucket(sizeBytes), reason });
      duration(mode, isUploadRejected(error) ? 'rejected' : 'failed', startedAtMs);
    },
    success(mode: UploadMode, sizeBytes: number, startedAtMs?: number) {
      base.bytes.add(sizeBytes, { policy, mode });
      duration(mode, 'stored', startedAtMs);
    },
    cleanupFailure(mode: UploadMode, step: 'delete' | 'abort' | 'release') {
      cleanup.add(1, { policy, mode, step });
    },
    callFailure(op: CallOp, reason: string) {
      callFailures.add(1, { policy, op, reason });
    },
    thumbnailFailure(reason: string) {
      thumbnails.add(1, { policy, reason });
    },
  });
}
