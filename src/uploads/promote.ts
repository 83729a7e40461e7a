/**
 * Promotion, the last step of every upload (direct or proxied), after every check passed: thumbnails
 * from the quarantine object, a server-side copy to a fresh final key, then `settle`, the commit point.
 *
 * Ordering, and why: the final key is new for every attempt, and the copy happens before `settle`. Two
 * concurrent finalizers of one upload both copy, each to its own key; exactly one `settle` returns true.
 * The loser deletes only what it wrote itself and reports ERR_UPLOAD_NOT_FOUND, so it can never remove
 * the winner's file, and the owner is charged once. Only the winner deletes the quarantine object.
 */
import { InvalidArgumentError, StoreError } from '../core/errors.js';
import { isUploadRejected, UploadRejectedError } from './errors.js';
import { lostOr, type Pending } from './pending.js';
import type { PolicyContext } from './policy-context.js';
import { markCallFailure, markCounted } from './policy-failures.js';
import { finalKeyFor, thumbnailKeyFor } from './policy-keys.js';
import type { StoredFile } from './policy-types.js';
import { objectStoreErrorCode } from './s3-rules.js';
import type { Thumbnail } from './types.js';

/** What the checks established about the bytes in quarantine. */
export interface CheckedUpload {
  /** The stored size, bytes (HEAD, or counted by the proxy), at most the reservation. */
  readonly sizeBytes: number;
  /** The sniffed type: what the file is. */
  readonly contentType: string;
  /** Key extension for the sniffed type (the sniffer's `ext`); default from the type. */
  readonly ext?: string;
  /** Set to serve the file only as an attachment (SVG with `svg: 'attachment'`). */
  readonly disposition?: string;
  readonly scan: StoredFile['scan'];
  /**
   * The ETag of the quarantine object the checks read (direct uploads). Thumbnails and the copy read only
   * that version: a client that PUTs other bytes to its still-valid URL mid-check makes the copy fail
   * (`PreconditionFailed`) instead of promoting bytes nobody checked.
   */
  readonly etag?: string;
}

/** The object changed under the checks (the client sent again): nothing promoted; finalize may be retried. */
export function changedWhileChecked(cause: unknown): UploadRejectedError {
  return new UploadRejectedError(
    'ERR_UPLOAD_INCOMPLETE',
    'the file changed while it was being checked; finalize again once it is complete',
    {},
    { cause },
  );
}

/** True when a store error says a version condition (`ifMatch`) failed. */
export const isVersionMismatch = (error: unknown): boolean =>
  objectStoreErrorCode(error) === 'PreconditionFailed';

/**
 * Counts an error of a promotion that leaves the upload pending. A proxied upload has no second chance
 * (its caller cleans up, and that is the upload's end: `uploads.failures`); a direct one may be finalized
 * again, so the refused call is a `uploads.call_failures{op="finalize"}`.
 */
export function countPendingFailure(ctx: PolicyContext, pending: Pending, error: unknown): unknown {
  return pending.mode === 'proxied'
    ? markCounted(ctx, pending.mode, pending.declaredBytes, error, pending.startedAtMs)
    : markCallFailure(ctx, 'finalize', error);
}

/**
 * Deletes the quarantine object (or aborts the multipart upload), releases the reservation, counts the
 * failure, and rethrows `error`. A cleanup step that fails is counted in `uploads.cleanup_failures` and
 * never replaces `error`; what it leaves (an object under the quarantine prefix, an open multipart upload,
 * a reservation) is what `sweep` removes by age or expiry.
 */
export async function rejectAndClean(ctx: PolicyContext, pending: Pending, error: unknown): Promise<never> {
  const { storage, instruments } = ctx;
  if (pending.multipartUploadId !== undefined) {
    await storage
      .abortMultipart(pending.key, pending.multipartUploadId)
      .catch(() => instruments.cleanupFailure(pending.mode, 'abort'));
  }
  await storage.delete(pending.key).catch(() => instruments.cleanupFailure(pending.mode, 'delete'));
  await ctx.quota.store
    .release(pending.owner, pending.uploadId, ctx.clock.now())
    .catch(() => instruments.cleanupFailure(pending.mode, 'release'));
  throw markCounted(ctx, pending.mode, pending.declaredBytes, error, pending.startedAtMs);
}

/** Deletes keys this attempt wrote; failures are counted and left to the caller's error. */
async function deleteWritten(ctx: PolicyContext, pending: Pending, keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    await ctx.storage.delete(key).catch(() => ctx.instruments.cleanupFailure(pending.mode, 'delete'));
  }
}

/**
 * Thumbnails of the quarantine object, when configured and the sniffed type is one the thumbnailer takes.
 * An image the thumbnailer refuses (ERR_UPLOAD_IMAGE: pixel bomb, corrupt) refuses the upload; any other
 * failure (the thumbnailer crashed, the source is over `maxSourceBytes`) keeps the file without thumbnails
 * and is counted in `uploads.thumbnail_failures{reason}`.
 */
