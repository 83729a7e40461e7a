/**
 * Admission: the declaration is checked (owner, name, type, size), the upload gets its server-made id and
 * quarantine key, and its bytes are reserved in the owner's quota, all before a single byte is accepted.
 * The reservation carries the pending upload as its state (pending.ts), so nothing else needs storing.
 */
import { InvalidArgumentError, StoreError } from '../core/errors.js';
import { UploadRejectedError } from './errors.js';
import { encodePending, type Pending } from './pending.js';
import type { PolicyContext, ResolvedTypeRule, UploadMode } from './policy-context.js';
import { declaredSize, markCounted } from './policy-failures.js';
import { newId, quarantineKey, sanitizeName } from './policy-keys.js';
import type { UploadRequest } from './policy-types.js';
import { EXCEL_CSV_ALIAS, isUtf8Charset, parseMimeType } from './sniff-mime.js';

/** Largest owner id, UTF-8 bytes (it is hashed into keys, but stored whole in the reservation). */
export const MAX_OWNER_BYTES = 512;

/** Checks the owner id the application passes: a bug in the caller, so an argument error. */
export function checkOwner(owner: unknown): string {
  if (typeof owner !== 'string' || owner.length === 0) {
    throw new InvalidArgumentError('`owner` must be a non-empty string');
  }
  if (Buffer.byteLength(owner, 'utf8') > MAX_OWNER_BYTES) {
    throw new InvalidArgumentError(`\`owner\` must be at most ${MAX_OWNER_BYTES} bytes of UTF-8`);
  }
  return owner;
}

/** The allowed rule of the declared type, or ERR_UPLOAD_TYPE. */
export function ruleOf(ctx: PolicyContext, contentType: unknown): ResolvedTypeRule {
  const parsed = parseMimeType(contentType);
  let mime = parsed?.essence;
  // What Windows browsers send for a .csv when Excel is installed: CSV, unless .xls itself is allowed.
  if (mime === EXCEL_CSV_ALIAS && !ctx.types.has(mime) && ctx.types.has('text/csv')) mime = 'text/csv';
  const rule = mime === undefined ? undefined : ctx.types.get(mime);
  if (rule === undefined) {
    throw new UploadRejectedError('ERR_UPLOAD_TYPE', 'this file type is not allowed', {
      ...(mime === undefined ? {} : { declaredType: mime }),
    });
  }
  if (!rule.binary && parsed?.charset !== undefined && !isUtf8Charset(parsed.charset)) {
    throw new UploadRejectedError('ERR_UPLOAD_TYPE_MISMATCH', 'only UTF-8 text is accepted', {
      declaredType: rule.mime,
    });
  }
  return rule;
}

/**
 * The declared size, checked against the type's limit and the store's single-request limit. `undefined`
 * only where `required` is false (a proxied upload may not know its size).
 */
export function checkDeclaredSize(
  rule: ResolvedTypeRule,
  sizeBytes: unknown,
  required: boolean,
  storeLimitBytes: number,
): number | undefined {
  if (sizeBytes === undefined && !required) return undefined;
  if (typeof sizeBytes !== 'number' || !Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
    throw new InvalidArgumentError('`sizeBytes` must be a non-negative safe integer');
  }
  if (sizeBytes === 0) throw new UploadRejectedError('ERR_UPLOAD_EMPTY', 'the file is empty', { sizeBytes });
  const limitBytes = Math.min(rule.maxBytes, storeLimitBytes);
  if (sizeBytes > limitBytes) {
    throw new UploadRejectedError('ERR_UPLOAD_TOO_LARGE', 'the file is larger than allowed', {
      limitBytes,
      sizeBytes,
      declaredType: rule.mime,
    });
  }
  return sizeBytes;
}

/** Largest body one store request of `mode` may carry. */
function storeLimitOf(ctx: PolicyContext, mode: UploadMode): number {
  const limits = ctx.storage.multipartLimits;
  if (mode === 'put' || mode === 'post') return limits.maxSinglePutBytes;
  return limits.maxPartBytes * limits.maxParts;
}

/** Something done before the reservation (a multipart create) and how to undo it if reserving fails. */
export interface AdmitPreparation {
  readonly pending: Pending;
  undo(): Promise<void>;
}

/**
 * Admits an upload: checks the declaration, makes the id and quarantine key, reserves the bytes
 * (declared size, or the type's limit for a proxied upload of unknown size, settled to the actual size
 * later). `prepare` runs after the checks and before the reservation, so what it returns (a multipart
 * upload id) is part of the stored state; it is undone when the reservation is refused.
 *
 * Rejections are `UploadRejectedError` (`ERR_UPLOAD_FILENAME`, `_TYPE`, `_EMPTY`, `_TOO_LARGE`,
 * `_QUOTA`), counted in `uploads.failures` here; nothing exists in storage when they are thrown.
 */
export async function admit(
  ctx: PolicyContext,
  request: UploadRequest,
  mode: UploadMode,
  prepare?: (pending: Pending) => Promise<AdmitPreparation>,
): Promise<Pending> {
  let declared: number | undefined;
  try {
    if (typeof request !== 'object' || request === null) {
      throw new InvalidArgumentError('the upload request must be an object');
    }
    const owner = checkOwner(request.owner);
    const rule = ruleOf(ctx, request.contentType);
    declared = checkDeclaredSize(rule, request.sizeBytes, mode !== 'proxied', storeLimitOf(ctx, mode));
    const filename = sanitizeName(request.filename);
    const uploadId = newId(ctx);
    let pending: Pending = Object.freeze({
      uploadId,
      policy: ctx.name,
      owner,
      key: quarantineKey(ctx, owner, uploadId),
      filename,
      declaredType: rule.mime,
      declaredBytes: declared,
      reservedBytes: declared ?? rule.maxBytes,
      mode,
      startedAtMs: ctx.clock.now(),
    });
    const prepared = prepare === undefined ? undefined : await prepare(pending);
    if (prepared !== undefined) pending = prepared.pending;
    try {
      await reserve(ctx, pending);
    } catch (error) {
      await prepared?.undo().catch(() => ctx.instruments.cleanupFailure(mode, 'abort'));
      throw error;
    }
    return pending;
  } catch (error) {
    throw markCounted(ctx, mode, declared ?? declaredSize(request?.sizeBytes), error);
  }
}

async function reserve(ctx: PolicyContext, pending: Pending): Promise<void> {
  const limitBytes = await ctx.quota.limitBytes(pending.owner);
  const result = await ctx.quota.store.reserve({
    owner: pending.owner,
    uploadId: pending.uploadId,
    bytes: pending.reservedBytes,
    limitBytes,
    ttlMs: pending.mode === 'multipart' ? ctx.multipartTtlMs : ctx.quota.reservationTtlMs,
    nowMs: pending.startedAtMs,
    state: encodePending(pending),
  });
  if (result.ok) return;
  if (result.reason === 'duplicate') {
    // 128 random bits do not collide; a duplicate means `random` is broken (a constant in a test).
    throw new StoreError('uploads: the quota store already holds this upload id (is `random` random?)');
  }
  throw new UploadRejectedError('ERR_UPLOAD_QUOTA', 'the storage quota is used up', {
    limitBytes,
    sizeBytes: pending.reservedBytes,
  });
}
