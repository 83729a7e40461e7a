/**
 * The resolved policy: every option validated once by `createUploadPolicy` (policy-options.ts) and handed,
 * frozen, to the pieces that do the work (admit, promote, direct uploads, the proxy pipeline, the sweeper).
 * Nothing downstream re-validates options or reads `Date.now()`: time comes from `clock`, randomness from
 * `random`, and every measurement goes through `instruments`.
 */
import type { Clock } from '../core/clock.js';
import type { UploadFailureReason } from './errors.js';
import type { UploadMetricMode } from './instruments.js';
import type { ScanFallback, SvgHandling } from './policy-types.js';
import type {
  ObjectStore,
  QuotaStore,
  Thumbnailer,
  ThumbnailSpec,
  TypeDetector,
  VirusScanner,
} from './types.js';

/** How an upload reaches storage: the three direct modes, or streamed through the server (`proxied`). */
export type UploadMode = UploadMetricMode;

/** An allowed type, resolved: its own size limit and whether magic bytes can identify it. */
export interface ResolvedTypeRule {
  readonly mime: string;
  /** Largest upload of this type, bytes (the type's `maxBytes`, or the policy's). */
  readonly maxBytes: number;
  /** True for binary formats the detector must confirm; false for text types with their own checks. */
  readonly binary: boolean;
}

/** The quota side of the context. Always present: without `quota` it is an unlimited in-process ledger. */
export interface ResolvedQuota {
  readonly store: QuotaStore;
  /** The owner's limit, bytes (a validated finite number >= 0). */
  limitBytes(owner: string): Promise<number>;
  /** How long an unfinished upload holds its reservation, ms. */
  readonly reservationTtlMs: number;
  /** False when the policy made its own unlimited in-process store (no `quota` option). */
  readonly configured: boolean;
}

/** Scanning, resolved (fallbacks defaulted to `reject`). */
export interface ResolvedScan {
  readonly scanner: VirusScanner;
  readonly onUnavailable: ScanFallback;
  readonly onTooLarge: ScanFallback;
}

/** Thumbnails, resolved. */
export interface ResolvedThumbnails {
  readonly thumbnailer: Thumbnailer;
  readonly sizes: readonly ThumbnailSpec[];
  readonly maxSourceBytes: number;
}

/** Serving, resolved. */
export interface ResolvedServing {
  /** Without a trailing slash. */
  readonly cdnBaseUrl: string | undefined;
  readonly cloudFront: { sign(url: string, expiresAtMs: number): string } | undefined;
  readonly signedUrlTtlS: number;
}

/**
 * What the policy measures. `uploads.attempts{mode}` on every call, `uploads.failures{mode, size_bucket,
 * reason}` on every refusal or failure, bytes stored on success.
 */
/** The policy call a `uploads.call_failures` sample is about (a bounded label). */
export type CallOp = 'finalize' | 'presign_parts' | 'complete' | 'abort';

export interface PolicyInstruments {
  /** Counts one upload started, bucketed by its declared size (`unknown` when none was declared). */
  attempt(mode: UploadMode, declaredBytes: number | undefined): void;
  /**
   * `sizeBytes` is the best size known (declared, or counted so far); undefined buckets as `unknown`.
   * `reason` is an {@link UploadFailureReason} or one of `store`, `invalid`, `timeout`, `error`.
   */
  failure(
    mode: UploadMode,
    sizeBytes: number | undefined,
    reason: UploadFailureReason | string,
    error?: unknown,
    startedAtMs?: number,
  ): void;
  /** A file reached the final prefix (`startedAtMs`, when known, times `uploads.duration`). */
  success(mode: UploadMode, sizeBytes: number, startedAtMs?: number): void;
  /** A cleanup step failed after an error (the original error is still what the caller sees). */
  cleanupFailure(mode: UploadMode, step: 'delete' | 'abort' | 'release'): void;
  /** A thumbnail could not be made; the file stays, with fewer thumbnails. */
  thumbnailFailure(reason: string): void;
  /**
   * `uploads.call_failures{policy, op, reason}`: a call refused while its upload goes on (finalize before
   * the bytes arrived, a bad part list, a lost race, an unknown id). Kept out of `uploads.failures`, which
   * counts each upload's end once, so failures / attempts stays a rate.
   */
  callFailure(op: CallOp, reason: string): void;
}

/** The resolved, validated policy every part of the module works from. */
export interface PolicyContext {
  /** The `policy` label of metrics. */
  readonly name: string;
  readonly storage: ObjectStore;
  /** Allowed types by lower-case MIME type. */
  readonly types: ReadonlyMap<string, ResolvedTypeRule>;
  /** The policy-wide size limit, bytes (every type's limit is at most this or its own). */
  readonly maxBytes: number;
  readonly detector: TypeDetector | undefined;
  readonly svg: SvgHandling;
  readonly quota: ResolvedQuota;
  readonly scan: ResolvedScan | undefined;
  readonly thumbnails: ResolvedThumbnails | undefined;
  readonly serving: ResolvedServing;
  /** Both end with `/`; neither lies inside the other. */
  readonly prefixes: { readonly quarantine: string; readonly final: string };
  readonly presignTtlS: number;
  readonly multipartThresholdBytes: number;
  readonly partSizeBytes: number;
  readonly idleTimeoutMs: number;
  readonly totalTimeoutMs: number;
  /** Reservation lifetime of a direct multipart upload, ms (>= the quota's reservation TTL). */
  readonly multipartTtlMs: number;
  /** Leading bytes read for sniffing: max(detector.sampleBytes, 4096). */
  readonly sniffBytes: number;
  readonly instruments: PolicyInstruments;
  readonly clock: Clock;
  readonly random: (bytes: number) => Uint8Array;
}