async function makeThumbnails(
  ctx: PolicyContext,
  pending: Pending,
  checked: CheckedUpload,
): Promise<readonly Thumbnail[]> {
  const options = ctx.thumbnails;
  if (options === undefined || !options.thumbnailer.accepts.includes(checked.contentType)) return [];
  if (checked.sizeBytes > options.maxSourceBytes) {
    ctx.instruments.thumbnailFailure('source_too_large');
    return [];
  }
  try {
    const source = await ctx.storage.readRange(pending.key, 0, checked.sizeBytes - 1, checked.etag);
    return await options.thumbnailer.thumbnails(source, options.sizes);
  } catch (error) {
    if (isUploadRejected(error, 'ERR_UPLOAD_IMAGE')) throw error;
    if (isVersionMismatch(error)) throw changedWhileChecked(error);
    ctx.instruments.thumbnailFailure(isUploadRejected(error) ? error.reason : 'error');
    return [];
  }
}

/** Stores thumbnails next to the file; on a failure the ones stored are deleted and none are kept. */
async function storeThumbnails(
  ctx: PolicyContext,
  pending: Pending,
  fileId: string,
  thumbnails: readonly Thumbnail[],
  written: string[],
): Promise<StoredFile['thumbnails']> {
  const stored: { name: string; key: string; width: number; height: number }[] = [];
  const mine: string[] = [];
  try {
    for (const t of thumbnails) {
      const key = thumbnailKeyFor(ctx, pending.owner, pending.uploadId, fileId, t.name, t.contentType);
      mine.push(key);
      await ctx.storage.put(key, t.bytes, t.contentType, { 'upload-id': pending.uploadId });
      stored.push({ name: t.name, key, width: t.width, height: t.height });
    }
    written.push(...mine);
    return stored.map((t) => Object.freeze(t));
  } catch {
    ctx.instruments.thumbnailFailure('store');
    await deleteWritten(ctx, pending, mine);
    return [];
  }
}

/**
 * The commit: settles with the promotion's file id as the attempt id. When the settle throws (a store
 * error: it may have committed with its answer lost), it is asked once more with the same attempt id,
 * and the store answers true for our own earlier commit: the copy is kept and the owner charged once. A
 * second throw is the caller's error.
 */
async function settleOnce(
  ctx: PolicyContext,
  pending: Pending,
  sizeBytes: number,
  fileId: string,
): Promise<boolean> {
  const settle = () =>
    ctx.quota.store.settle(pending.owner, pending.uploadId, sizeBytes, ctx.clock.now(), fileId);
  try {
    return await settle();
  } catch (error) {
    // A refusal (actualBytes over the reservation, a bad argument) is an answer, not a lost one.
    if (isUploadRejected(error) || error instanceof InvalidArgumentError) throw error;
    return settle();
  }
}

/**
 * Promotes a checked upload: thumbnails, copy to the final key with the sniffed type (and disposition),
 * settle the quota with the actual size (the commit), delete the quarantine object, count the bytes.
 *
 * A refusal (ERR_UPLOAD_IMAGE) is cleaned up by {@link rejectAndClean}. A store failure deletes what this
 * attempt wrote under the final prefix and leaves the pending upload as it was, so `finalize` may be
 * retried until the reservation expires. Losing a race to another finalizer is ERR_UPLOAD_NOT_FOUND.
 */
export async function promote(
  ctx: PolicyContext,
  pending: Pending,
  checked: CheckedUpload,
): Promise<StoredFile> {
  let thumbnails: readonly Thumbnail[];
  try {
    thumbnails = await makeThumbnails(ctx, pending, checked);
  } catch (error) {
    return rejectAndClean(ctx, pending, error);
  }
  const { key, fileId } = finalKeyFor(ctx, pending.owner, pending.uploadId, checked.contentType, checked.ext);
  const written: string[] = [];
  let settled: boolean;
  let storedThumbnails: StoredFile['thumbnails'];
  try {
    await ctx.storage.copy(pending.key, key, {
      contentType: checked.contentType,
      ...(checked.disposition === undefined ? {} : { contentDisposition: checked.disposition }),
      ...(checked.etag === undefined ? {} : { ifMatch: checked.etag }),
      metadata: { 'upload-id': pending.uploadId, filename: encodeURIComponent(pending.filename) },
    });
    written.push(key);
    storedThumbnails = await storeThumbnails(ctx, pending, fileId, thumbnails, written);
    settled = await settleOnce(ctx, pending, checked.sizeBytes, fileId);
  } catch (error) {
    // Whether a failed settle took effect is still unknown after the retry: dropping the copy can only
    // overcharge, never leave an uncharged file under the final prefix.
    await deleteWritten(ctx, pending, written);
    const wrapped = isVersionMismatch(error)
      ? changedWhileChecked(error)
      : isUploadRejected(error) || error instanceof StoreError
        ? await lostOr(ctx, pending, error)
        : new StoreError('uploads: promotion failed', { cause: error });
    throw countPendingFailure(ctx, pending, wrapped);
  }
  if (!settled) {
    // Another finalizer committed (its end was counted there) or the reservation expired.
    await deleteWritten(ctx, pending, written);
    const lost = new UploadRejectedError('ERR_UPLOAD_NOT_FOUND', 'no such pending upload');
    throw countPendingFailure(ctx, pending, lost);
  }
  await ctx.storage.delete(pending.key).catch(() => ctx.instruments.cleanupFailure(pending.mode, 'delete'));
  ctx.instruments.success(pending.mode, checked.sizeBytes, pending.startedAtMs);
  return Object.freeze({
    key,
    owner: pending.owner,
    sizeBytes: checked.sizeBytes,
    contentType: checked.contentType,
    filename: pending.filename,
    ...(checked.disposition === undefined ? {} : { contentDisposition: checked.disposition }),
    scan: checked.scan,
    thumbnails: Object.freeze([...storedThumbnails]),
  });
}
