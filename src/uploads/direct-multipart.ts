/**
 * Direct multipart uploads: the part plan, part URLs (the first ones with the ticket, the rest on
 * request, which is also how a client resumes), and completion against the store's own part list.
 *
 * Completion rules (ERR_UPLOAD_PART, the upload stays pending so the client can fix and retry): the
 * client lists parts 1..partCount, each once, each present in the store with the same ETag; every part
 * but the last is within the store's part limits. A total over the reservation is ERR_UPLOAD_TOO_LARGE,
 * and that one is final: the multipart upload is aborted and the reservation released.
 *
 * Every part URL signs its length (the part size, the remainder for the last part), so the store itself
 * refuses a part of another size: a client cannot park 5 GiB parts on a small upload until completion.
 * Refused calls whose upload goes on (bad part numbers or list, unknown id, a store failure, a lost race)
 * count in `uploads.call_failures`; only the end of an upload counts in `uploads.failures`.
 */
import { checkOwner } from './admit.js';
import { isUploadRejected, UploadRejectedError } from './errors.js';
import { loadPending, lostOr, type Pending } from './pending.js';
import type { PolicyContext } from './policy-context.js';
import { markCallFailure } from './policy-failures.js';
import type { StoredFile } from './policy-types.js';
import { rejectAndClean } from './promote.js';
import { verifyAndPromote } from './promote-verify.js';
import { objectStoreErrorCode } from './s3-rules.js';
import type { PresignedPart, UploadedPart } from './types.js';

/** Parts presigned with the ticket. */
export const FIRST_PARTS = 10;
/** Most part URLs one `presignParts` call returns. */
export const MAX_PARTS_PER_CALL = 100;

/** Part size (the configured one, raised so the declared size fits the store's part count) and count. */
export function partPlan(
  ctx: PolicyContext,
  declaredBytes: number,
): { partSizeBytes: number; partCount: number } {
  const { maxParts } = ctx.storage.multipartLimits;
  const partSizeBytes = Math.max(ctx.partSizeBytes, Math.ceil(declaredBytes / maxParts));
  return { partSizeBytes, partCount: Math.max(1, Math.ceil(declaredBytes / partSizeBytes)) };
}

const partError = (message: string) => new UploadRejectedError('ERR_UPLOAD_PART', message);

/**
 * The exact length of part `n` of `pending`: the part size, and what is left of the declared size for
 * the last part (the plan made at start, so a changed `partSizeBytes` option does not move it).
 */
export function partLengthOf(ctx: PolicyContext, pending: Pending, n: number): number {
  const count = pending.partCount ?? 1;
  const size = pending.partSizeBytes ?? ctx.partSizeBytes;
  if (n < count) return size;
  const declared = pending.declaredBytes ?? pending.reservedBytes;
  return Math.max(0, declared - (count - 1) * size);
}

async function presignNumbers(
  ctx: PolicyContext,
  pending: Pending,
  numbers: readonly number[],
): Promise<PresignedPart[]> {
  const id = pending.multipartUploadId as string;
  const out: PresignedPart[] = [];
  for (const n of numbers) {
    const length = partLengthOf(ctx, pending, n);
    out.push(await ctx.storage.presignPart(pending.key, id, n, ctx.presignTtlS, length));
  }
  return out;
}

/** The first up-to-10 part URLs, for the ticket. */
export function firstParts(ctx: PolicyContext, pending: Pending): Promise<PresignedPart[]> {
  const count = Math.min(FIRST_PARTS, pending.partCount ?? 1);
  return presignNumbers(
    ctx,
    pending,
    Array.from({ length: count }, (_, i) => i + 1),
  );
}

/** The owner's pending direct multipart upload, or ERR_UPLOAD_NOT_FOUND. */
async function loadMultipart(ctx: PolicyContext, owner: unknown, uploadId: unknown): Promise<Pending> {
  const pending = await loadPending(ctx, checkOwner(owner), uploadId);
  if (pending.mode !== 'multipart' || pending.multipartUploadId === undefined) {
    throw new UploadRejectedError('ERR_UPLOAD_NOT_FOUND', 'no such pending multipart upload');
  }
  return pending;
}

/** Checks a list of part numbers: 1..100 distinct integers in 1..partCount. */
function checkNumbers(numbers: unknown, partCount: number): readonly number[] {
  if (!Array.isArray(numbers) || numbers.length === 0 || numbers.length > MAX_PARTS_PER_CALL) {
    throw partError(`ask for 1..${MAX_PARTS_PER_CALL} part numbers at a time`);
  }
  const seen = new Set<number>();
  for (const n of numbers) {
    if (!Number.isSafeInteger(n) || n < 1 || n > partCount || seen.has(n)) {
      throw partError(`part numbers must be distinct integers in 1..${partCount}`);
    }
    seen.add(n);
  }
  return numbers as number[];
}

