/**
 * Direct uploads: the client sends the bytes straight to the store with presigned requests, always into
 * the quarantine key `admit` chose. What the store enforces, per mode:
 *
 * - `put`: the exact declared length, the declared type and (when given) the SHA-256, all signed.
 * - `post`: the exact key, the exact type, and `content-length-range` [1, declared size]: the reservation
 *   bounds what can arrive; a smaller file is settled at its real size.
 * - `multipart`: per-part URLs; the total is checked against the reservation at completion.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { argument } from '../core/validate.js';
import { type AdmitPreparation, admit } from './admit.js';
import { firstParts, partPlan } from './direct-multipart.js';
import type { Pending } from './pending.js';
import type { PolicyContext, UploadMode } from './policy-context.js';
import { declaredSize, markCounted } from './policy-failures.js';
import type { DirectMode, DirectUploadRequest, DirectUploadTicket } from './policy-types.js';
import { rejectAndClean } from './promote.js';

const SHA256_BASE64 = /^[A-Za-z0-9+/]{43}=$/;

/** The mode `auto` resolves to for a declared size. */
function resolveMode(ctx: PolicyContext, mode: DirectMode, sizeBytes: unknown): Exclude<DirectMode, 'auto'> {
  if (mode !== 'auto') return mode;
  return typeof sizeBytes === 'number' && sizeBytes >= ctx.multipartThresholdBytes ? 'multipart' : 'put';
}

/** The metadata every quarantine object carries: enough for an operator to trace it. */
const metadataOf = (pending: Pending) => ({ 'upload-id': pending.uploadId });

/** Creates the multipart upload before the reservation, so its id is part of the stored state. */
function multipartPreparation(ctx: PolicyContext) {
  return async (pending: Pending): Promise<AdmitPreparation> => {
    const declared = pending.declaredBytes ?? pending.reservedBytes;
    const plan = partPlan(ctx, declared);
    const multipartUploadId = await ctx.storage.createMultipart(
      pending.key,
      pending.declaredType,
      metadataOf(pending),
    );
    return {
      pending: Object.freeze({ ...pending, multipartUploadId, ...plan }),
      undo: () => ctx.storage.abortMultipart(pending.key, multipartUploadId),
    };
  };
}

/** Presigns the admitted upload for its mode. */
async function presign(
  ctx: PolicyContext,
  pending: Pending,
  checksumSha256: string | undefined,
): Promise<DirectUploadTicket> {
  const base = { uploadId: pending.uploadId, key: pending.key };
  const expiresInS = ctx.presignTtlS;
  const declared = pending.declaredBytes ?? pending.reservedBytes;
  if (pending.mode === 'put') {
    const put = await ctx.storage.presignPut({
      key: pending.key,
      contentType: pending.declaredType,
      contentLength: declared,
      ...(checksumSha256 === undefined ? {} : { checksumSha256 }),
      expiresInS,
      metadata: metadataOf(pending),
    });
    return Object.freeze({ ...base, expiresAtMs: put.expiresAtMs, mode: 'put', put });
  }
  if (pending.mode === 'post') {
    const post = await ctx.storage.presignPost({
      key: pending.key,
      contentType: pending.declaredType,
      minBytes: 1,
      maxBytes: declared,
      expiresInS,
      metadata: metadataOf(pending),
    });
    return Object.freeze({ ...base, expiresAtMs: post.expiresAtMs, mode: 'post', post });
  }
  const parts = await firstParts(ctx, pending);
  const expiresAtMs = parts.reduce(
    (min, p) => Math.min(min, p.expiresAtMs),
    ctx.clock.now() + expiresInS * 1000,
  );
  return Object.freeze({
    ...base,
    expiresAtMs,
    mode: 'multipart',
    partSizeBytes: pending.partSizeBytes ?? ctx.partSizeBytes,
    partCount: pending.partCount ?? parts.length,
    parts,
  });
}

/**
 * Starts a direct upload: admit (declaration checks and quota), then presign into quarantine.
 * Counted in `uploads.attempts{mode}` (the resolved mode); a failure to presign releases the reservation.
 */
export async function startDirect(
  ctx: PolicyContext,
  request: DirectUploadRequest,
): Promise<DirectUploadTicket> {
  if (typeof request !== 'object' || request === null) {
    throw new InvalidArgumentError('the upload request must be an object');
  }
  const asked = argument.oneOf('mode', request.mode ?? 'auto', ['put', 'post', 'multipart', 'auto'] as const);
  const mode: UploadMode = resolveMode(ctx, asked, request.sizeBytes);
  ctx.instruments.attempt(mode, declaredSize(request.sizeBytes));
  const checksum = request.checksumSha256;
  try {
    if (checksum !== undefined && (typeof checksum !== 'string' || !SHA256_BASE64.test(checksum))) {
      throw new InvalidArgumentError(
        '`checksumSha256` must be the base64 SHA-256 of the file (44 characters)',
      );
    }
    if (checksum !== undefined && mode !== 'put') {
      throw new InvalidArgumentError(
        `\`checksumSha256\` is signed into PUT uploads only (this one is ${mode})`,
      );
    }
  } catch (error) {
    throw markCounted(ctx, mode, declaredSize(request.sizeBytes), error);
  }
  const pending = await admit(
    ctx,
    request,
    mode,
    mode === 'multipart' ? multipartPreparation(ctx) : undefined,
  );
  try {
    return await presign(ctx, pending, checksum);
  } catch (error) {
    return rejectAndClean(ctx, pending, error);
  }
}
