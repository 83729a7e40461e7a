/**
 * Proxied uploads, `policy.proxy(request)`: admit (declaration checks, quota reserved: the declared size,
 * or the type's limit when the client did not say), stream the body through the pipeline
 * (stream-pipeline.ts) into a multipart upload under the quarantine prefix, then promote (the quota
 * settled to the actual size). Any failure, refusal or not, ends the upload: the pipeline has aborted the
 * multipart upload, `rejectAndClean` releases the reservation, and the error is thrown, counted once in
 * `uploads.failures{mode="proxied"}`.
 *
 * The body is never drained after a refusal and a Node stream is never destroyed by the policy: answer
 * the error (`httpStatus`) with `Connection: close`, and the HTTP server closes the connection.
 */
import { InvalidArgumentError, StoreError } from '../core/errors.js';
import { admit } from './admit.js';
import { contentDisposition } from './content-disposition.js';
import { isUploadRejected, UploadRejectedError } from './errors.js';
import type { Pending } from './pending.js';
import type { PolicyContext, ResolvedScan } from './policy-context.js';
import { declaredSize, markCounted } from './policy-failures.js';
import type { ProxiedUploadRequest, StoredFile } from './policy-types.js';
import { type CheckedUpload, promote, rejectAndClean } from './promote.js';
import { DEFAULT_MAX_SVG_BYTES, type SniffResult, sniffType } from './sniff.js';
import { type PipelineResult, type PipelineScan, runUploadPipeline } from './stream-pipeline.js';
import type { MultipartWriter, ScanVerdict } from './types.js';

const MODE = 'proxied';
const SVG = 'image/svg+xml';

/**
 * What a verdict means under the policy's fallbacks: the `scan` field of the stored file, or a refusal
 * (ERR_UPLOAD_INFECTED, ERR_UPLOAD_SCAN_TOO_LARGE, ERR_UPLOAD_SCAN_UNAVAILABLE). Only `clean` is clean.
 */
export function scanOutcome(
  scan: ResolvedScan,
  verdict: ScanVerdict,
  sizeBytes: number | undefined,
): CheckedUpload['scan'] {
  const size = sizeBytes === undefined ? {} : { sizeBytes };
  switch (verdict.status) {
    case 'clean':
      return 'clean';
    case 'infected':
      throw new UploadRejectedError('ERR_UPLOAD_INFECTED', 'the file contains malware', {
        signature: verdict.signature,
        ...size,
      });
    case 'too_large':
      if (scan.onTooLarge === 'accept') return 'accepted_too_large';
      throw new UploadRejectedError('ERR_UPLOAD_SCAN_TOO_LARGE', 'the file is too large to scan', {
        limitBytes: verdict.limitBytes,
        ...size,
      });
    default:
      if (scan.onUnavailable === 'accept') return 'accepted_unavailable';
      throw new UploadRejectedError('ERR_UPLOAD_SCAN_UNAVAILABLE', 'the virus scanner is unavailable', size);
  }
}

/** Checks the request's shape before anything is reserved: a bug in the caller, so an argument error. */
function checkRequest(request: unknown): ProxiedUploadRequest {
  if (typeof request !== 'object' || request === null) {
    throw new InvalidArgumentError('the upload request must be an object');
  }
  const { body, signal } = request as Partial<ProxiedUploadRequest>;
  if (typeof body !== 'object' || body === null) {
    throw new InvalidArgumentError('`body` must be the request body (a stream or an async iterable)');
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('`signal` must be an AbortSignal');
  }
  return request as ProxiedUploadRequest;
}

/** The head the sniffer needs: an SVG is checked whole (up to its limit), any other type by its head. */
function headBytesFor(ctx: PolicyContext, pending: Pending): number {
  return pending.declaredType === SVG ? DEFAULT_MAX_SVG_BYTES + 1 : ctx.sniffBytes;
}