/** Presigned URLs for more parts of the owner's pending multipart upload (resume: ask for the missing ones). */
export async function presignParts(
  ctx: PolicyContext,
  owner: string,
  uploadId: string,
  partNumbers: readonly number[],
): Promise<readonly PresignedPart[]> {
  try {
    const pending = await loadMultipart(ctx, owner, uploadId);
    const numbers = checkNumbers(partNumbers, pending.partCount ?? 1);
    return Object.freeze(await presignNumbers(ctx, pending, numbers));
  } catch (error) {
    // The upload goes on (the client may ask again): a call failure, never the upload's end.
    throw markCallFailure(ctx, 'presign_parts', error);
  }
}

/** Matches the client's list against the store's: the parts to complete with, or a refusal. */
function matchParts(ctx: PolicyContext, pending: Pending, client: unknown, stored: readonly UploadedPart[]) {
  const count = pending.partCount ?? 1;
  if (!Array.isArray(client) || client.length !== count) throw partError(`list all ${count} parts`);
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const { minPartBytes, maxPartBytes } = ctx.storage.multipartLimits;
  const parts: UploadedPart[] = [];
  let totalBytes = 0;
  for (let i = 0; i < count; i += 1) {
    const entry = client[i] as Partial<UploadedPart> | undefined;
    const have = byNumber.get(i + 1);
    if (entry?.partNumber !== i + 1) throw partError('list parts 1..partCount in order, each once');
    const bare = (etag: unknown) => String(etag).replace(/^"(.*)"$/, '$1');
    if (have === undefined || typeof entry.etag !== 'string' || bare(entry.etag) !== bare(have.etag)) {
      throw partError(`part ${i + 1} is missing or its ETag does not match`);
    }
    const size = have.sizeBytes ?? 0;
    if (i < count - 1 && (size < minPartBytes || size > maxPartBytes)) {
      throw partError(`part ${i + 1} must be ${minPartBytes}..${maxPartBytes} bytes`);
    }
    totalBytes += size;
    parts.push({ partNumber: i + 1, etag: have.etag });
  }
  if (totalBytes > pending.reservedBytes) {
    throw new UploadRejectedError('ERR_UPLOAD_TOO_LARGE', 'the parts add up to more than declared', {
      sizeBytes: totalBytes,
      limitBytes: pending.reservedBytes,
    });
  }
  return { parts, totalBytes };
}

/**
 * The answer to a store failure while completing: ERR_UPLOAD_NOT_FOUND when another call won (the
 * reservation is gone, or the store no longer knows the multipart upload: a concurrent completion
 * finished it), else the store's error; the upload goes on either way.
 */
async function completeFailure(ctx: PolicyContext, pending: Pending, error: unknown): Promise<unknown> {
  const answer = await lostOr(ctx, pending, error);
  if (answer !== error || objectStoreErrorCode(error) !== 'NoSuchUpload') return answer;
  return new UploadRejectedError(
    'ERR_UPLOAD_NOT_FOUND',
    'no such pending multipart upload',
    {},
    { cause: error },
  );
}

/**
 * Completes the owner's direct multipart upload after checking the parts, then verifies and promotes
 * it like any direct upload.
 */
export async function completeMultipart(
  ctx: PolicyContext,
  owner: string,
  uploadId: string,
  clientParts: readonly UploadedPart[],
): Promise<StoredFile> {
  let pending: Pending;
  try {
    pending = await loadMultipart(ctx, owner, uploadId);
  } catch (error) {
    throw markCallFailure(ctx, 'complete', error);
  }
  const id = pending.multipartUploadId as string;
  const { multipartUploadId: _open, ...completed } = pending;
  let parts: UploadedPart[];
  try {
    // Completed by an earlier call whose answer was lost: verify what is there.
    if ((await ctx.storage.head(pending.key)) !== undefined) return verifyAndPromote(ctx, completed);
    ({ parts } = matchParts(ctx, pending, clientParts, await ctx.storage.listParts(pending.key, id)));
  } catch (error) {
    if (isUploadRejected(error, 'ERR_UPLOAD_TOO_LARGE')) return rejectAndClean(ctx, pending, error);
    throw markCallFailure(ctx, 'complete', await completeFailure(ctx, pending, error));
  }
  try {
    await ctx.storage.completeMultipart(pending.key, id, parts);
  } catch (error) {
    throw markCallFailure(ctx, 'complete', await completeFailure(ctx, pending, error));
  }
  // From here on the bytes are one object: cleanup deletes it (there is no multipart upload to abort).
  return verifyAndPromote(ctx, completed);
}
