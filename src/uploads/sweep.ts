/**
 * The sweeper: what abandoned uploads leave behind, removed by expiry and by age. Run it on a schedule
 * (every few minutes) in one process; running it in several at once only repeats deletes.
 *
 * 1. Expired reservations (`quota.sweepExpired`): their quarantine object is deleted, their multipart
 *    upload aborted, and anything under their final folder deleted: an expired reservation was never
 *    settled, so a copy there is one a promotion wrote before it crashed (or lost its settle).
 * 2. Multipart uploads under the quarantine prefix started more than `olderThanMs` ago: aborted (a crash
 *    between create and the reservation, or a proxied upload whose process died).
 * 3. Objects under the quarantine prefix older than `olderThanMs`: deleted (a crash between promotion's
 *    copy and its delete, a cleanup that failed).
 *
 * `olderThanMs` defaults to the reservation TTL: nothing younger can belong to an upload that is
 * abandoned for sure. A smaller value may delete the bytes of an upload still being finalized.
 * Pair it with a bucket lifecycle rule (AbortIncompleteMultipartUpload, expiry on the quarantine prefix).
 */
import { argument } from '../core/validate.js';
import { decodePending } from './pending.js';
import type { PolicyContext } from './policy-context.js';
import { finalFolderOf } from './policy-keys.js';
import type { SweepReport } from './policy-types.js';

/** Options of {@link sweepUploads}. */
export interface SweepOptions {
  readonly olderThanMs?: number;
  /** At most this many of each kind per run. Default 1,000. */
  readonly limit?: number;
}

/** Deletes what unsettled promotion attempts of `pending` left under the final prefix; returns the count. */
async function deleteUnsettledCopies(
  ctx: PolicyContext,
  pending: ReturnType<typeof decodePending>,
): Promise<number> {
  let deleted = 0;
  try {
    for (const object of await ctx.storage.list(finalFolderOf(ctx, pending.owner, pending.uploadId))) {
      await ctx.storage.delete(object.key);
      deleted += 1;
    }
  } catch {
    ctx.instruments.cleanupFailure(pending.mode, 'delete');
  }
  return deleted;
}

async function sweepReservations(
  ctx: PolicyContext,
  nowMs: number,
  limit: number,
): Promise<{ expired: number; unsettled: number }> {
  const expired = await ctx.quota.store.sweepExpired(nowMs, limit);
  let unsettled = 0;
  for (const reservation of expired) {
    let pending: ReturnType<typeof decodePending>;
    try {
      pending = decodePending(reservation.state);
    } catch {
      continue; // not ours: nothing to delete
    }
    // Another policy's upload (a shared quota store): its storage and prefixes are not ours. Its own
    // sweep removes what it left by age (quarantine objects, multipart uploads).
    if (pending.policy !== ctx.name) continue;
    if (pending.multipartUploadId !== undefined) {
      await ctx.storage
        .abortMultipart(pending.key, pending.multipartUploadId)
        .catch(() => ctx.instruments.cleanupFailure(pending.mode, 'abort'));
    }
    await ctx.storage.delete(pending.key).catch(() => ctx.instruments.cleanupFailure(pending.mode, 'delete'));
    unsettled += await deleteUnsettledCopies(ctx, pending);
  }
  return { expired: expired.length, unsettled };
}

/** Runs one sweep; see the file comment. */
export async function sweepUploads(ctx: PolicyContext, options: SweepOptions = {}): Promise<SweepReport> {
  // Nothing younger than the longest reservation can belong to an upload that is abandoned for sure.
  const defaultAgeMs = Math.max(ctx.quota.reservationTtlMs, ctx.multipartTtlMs);
  const olderThanMs = argument.integer('olderThanMs', options.olderThanMs ?? defaultAgeMs, 0);
  const limit = argument.integer('limit', options.limit ?? 1000, 1, 100_000);
  const nowMs = ctx.clock.now();
  const cutoffMs = nowMs - olderThanMs;
  const reservations = await sweepReservations(ctx, nowMs, limit);
  const prefix = ctx.prefixes.quarantine;

  let abortedMultipartUploads = 0;
  for (const upload of await ctx.storage.listMultipartUploads(prefix)) {
    if (abortedMultipartUploads >= limit) break;
    if (!upload.key.startsWith(prefix) || upload.startedAtMs >= cutoffMs) continue;
    try {
      await ctx.storage.abortMultipart(upload.key, upload.uploadId);
      abortedMultipartUploads += 1;
    } catch {
      ctx.instruments.cleanupFailure('multipart', 'abort');
    }
  }

  let deletedQuarantineObjects = 0;
  for (const object of await ctx.storage.list(prefix)) {
    if (deletedQuarantineObjects >= limit) break;
    if (!object.key.startsWith(prefix) || object.lastModifiedMs >= cutoffMs) continue;
    try {
      await ctx.storage.delete(object.key);
      deletedQuarantineObjects += 1;
    } catch {
      ctx.instruments.cleanupFailure('put', 'delete');
    }
  }
  return Object.freeze({
    expiredReservations: reservations.expired,
    deletedUnsettledObjects: reservations.unsettled,
    abortedMultipartUploads,
    deletedQuarantineObjects,
  });
}
