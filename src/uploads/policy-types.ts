/**
 * The UploadPolicy: options and the interface `createUploadPolicy` returns. Direct uploads (presigned
 * PUT, POST or multipart: the bytes never pass the server) and proxied uploads (the request body streamed
 * through the checks into a multipart upload) end in the same verify-then-promote step and the same
 * {@link StoredFile}.
 */
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import type {
  ByteSource,
  ObjectStore,
  PresignedPart,
  PresignedPost,
  PresignedPut,
  QuotaStore,
  Thumbnailer,
  ThumbnailSpec,
  TypeDetector,
  UploadedPart,
  VirusScanner,
} from './types.js';

/** Per-type rule: the type is allowed, up to `maxBytes` (default: the policy's `maxBytes`). */
export interface TypeRule {
  readonly maxBytes?: number;
}

/** How SVG is handled: refused (default), or stored and always served as an attachment. */
export type SvgHandling = 'reject' | 'attachment';

/** What a verdict other than clean/infected does. `reject` refuses the upload; `accept` lets it through. */
export type ScanFallback = 'reject' | 'accept';

/** Scanning options. */
export interface ScanPolicy {
  readonly scanner: VirusScanner;
  /** Scanner did not answer (down, refused, timed out). Default `reject`. */
  readonly onUnavailable?: ScanFallback;
  /** File over the scanner's limit. Default `reject`. */
  readonly onTooLarge?: ScanFallback;
}

/** Thumbnail options: made after promotion for images the thumbnailer accepts. */
export interface ThumbnailPolicy {
  readonly thumbnailer: Thumbnailer;
  readonly sizes: readonly ThumbnailSpec[];
  /** Largest source image read into memory for thumbnails, bytes. Default 25 MiB. */
  readonly maxSourceBytes?: number;
}

/** Quota options. */
export interface QuotaPolicy {
  readonly store: QuotaStore;
  /** Bytes an owner may store: a number, or per owner. */
  readonly limitBytes: number | ((owner: string) => number | Promise<number>);
  /**
   * How long an unfinished upload holds its bytes, ms. Default: the longer of the presign expiry and the
   * proxied `totalTimeoutMs`, + 15 min (a slow proxied body must not outlive its reservation).
   */
  readonly reservationTtlMs?: number;
}

/** How served URLs are built. */
export interface ServingPolicy {
  /** Public URLs: `${cdnBaseUrl}/${key}`. */
  readonly cdnBaseUrl?: string;
  /** CloudFront signed URLs (`backend-patterns/uploads/s3`'s `createCloudFrontSigner`). */
  readonly cloudFront?: { sign(url: string, expiresAtMs: number): string };
  /** Lifetime of signed URLs, s. Default 300. */
  readonly signedUrlTtlS?: number;
}

/** Options of {@link createUploadPolicy}. */
export interface UploadPolicyOptions {
  /** Name for metrics (`policy` label). Default `uploads`. */
  readonly name?: string;
  readonly storage: ObjectStore;
  /** Allowed types by MIME type, e.g. `{ 'image/png': {}, 'application/pdf': { maxBytes: 20 * MiB } }`. */
  readonly types: Readonly<Record<string, TypeRule>>;
  /** Largest upload, bytes. Default 100 MiB. */
  readonly maxBytes?: number;
  /** Magic-byte detector for binary types; required when a binary type is allowed. */
  readonly detector?: TypeDetector;
  readonly svg?: SvgHandling;
  readonly quota?: QuotaPolicy;
  readonly scan?: ScanPolicy;
  readonly thumbnails?: ThumbnailPolicy;
  readonly serving?: ServingPolicy;
  /** Key prefixes. Defaults `quarantine/` and `files/`. */
  readonly prefixes?: { readonly quarantine?: string; readonly final?: string };
  /** Presigned URL lifetime, s. Default 900, at most 604,800 (S3's limit). */
  readonly presignTtlS?: number;
  /** Uploads at or above this size use multipart in `startDirect({ mode: 'auto' })`. Default 100 MiB. */
  readonly multipartThresholdBytes?: number;
  /** Part size for multipart, bytes. Default 8 MiB (within the store's limits). */
  readonly partSizeBytes?: number;
  /** Proxied uploads: no byte for this long cuts the body, ms. Default 30,000. */
  readonly idleTimeoutMs?: number;
  /** Proxied uploads: the whole body must arrive within this, ms. Default 3,600,000. */
  readonly totalTimeoutMs?: number;
  /**
   * Direct multipart uploads: how long one may take from `startDirect` to `completeMultipart`, ms (its
   * reservation lives this long; `presignParts` hands out fresh part URLs meanwhile). Default 86,400,000
   * (24 h) or the reservation TTL if longer; a value under the reservation TTL is refused. The sweep's default age is the longer of the two, so it never
   * aborts a multipart upload still within this window.
   */
  readonly multipartTtlMs?: number;
  readonly metrics?: Metrics;
  readonly clock?: Clock;
  /** Random bytes for keys and upload ids (tests inject it). Default `crypto.randomBytes`. */
  readonly random?: (bytes: number) => Uint8Array;
}

