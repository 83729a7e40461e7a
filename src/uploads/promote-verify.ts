/**
 * Verification of a direct upload's bytes in quarantine, before promotion: HEAD (present, not empty, the
 * size the rules allow), a ranged GET of the head for the sniffer, then the virus scan over the whole
 * object. Every refusal goes through `rejectAndClean` (quarantine object deleted, reservation released);
 * an object not there yet (ERR_UPLOAD_INCOMPLETE) and store failures leave the upload pending, so the
 * client may still send the bytes, or the call be retried, until the reservation expires.
 */
import { contentDisposition } from './content-disposition.js';
import { isUploadRejected, UploadRejectedError } from './errors.js';
import { lostOr, type Pending } from './pending.js';
import type { PolicyContext } from './policy-context.js';
import { markCallFailure } from './policy-failures.js';
import type { StoredFile } from './policy-types.js';
import {
  type CheckedUpload,
  changedWhileChecked,
  isVersionMismatch,
  promote,
  rejectAndClean,
} from './promote.js';
import { scanOutcome } from './proxy.js';
import { DEFAULT_MAX_SVG_BYTES, sniffType } from './sniff.js';
import type { ObjectInfo, ScanVerdict } from './types.js';

const SVG = 'image/svg+xml';

/** HEAD checks: undefined when the object is not there yet; a refusal when its size breaks the rules. */
async function headChecked(ctx: PolicyContext, pending: Pending): Promise<ObjectInfo | undefined> {
  const info = await ctx.storage.head(pending.key);
  if (info === undefined) return undefined;
  const size = info.sizeBytes;
  const details = { sizeBytes: size, limitBytes: pending.reservedBytes };
  if (size === 0) throw new UploadRejectedError('ERR_UPLOAD_EMPTY', 'the file is empty', { sizeBytes: 0 });
  if (size > pending.reservedBytes) {
    throw new UploadRejectedError('ERR_UPLOAD_TOO_LARGE', 'the file is larger than declared', details);
  }
  // A signed PUT carries exactly the declared length; any other size means the store did not enforce it.
  if (pending.mode === 'put' && size !== pending.declaredBytes) {
    throw new UploadRejectedError('ERR_UPLOAD_INCOMPLETE', 'the file is not the declared size', details);
  }
  return info;
}

/** The sniffed type of the object (SVG: read whole, as its safety check needs the whole document). */
async function sniffed(ctx: PolicyContext, pending: Pending, sizeBytes: number, etag: string | undefined) {
  const whole = pending.declaredType === SVG;
  if (whole && sizeBytes > DEFAULT_MAX_SVG_BYTES) {
    throw new UploadRejectedError('ERR_UPLOAD_TOO_LARGE', 'an SVG file is larger than can be checked', {
      sizeBytes,
      limitBytes: DEFAULT_MAX_SVG_BYTES,
    });
  }
  const length = whole ? sizeBytes : Math.min(sizeBytes, ctx.sniffBytes);
  const head = await ctx.storage.readRange(pending.key, 0, length - 1, etag);
  return sniffType({
    head,
    totalBytes: sizeBytes,
    declaredType: pending.declaredType,
    allowed: ctx.types.keys(),
    ...(ctx.detector === undefined ? {} : { detector: ctx.detector }),
    svg: ctx.svg,
    clock: ctx.clock,
  });
}

/**
 * The scan verdict, decided by the policy's fallbacks. A scanner that throws counts as unavailable. The
 * read is aborted when the scan ends, however it ends: a scanner that gives up without reading (clamd
 * down) must not leave the store's connection open (S3's pool would run dry after ~50 such finalizes).
 */
async function scanned(
  ctx: PolicyContext,
  pending: Pending,
  sizeBytes: number,
  etag: string | undefined,
): Promise<CheckedUpload['scan']> {
  const scan = ctx.scan;
  if (scan === undefined) return 'not_scanned';
  let verdict: ScanVerdict;
  if (sizeBytes > scan.scanner.maxScanBytes) {
    verdict = { status: 'too_large', limitBytes: scan.scanner.maxScanBytes };
  } else {
    // A failing read is the store's failure, not the scanner's: it must not read as "unavailable".
    const reading = new AbortController();
    const source = await ctx.storage.read(pending.key, reading.signal, etag);
    try {
      verdict = await scan.scanner.scan(source, { sizeBytes });
    } catch (error) {
      if (isUploadRejected(error) || isVersionMismatch(error)) throw error;
      verdict = { status: 'unavailable', reason: 'the scanner threw' };
    } finally {
      reading.abort();
    }
  }
  return scanOutcome(scan, verdict, sizeBytes);
}

/**
 * Refuses the upload: cleaned up, unless the reservation is already gone (a concurrent finalizer
 * committed, and its file must not be touched): then ERR_UPLOAD_NOT_FOUND.
 */
async function refuse(ctx: PolicyContext, pending: Pending, error: unknown): Promise<never> {
  const lost = await lostOr(ctx, pending, new Error('lost'));
  if (isUploadRejected(lost, 'ERR_UPLOAD_NOT_FOUND')) throw markCallFailure(ctx, 'finalize', lost);
  return rejectAndClean(ctx, pending, error);
}

/**
 * Verifies the quarantine object of `pending` and promotes it. Refusals are cleaned up and thrown as
 * `UploadRejectedError`; see the file comment for what stays pending.
 */
export async function verifyAndPromote(ctx: PolicyContext, pending: Pending): Promise<StoredFile> {
  let info: ObjectInfo | undefined;
  try {
    info = await headChecked(ctx, pending);
  } catch (error) {
    if (!isUploadRejected(error)) throw markCallFailure(ctx, 'finalize', await lostOr(ctx, pending, error));
    return refuse(ctx, pending, error);
  }
  if (info === undefined) {
    const missing = new UploadRejectedError('ERR_UPLOAD_INCOMPLETE', 'the file has not been uploaded yet');
    const error = await lostOr(ctx, pending, new Error('gone')).then((e) =>
      isUploadRejected(e) ? e : missing,
    );
    // Not there yet: the client may still send it. The upload goes on, so this is a call failure.
    throw markCallFailure(ctx, 'finalize', error);
  }
  const { sizeBytes, etag } = info;
  let checked: CheckedUpload;
  try {
    const type = await sniffed(ctx, pending, sizeBytes, etag);
    const scan = await scanned(ctx, pending, sizeBytes, etag);
    const disposition =
      type.disposition === 'attachment' ? contentDisposition(pending.filename, 'attachment') : undefined;
    checked = {
      sizeBytes,
      contentType: type.contentType,
      ext: type.ext,
      ...(disposition === undefined ? {} : { disposition }),
      ...(etag === undefined ? {} : { etag }),
      scan,
    };
  } catch (error) {
    if (isVersionMismatch(error)) throw markCallFailure(ctx, 'finalize', changedWhileChecked(error));
    if (isUploadRejected(error)) return refuse(ctx, pending, error);
    throw markCallFailure(ctx, 'finalize', await lostOr(ctx, pending, error));
  }
  return promote(ctx, pending, checked);
}