/** One proxied body through the pipeline; resolves what promote needs. */
async function stream(
  ctx: PolicyContext,
  pending: Pending,
  request: ProxiedUploadRequest,
  state: { writer?: MultipartWriter; abortFailed?: boolean },
): Promise<{ result: PipelineResult; type: SniffResult }> {
  const headBytes = headBytesFor(ctx, pending);
  let type: SniffResult | undefined;
  const onHead = async (head: Uint8Array) => {
    if (pending.declaredType === SVG && head.byteLength >= headBytes) {
      throw new UploadRejectedError('ERR_UPLOAD_TOO_LARGE', 'an SVG file is larger than can be checked', {
        limitBytes: DEFAULT_MAX_SVG_BYTES,
      });
    }
    type = await sniffType({
      head,
      // A head shorter than asked for is the whole body.
      ...(head.byteLength < headBytes ? { totalBytes: head.byteLength } : {}),
      declaredType: pending.declaredType,
      allowed: ctx.types.keys(),
      ...(ctx.detector === undefined ? {} : { detector: ctx.detector }),
      svg: ctx.svg,
      clock: ctx.clock,
    });
  };
  const scanPolicy = ctx.scan;
  const scan: PipelineScan | undefined =
    scanPolicy === undefined
      ? undefined
      : {
          scanner: scanPolicy.scanner,
          onVerdict: (verdict) => void scanOutcome(scanPolicy, verdict, pending.declaredBytes),
        };
  const run = runUploadPipeline({
    body: request.body,
    ...(request.signal === undefined ? {} : { signal: request.signal }),
    clock: ctx.clock,
    idleTimeoutMs: ctx.idleTimeoutMs,
    totalTimeoutMs: ctx.totalTimeoutMs,
    maxBytes: pending.reservedBytes,
    ...(pending.declaredBytes === undefined ? {} : { declaredBytes: pending.declaredBytes }),
    headBytes,
    onHead,
    partSizeBytes: ctx.partSizeBytes,
    openWriter: async () => {
      const contentType = type?.contentType ?? 'application/octet-stream';
      state.writer = await ctx.storage.openMultipartWriter(pending.key, contentType, {
        'upload-id': pending.uploadId,
      });
      return state.writer;
    },
    ...(scan === undefined ? {} : { scan }),
    onCleanupFailure: () => {
      state.abortFailed = true;
      ctx.instruments.cleanupFailure(MODE, 'abort');
    },
  });
  const result = await run.result;
  if (result.object.sizeBytes !== result.sizeBytes) {
    throw new StoreError(
      `uploads: the store holds ${result.object.sizeBytes} bytes of a ${result.sizeBytes}-byte upload`,
    );
  }
  return { result, type: type! };
}

/**
 * Streams `request.body` through the checks into storage and promotes it; see the file comment.
 * Counted in `uploads.attempts{mode="proxied"}`.
 */
export async function proxyUpload(ctx: PolicyContext, request: ProxiedUploadRequest): Promise<StoredFile> {
  ctx.instruments.attempt(MODE, declaredSize(request?.sizeBytes));
  try {
    checkRequest(request);
  } catch (error) {
    throw markCounted(ctx, MODE, declaredSize(request?.sizeBytes), error);
  }
  const pending = await admit(ctx, request, MODE);
  const state: Parameters<typeof stream>[3] = {};
  let streamed: Awaited<ReturnType<typeof stream>>;
  try {
    streamed = await stream(ctx, pending, request, state);
  } catch (error) {
    // The pipeline aborted the multipart upload; only when that failed does rejectAndClean try again.
    const retryAbort = state.abortFailed === true && state.writer !== undefined;
    const cleaned = retryAbort ? { ...pending, multipartUploadId: state.writer!.uploadId } : pending;
    return rejectAndClean(ctx, cleaned, error);
  }
  const { result, type } = streamed;
  const scanned: CheckedUpload['scan'] =
    ctx.scan === undefined || result.verdict === undefined
      ? 'not_scanned'
      : scanOutcome(ctx.scan, result.verdict, result.sizeBytes);
  const disposition =
    type.disposition === 'attachment' ? contentDisposition(pending.filename, 'attachment') : undefined;
  try {
    return await promote(ctx, pending, {
      sizeBytes: result.sizeBytes,
      contentType: type.contentType,
      ext: type.ext,
      ...(disposition === undefined ? {} : { disposition }),
      scan: scanned,
    });
  } catch (error) {
    // promote leaves a failed upload pending so `finalize` can retry it; nothing finalizes a proxied
    // upload but this request, so clean now (a lost race, ERR_UPLOAD_NOT_FOUND, has nothing left to clean).
    if (isUploadRejected(error, 'ERR_UPLOAD_NOT_FOUND')) throw error;
    return rejectAndClean(ctx, pending, error);
  }
}
