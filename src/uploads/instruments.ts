/**
 * The uploads module's metric instruments, declared once, and the size bucket of `uploads.failures`
 * (the card's metric: failure rate by file size). Every label takes a bounded set of values: `mode` is
 * one of {@link UPLOAD_MODES}, `size_bucket` one of {@link SIZE_BUCKETS}, `reason` an
 * `UploadFailureReason` (or one of the few failure names the policy adds), `outcome` one of
 * {@link UPLOAD_OUTCOMES}; a raw size or file name would explode the series count.
 */
import type { Counter, Histogram, Metrics } from '../core/metrics.js';

/** How an upload reached storage: presigned PUT, presigned POST, multipart, or through the server. */
export const UPLOAD_MODES = ['put', 'post', 'multipart', 'proxied'] as const;

/** A `mode` label value. */
export type UploadMetricMode = (typeof UPLOAD_MODES)[number];

/** How an attempt ended: stored, refused by a check (`UploadRejectedError`), or failed otherwise. */
export const UPLOAD_OUTCOMES = ['stored', 'rejected', 'failed'] as const;

/** An `outcome` label value. */
export type UploadOutcome = (typeof UPLOAD_OUTCOMES)[number];

/**
 * The `size_bucket` label values, smallest first. Lower bounds inclusive, upper exclusive:
 * `lt_1MiB` [0, 1 MiB), `1MiB_10MiB` [1, 10 MiB), `10MiB_100MiB`, `100MiB_1GiB`, `ge_1GiB`;
 * `unknown` when the size is not known yet (a proxied body without Content-Length cut early).
 */
export const SIZE_BUCKETS = [
  'unknown',
  'lt_1MiB',
  '1MiB_10MiB',
  '10MiB_100MiB',
  '100MiB_1GiB',
  'ge_1GiB',
] as const;

/** A `size_bucket` label value. */
export type SizeBucket = (typeof SIZE_BUCKETS)[number];

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** The `size_bucket` of a size in bytes; `unknown` for undefined, negative or non-finite sizes. */
export function sizeBucket(sizeBytes: number | undefined): SizeBucket {
  if (sizeBytes === undefined || !Number.isFinite(sizeBytes) || sizeBytes < 0) return 'unknown';
  if (sizeBytes < MiB) return 'lt_1MiB';
  if (sizeBytes < 10 * MiB) return '1MiB_10MiB';
  if (sizeBytes < 100 * MiB) return '10MiB_100MiB';
  if (sizeBytes < GiB) return '100MiB_1GiB';
  return 'ge_1GiB';
}

/** Bucket bounds (s) of `uploads.duration`: 50 ms (a small proxied file) to 1 h (the total deadline). */
export const UPLOAD_DURATION_BUCKETS_S: readonly number[] = [
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600,
];

/** The instruments of one upload policy. */
export interface UploadInstruments {
  /**
   * `uploads.attempts` `{policy, mode, size_bucket}`: every upload started (direct ticket or proxied body),
   * bucketed by the declared size, the same basis as `uploads.failures`, so failures / attempts per bucket
   * is the failure rate by size.
   */
  readonly attempts: Counter;
  /** `uploads.failures` `{policy, mode, size_bucket, reason}`: the card's metric, divided by attempts. */
  readonly failures: Counter;
  /** `uploads.bytes` (By) `{policy, mode}`: bytes of files that reached the final prefix. */
  readonly bytes: Counter;
  /** `uploads.duration` (s) `{policy, mode, outcome}`: start (or body start) to stored or refused. */
  readonly duration: Histogram;
}

/**
 * The instruments of the uploads module on `metrics` (internal: the policy fills the labels; the
 * public surface is the metric names and `sizeBucket`).
 */
export function uploadInstruments(metrics: Metrics): UploadInstruments {
  return {
    attempts: metrics.counter('uploads.attempts', {
      description: 'uploads started: direct tickets issued and proxied bodies accepted for reading',
      unit: '{upload}',
      labelNames: ['policy', 'mode', 'size_bucket'],
    }),
    failures: metrics.counter('uploads.failures', {
      description:
        'uploads refused or failed, by size bucket and reason (failure rate = failures / attempts)',
      unit: '{upload}',
      labelNames: ['policy', 'mode', 'size_bucket', 'reason'],
    }),
    bytes: metrics.counter('uploads.bytes', {
      description: 'bytes of files promoted to the final prefix',
      unit: 'By',
      labelNames: ['policy', 'mode'],
    }),
    duration: metrics.histogram('uploads.duration', {
      description: 'time from the start of an upload to its stored or refused outcome',
      unit: 's',
      labelNames: ['policy', 'mode', 'outcome'],
      buckets: UPLOAD_DURATION_BUCKETS_S,
    }),
  };
}