/** What the client declares when it starts an upload. */
export interface UploadRequest {
  /** Whose quota pays; also a key segment (hashed). */
  readonly owner: string;
  /** The client's file name: sanitised, kept as metadata, never used as the key. */
  readonly filename: string;
  /** The client's Content-Type: must be allowed and must match the sniffed type. */
  readonly contentType: string;
  /** Declared size, bytes. Required for direct uploads; optional for proxied ones. */
  readonly sizeBytes?: number;
}

/** A direct upload's mode. `auto` picks `multipart` at `multipartThresholdBytes`, else `put`. */
export type DirectMode = 'put' | 'post' | 'multipart' | 'auto';

/** Input of {@link UploadPolicy.startDirect}. */
export interface DirectUploadRequest extends UploadRequest {
  readonly sizeBytes: number;
  readonly mode?: DirectMode;
  /** Base64 SHA-256 of the whole file, signed into a PUT when given. */
  readonly checksumSha256?: string;
}

/** What the client needs to send the bytes. */
export type DirectUploadTicket = {
  readonly uploadId: string;
  /** The quarantine key the bytes go to. */
  readonly key: string;
  readonly expiresAtMs: number;
} & (
  | { readonly mode: 'put'; readonly put: PresignedPut }
  | { readonly mode: 'post'; readonly post: PresignedPost }
  | {
      readonly mode: 'multipart';
      readonly partSizeBytes: number;
      readonly partCount: number;
      /** Presigned URLs of the first parts (up to 10); ask `presignParts` for the rest. */
      readonly parts: readonly PresignedPart[];
    }
);

/** A file that passed every check and sits under the final prefix. */
export interface StoredFile {
  readonly key: string;
  readonly owner: string;
  readonly sizeBytes: number;
  /** The sniffed type (what the file is), not the declared one. */
  readonly contentType: string;
  /** The sanitised original name. */
  readonly filename: string;
  /** Set when the file must only be served as an attachment (SVG with `svg: 'attachment'`). */
  readonly contentDisposition?: string;
  /** Scanner verdict: `clean`, `not_scanned` (no scanner), or the accepted fallback. */
  readonly scan: 'clean' | 'not_scanned' | 'accepted_unavailable' | 'accepted_too_large';
  readonly thumbnails: readonly {
    readonly name: string;
    readonly key: string;
    readonly width: number;
    readonly height: number;
  }[];
}

/** Input of {@link UploadPolicy.proxy}. */
export interface ProxiedUploadRequest extends UploadRequest {
  /** The request body (e.g. the `IncomingMessage` itself). */
  readonly body: ByteSource;
  /** Aborts the upload (client went away). */
  readonly signal?: AbortSignal;
}

/** What {@link UploadPolicy.sweep} cleaned. */
export interface SweepReport {
  readonly expiredReservations: number;
  /** Objects under the final prefix written by promotions that never settled (a crash between copy and settle). */
  readonly deletedUnsettledObjects: number;
  readonly abortedMultipartUploads: number;
  readonly deletedQuarantineObjects: number;
}

/** How a served URL is made. */
export type UrlMode = 'public' | 'signed' | 'cloudfront';

/**
 * The UploadPolicy. Every refusal is an `UploadRejectedError` thrown after cleanup; store failures are
 * `StoreError`. Every call is counted in `uploads.attempts{mode}` / `uploads.failures{mode, size_bucket, reason}`.
 */
export interface UploadPolicy {
  /** Checks the declaration, reserves quota, and presigns into the quarantine prefix. */
  startDirect(request: DirectUploadRequest): Promise<DirectUploadTicket>;
  /** Presigned URLs for more parts of a multipart direct upload. */
  presignParts(
    owner: string,
    uploadId: string,
    partNumbers: readonly number[],
  ): Promise<readonly PresignedPart[]>;
  /** Completes a multipart direct upload (checks the part sizes against the rules first), then finalizes. */
  completeMultipart(owner: string, uploadId: string, parts: readonly UploadedPart[]): Promise<StoredFile>;
  /** After the client's PUT or POST: verifies, scans, promotes, makes thumbnails. */
  finalize(owner: string, uploadId: string): Promise<StoredFile>;
  /** Gives up an unfinished upload: aborts or deletes what was sent and releases the reservation. */
  abort(owner: string, uploadId: string): Promise<void>;
  /** Streams a request body through the checks into storage, in constant memory. */
  proxy(request: ProxiedUploadRequest): Promise<StoredFile>;
  /**
   * Deletes a stored file and its thumbnails and frees its bytes once: the quota store frees what it
   * recorded at the settle for the upload id in the key. `sizeBytes` is ignored (kept for compatibility);
   * a key not made by this policy is `ERR_INVALID_ARGUMENT`.
   */
  deleteFile(file: Pick<StoredFile, 'key' | 'owner' | 'sizeBytes' | 'thumbnails'>): Promise<void>;
  /** A URL to serve the file. */
  url(file: Pick<StoredFile, 'key' | 'contentDisposition'>, mode?: UrlMode): Promise<string>;
  /** Expires abandoned reservations, aborts stale multipart uploads, deletes stale quarantine objects. */
  sweep(options?: { readonly olderThanMs?: number; readonly limit?: number }): Promise<SweepReport>;
}
