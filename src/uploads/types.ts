/**
 * Ports of the uploads module. The policy (`createUploadPolicy`) decides; four ports do the work:
 *
 * - {@link ObjectStore}: where bytes live (S3 via `backend-patterns/uploads/s3`, or the in-memory store).
 * - {@link QuotaStore}: per-owner byte ledger with reservations (memory, or `backend-patterns/uploads/redis`).
 * - {@link VirusScanner}: a verdict on a byte stream (clamd via `backend-patterns/uploads/clamav`).
 * - {@link Thumbnailer}: derived images (sharp via `backend-patterns/uploads/sharp`).
 * - {@link TypeDetector}: magic-byte detection of binary formats (`backend-patterns/uploads/file-type`).
 *
 * Every object the policy writes goes first under the quarantine prefix and reaches the final prefix only
 * by a server-side copy after every check passed; a crash between the two leaves a quarantine object and a
 * reservation, both of which expire (see docs/uploads.md, "What a crash leaves behind").
 */

/** A byte source the ports read: a Node stream, a web stream, or any async iterable of chunks. */
export type ByteSource = AsyncIterable<Uint8Array>;

// ---------------------------------------------------------------------------------------------------
// ObjectStore
// ---------------------------------------------------------------------------------------------------

/** What {@link ObjectStore.head} reports of a stored object. */
export interface ObjectInfo {
  readonly key: string;
  readonly sizeBytes: number;
  /** The Content-Type stored with the object (as uploaded; never trusted by the policy). */
  readonly contentType: string | undefined;
  readonly etag: string | undefined;
  /** The stored Content-Disposition, when one was set (by {@link ObjectStore.copy}). */
  readonly contentDisposition?: string;
  /** User metadata (`x-amz-meta-*`), lower-case names. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** A presigned PUT: the client sends exactly these headers, or the store refuses the body. */
export interface PresignedPut {
  readonly method: 'PUT';
  readonly url: string;
  /** Headers the signature covers; the client must send them unchanged. */
  readonly headers: Readonly<Record<string, string>>;
  /** Epoch ms after which the store refuses the URL. */
  readonly expiresAtMs: number;
}

/** A presigned POST (browser form): the `file` field must come last, after every one of `fields`. */
export interface PresignedPost {
  readonly method: 'POST';
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly expiresAtMs: number;
}

/** Input of {@link ObjectStore.presignPut}. */
export interface PresignPutInput {
  readonly key: string;
  readonly contentType: string;
  /** Exact body size, signed: a different size is refused by the store. */
  readonly contentLength: number;
  /** Base64 SHA-256 of the body, signed as `x-amz-checksum-sha256` when given. */
  readonly checksumSha256?: string;
  readonly expiresInS: number;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Input of {@link ObjectStore.presignPost}. */
export interface PresignPostInput {
  /** The exact key the form must use (the key condition is `eq`, not `starts-with`). */
  readonly key: string;
  /** Exact Content-Type the form must carry. */
  readonly contentType: string;
  /** `content-length-range` bounds, inclusive. */
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly expiresInS: number;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** One part of a multipart upload, as listed by the store or sent to complete it. */
export interface UploadedPart {
  readonly partNumber: number;
  readonly etag: string;
  /** Size as the store reports it (absent in the client's completion list). */
  readonly sizeBytes?: number;
}

/** A presigned UploadPart URL. */
export interface PresignedPart {
  readonly partNumber: number;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAtMs: number;
}

/** Options of a copy from quarantine to the final key. */
export interface CopyOptions {
  /** Content-Type of the copy: the sniffed type, not the client's. */
  readonly contentType: string;
  /**
   * Copy only if the source's ETag is this one (S3 `CopySourceIfMatch`); otherwise the copy fails with a
   * `StoreError` whose S3 code is `PreconditionFailed`. The policy passes the ETag its checks read, so the
   * copy is the object that was checked, not one the client PUT again in between.
   */
  readonly ifMatch?: string;
  /** e.g. `attachment; filename*=UTF-8''report.svg`. */
  readonly contentDisposition?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** A multipart upload written by the server (proxied uploads): parts go in order, then complete or abort. */
export interface MultipartWriter {
  readonly key: string;
  readonly uploadId: string;
  /**
   * Uploads one part (>= the store's minimum part size unless it is the last). Resolves when stored.
   * The caller reuses `bytes` once the promise settles: a writer that keeps the bytes keeps a copy.
   */
  writePart(bytes: Uint8Array): Promise<void>;
  /** Completes with the parts written so far; returns the object's info. */
  complete(): Promise<ObjectInfo>;
  /** Aborts: the store drops every part. Safe to call twice and after a failed write. */
  abort(): Promise<void>;
}

/** Options of a signed GET URL. */
export interface SignedGetOptions {
  readonly expiresInS: number;
  /** Sets `response-content-disposition` (e.g. to force a download). */
  readonly contentDisposition?: string;
  /** Sets `response-content-type`. */
  readonly contentType?: string;
}

/** Limits of the store's multipart uploads (S3: 5 MiB minimum part except the last, 5 GiB maximum, 10,000 parts). */
export interface MultipartLimits {
  readonly minPartBytes: number;
  readonly maxPartBytes: number;
  readonly maxParts: number;
  /** Largest single PUT or POST body. */
  readonly maxSinglePutBytes: number;
}

/**
 * Object storage as the policy needs it. Adapters: `createMemoryObjectStore()` (in-process, enforces the
 * same presigned conditions as S3 through its `receive*` methods) and `createS3ObjectStore()`.
 * Every method rejects with the core `StoreError` (`ERR_STORE`) when the store fails; `head` resolves
 * `undefined` for a missing key; `delete` of a missing key succeeds.
 */
export interface ObjectStore {
  /** Short name for metrics and errors, e.g. `s3` or `memory`. */
  readonly name: string;
  readonly multipartLimits: MultipartLimits;
  presignPut(input: PresignPutInput): Promise<PresignedPut>;
  presignPost(input: PresignPostInput): Promise<PresignedPost>;
  createMultipart(
    key: string,
    contentType: string,
    metadata?: Readonly<Record<string, string>>,
  ): Promise<string>;
  /**
   * Presigns one UploadPart. With `contentLength` the length is signed: the store refuses a part of
   * another size (so a client cannot park 5 GiB parts on a 6 MiB upload before completion is checked).
   */
  presignPart(
    key: string,
    uploadId: string,
    partNumber: number,
    expiresInS: number,
    contentLength?: number,
  ): Promise<PresignedPart>;
  /** Every part the store holds for the upload (all pages). */
  listParts(key: string, uploadId: string): Promise<readonly UploadedPart[]>;
  completeMultipart(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<ObjectInfo>;
  abortMultipart(key: string, uploadId: string): Promise<void>;
  /** Multipart uploads still open under `prefix`, with their start time (for the sweeper). */
  listMultipartUploads(
    prefix: string,
  ): Promise<readonly { key: string; uploadId: string; startedAtMs: number }[]>;
  /** A server-side multipart writer for streamed (proxied) uploads. */
  openMultipartWriter(
    key: string,
    contentType: string,
    metadata?: Readonly<Record<string, string>>,
  ): Promise<MultipartWriter>;
  /** Stores a small object in one request (thumbnails). */
  put(
    key: string,
    body: Uint8Array,
    contentType: string,
    metadata?: Readonly<Record<string, string>>,
  ): Promise<ObjectInfo>;
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Bytes `start..endInclusive` (fewer when the object is shorter). */
  /**
   * Bytes `start..endInclusive` (fewer when the object is shorter). With `ifMatch`, only of that version
   * (S3 `IfMatch`): another ETag is a `StoreError` with S3 code `PreconditionFailed`.
   */
  readRange(key: string, start: number, endInclusive: number, ifMatch?: string): Promise<Uint8Array>;
  /**
   * The whole object as a stream (for the scanner and the thumbnailer), of version `ifMatch` when given.
   * Aborting `signal` releases the underlying connection even when the stream was never read (a caller
   * that gives up early must not leak a socket of the client's pool).
   */
  read(key: string, signal?: AbortSignal, ifMatch?: string): Promise<ByteSource>;
  copy(fromKey: string, toKey: string, options: CopyOptions): Promise<ObjectInfo>;
  delete(key: string): Promise<void>;
  /** Keys under `prefix` with their last-modified time (for tests and the quarantine sweeper). */
  list(prefix: string): Promise<readonly { key: string; sizeBytes: number; lastModifiedMs: number }[]>;
  signedGetUrl(key: string, options: SignedGetOptions): Promise<string>;
}

// ---------------------------------------------------------------------------------------------------
// QuotaStore
// ---------------------------------------------------------------------------------------------------

/** One owner's ledger. `usedBytes` counts stored files; `reservedBytes` counts live reservations. */
export interface QuotaUsage {
  readonly usedBytes: number;
  readonly reservedBytes: number;
}

/** Input of {@link QuotaStore.reserve}. */
export interface ReserveInput {
  readonly owner: string;
  /**
   * Unique per upload; a second reserve with the same id is refused (`duplicate`) while the first is
   * reserved or while its settled file has not been freed.
   */
  readonly uploadId: string;
  readonly bytes: number;
  /** The owner's limit; the reservation fits when used + live reservations + bytes <= limitBytes. */
  readonly limitBytes: number;
  /** The reservation expires (and frees its bytes) this long after `nowMs`. */
  readonly ttlMs: number;
  readonly nowMs: number;
  /** Opaque state kept with the reservation (the pending upload, as JSON), returned by `get`. */
  readonly state: string;
}

/** What {@link QuotaStore.reserve} decided. */
export type ReserveResult =
  | { readonly ok: true; readonly usage: QuotaUsage }
  | { readonly ok: false; readonly reason: 'quota' | 'duplicate'; readonly usage: QuotaUsage };

/** A live reservation. */
export interface Reservation {
  readonly owner: string;
  readonly uploadId: string;
  readonly bytes: number;
  readonly expiresAtMs: number;
  readonly state: string;
}

/**
 * The per-owner byte ledger. Each method is atomic on its own (one Lua script on Redis). Expired
 * reservations count for nothing from their expiry on; any call on the same owner with a `nowMs` drops
 * them lazily (they stop counting but wait, once each, for `sweepExpired`), and `sweepExpired` drops and
 * returns them in bulk. Every settled upload keeps a record of its stored bytes under its upload id until
 * `free`. Every Redis key has a TTL tied to its newest reservation, except the long-lived ledger (used
 * bytes and one field per stored file).
 */
export interface QuotaStore {
  /** Holds `bytes` when they fit; `duplicate` while the id is reserved or names a settled file not freed. */
  reserve(input: ReserveInput): Promise<ReserveResult>;
  /** The live reservation, or undefined when it never existed, was settled or released, or expired. */
  get(owner: string, uploadId: string, nowMs: number): Promise<Reservation | undefined>;
  /**
   * Turns the reservation into stored bytes: removes it, adds `actualBytes` (<= its bytes) to used and
   * records `actualBytes` as the stored file of `uploadId` (what `free` subtracts later). Returns false
   * (and changes nothing) when the reservation is gone.
   *
   * `attemptId` (optional, 1..128 of [A-Za-z0-9._~-]; the policy passes its promotion's file id) is
   * recorded with the file. When the reservation is gone but the file of `uploadId` was recorded with
   * the same `attemptId`, the answer is true and nothing changes: a caller that lost the answer of its
   * own committed settle can ask again and tell its commit from another finalizer's (charged once).
   */
  settle(
    owner: string,
    uploadId: string,
    actualBytes: number,
    nowMs: number,
    attemptId?: string,
  ): Promise<boolean>;
  /** Drops the reservation; false when it was already gone. */
  release(owner: string, uploadId: string, nowMs: number): Promise<boolean>;
  /**
   * Frees the stored file of `uploadId`: removes its record and subtracts the bytes its settle recorded
   * from used (never below 0), atomically. A second call, or an id with no record (never settled, already
   * freed), frees nothing and returns the usage unchanged: concurrent frees of one file subtract once.
   */
  free(owner: string, uploadId: string): Promise<QuotaUsage>;
  usage(owner: string, nowMs: number): Promise<QuotaUsage>;
  /**
   * Drops up to `limit` expired reservations of any owner and returns them (so their objects can go),
   * each exactly once, including those a call on their owner already dropped lazily.
   */
  sweepExpired(nowMs: number, limit: number): Promise<readonly Reservation[]>;
}

// ---------------------------------------------------------------------------------------------------
// VirusScanner
// ---------------------------------------------------------------------------------------------------

/**
 * A scan verdict. Only `clean` means clean: `too_large` (over the scanner's limit) and `unavailable`
 * (no answer, refused, timed out) are their own verdicts, decided by the policy's `scan` options.
 */
export type ScanVerdict =
  | { readonly status: 'clean' }
  | { readonly status: 'infected'; readonly signature: string }
  | { readonly status: 'too_large'; readonly limitBytes: number }
  | { readonly status: 'unavailable'; readonly reason: string };

/** Options of one scan. */
export interface ScanOptions {
  /** Declared size when known: a scanner with a smaller limit answers `too_large` without reading. */
  readonly sizeBytes?: number;
  readonly signal?: AbortSignal;
}

/** Scans a byte stream. Never throws for a scanner problem: that is the `unavailable` verdict. */
export interface VirusScanner {
  readonly name: string;
  /** The largest stream it scans; more is `too_large`. */
  readonly maxScanBytes: number;
  scan(source: ByteSource, options?: ScanOptions): Promise<ScanVerdict>;
}

// ---------------------------------------------------------------------------------------------------
// Thumbnailer
// ---------------------------------------------------------------------------------------------------

/** One derived image. */
export interface Thumbnail {
  /** The name from the thumbnail spec, e.g. `small`. */
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

/** A wanted size: fits inside `maxWidth` x `maxHeight`, never enlarged. */
export interface ThumbnailSpec {
  readonly name: string;
  readonly maxWidth: number;
  readonly maxHeight: number;
}

/** Makes thumbnails; rejects with `ERR_UPLOAD_IMAGE` for an image it refuses (pixel bomb, corrupt). */
export interface Thumbnailer {
  readonly name: string;
  /** Content types it accepts, e.g. `image/jpeg`. */
  readonly accepts: readonly string[];
  thumbnails(source: Uint8Array, specs: readonly ThumbnailSpec[]): Promise<readonly Thumbnail[]>;
}

// ---------------------------------------------------------------------------------------------------
// TypeDetector
// ---------------------------------------------------------------------------------------------------

/** A detected binary type. */
export interface DetectedType {
  readonly mime: string;
  readonly ext: string;
}

/** Magic-byte detection of binary formats from the first bytes; `undefined` when it cannot tell. */
export interface TypeDetector {
  /** How many leading bytes it needs (file-type: 4,100). */
  readonly sampleBytes: number;
  detect(head: Uint8Array): Promise<DetectedType | undefined>;
}
