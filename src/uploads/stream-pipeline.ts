/**
 * The proxied-upload pipeline: a request body streamed through the byte limit, the deadlines, the head
 * check and (optionally) the scanner into a multipart upload, in constant memory and with no temp file.
 *
 * ```
 * body ─▶ reader ─▶ byte limit ─▶ head gate ─┬─▶ part assembler ─▶ MultipartWriter (store)
 *        (idle/total deadlines)              └─▶ scan tee (bounded queue) ─▶ VirusScanner
 * ```
 *
 * Order of events: the head is checked before the first part exists; the writer (the multipart upload) is
 * opened with the first part; after the last byte the last part is written, then the scan verdict is
 * awaited, and only a verdict `onVerdict` accepts completes the upload. Any failure (a refusal, a deadline,
 * the caller's `signal`, a client that went away, the store) stops reading at once, cancels the scan and
 * aborts the multipart upload before the error is thrown (without waiting for a part in flight; the
 * upload is aborted again once that part settled).
 *
 * Memory per upload: about 2 × `partSizeBytes` (one part filling, one uploading) + the scan queue
 * (1 MiB by default) + the head (`headBytes`) + whatever the source buffers itself (a socket's high-water mark).
 *
 * Small bodies go through the multipart writer too (one part): one code path for every size, one way to
 * abort; the price is two more store round trips for a body under one part.
 */
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import { UploadRejectedError } from './errors.js';
import { startDeadlines } from './stream-deadline.js';
import { createHeadCapture } from './stream-head.js';
import { createByteLimit } from './stream-limit.js';
import { createPartAssembler } from './stream-parts.js';
import { type ScanTee, startScanTee } from './stream-scan.js';
import { openChunkReader } from './stream-source.js';
import type { MultipartWriter, ObjectInfo, ScanVerdict, VirusScanner } from './types.js';

/** Scanning inside the pipeline. */
export interface PipelineScan {
  readonly scanner: VirusScanner;
  /** Decides on a verdict (early or final): returns to accept, throws an `UploadRejectedError` to refuse. */
  readonly onVerdict: (verdict: ScanVerdict) => void;
  /** Bound of the queue to the scanner, bytes. */
  readonly maxQueuedBytes?: number;
}

/** Options of {@link runUploadPipeline}. */
export interface PipelineOptions {
  /** The request body: Node Readable, web ReadableStream or async iterable of Uint8Array. */
  readonly body: unknown;
  readonly signal?: AbortSignal;
  readonly clock: Clock;
  readonly idleTimeoutMs: number;
  readonly totalTimeoutMs: number;
  /** Largest body accepted, bytes. */
  readonly maxBytes: number;
  /** Declared size: the body must be exactly this long. */
  readonly declaredBytes?: number;
  /** Leading bytes held back for `onHead`. */
  readonly headBytes: number;
  /** Checks the head before anything is stored; throws to refuse. */
  readonly onHead: (head: Uint8Array) => void | Promise<void>;
  readonly partSizeBytes: number;
  /** Opens the multipart upload (called with the first part, never for an empty or refused body). */
  readonly openWriter: () => Promise<MultipartWriter>;
  readonly scan?: PipelineScan;
  /** The multipart abort failed during cleanup (the original error is still thrown). */
  readonly onCleanupFailure?: (error: unknown) => void;
}

/** What a pipeline that succeeded produced. */
export interface PipelineResult {
  /** Bytes received and stored. */
  readonly sizeBytes: number;
  /** The bytes `onHead` checked. */
  readonly head: Uint8Array;
  /** The completed object. */
  readonly object: ObjectInfo;
  readonly parts: number;
  /** The scanner's verdict, when there is a scanner (already accepted by `onVerdict`). */
  readonly verdict: ScanVerdict | undefined;
}

/** A pipeline run whose received byte count the caller can read even when it fails. */
export interface PipelineRun {
  readonly result: Promise<PipelineResult>;
  /** Bytes received so far (for the failure's size bucket). */
  readonly receivedBytes: () => number;
}

const aborted = (message: string, cause?: unknown) =>
  new UploadRejectedError('ERR_UPLOAD_ABORTED', message, {}, cause === undefined ? undefined : { cause });

/** A read failure is the client's doing (ERR_UPLOAD_ABORTED), except a chunk that is not bytes. */
const readFailure = (error: unknown) =>
  error instanceof InvalidArgumentError || error instanceof UploadRejectedError
    ? error
    : aborted('the request body failed or closed before its end', error);

/** Starts the pipeline; see the module comment. */
export function runUploadPipeline(options: PipelineOptions): PipelineRun {
  const limit = createByteLimit({
    maxBytes: options.maxBytes,
    ...(options.declaredBytes === undefined ? {} : { declaredBytes: options.declaredBytes }),
  });
  return { result: run(options, limit), receivedBytes: () => limit.receivedBytes };
}

async function run(
  options: PipelineOptions,
  limit: ReturnType<typeof createByteLimit>,
): Promise<PipelineResult> {
  const control = new AbortController();
  const fail = (error: unknown) => {
    if (!control.signal.aborted) control.abort(error);
  };
  const guard = guardWith(control.signal);
  const onCallerAbort = () => fail(aborted('the upload was cancelled', options.signal?.reason));
  if (options.signal?.aborted) onCallerAbort();
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });

  let reader: ReturnType<typeof openChunkReader> | undefined;
  const deadlines = startDeadlines({ ...options, onTimeout: fail });
  const head = createHeadCapture(options);
  const parts = createPartAssembler({
    ...options,
    onFailure: fail,
    ...(options.onCleanupFailure === undefined ? {} : { onLateAbortFailure: options.onCleanupFailure }),
  });
  let tee: ScanTee | undefined;
  const scan = options.scan;
  const forward = async (chunks: readonly Uint8Array[]) => {
    for (const chunk of chunks) {
      if (scan !== undefined) {
        tee ??= startScanTee({
          scanner: scan.scanner,
          signal: control.signal,
          ...(options.declaredBytes === undefined ? {} : { sizeBytes: options.declaredBytes }),
          ...(scan.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: scan.maxQueuedBytes }),
          onEarlyVerdict: (verdict) => {
            try {
              scan.onVerdict(verdict);
            } catch (error) {
              fail(error);
            }
          },
        });
        await guard(tee.push(chunk));
      }
      await guard(parts.push(chunk));
    }
  };

  try {
    reader = openChunkReader(options.body, { onFailure: (error) => fail(readFailure(error)) });
    for (;;) {
      deadlines.readStarted();
      const chunk = await guard(reader.read().catch((error: unknown) => Promise.reject(readFailure(error))));
      // An empty chunk is no progress: the idle clock keeps running from the last byte.
      if (chunk !== undefined && chunk.byteLength === 0) continue;
      deadlines.readEnded();
      if (chunk === undefined) break;
      limit.count(chunk);
      await forward(await guard(head.push(chunk)));
    }
    deadlines.stop();
    limit.checkEnd();
    await forward(await guard(head.finish()));
    tee?.end();
    await guard(parts.flush());
    const verdict = tee === undefined ? undefined : await guard(tee.verdict);
    if (verdict !== undefined) scan?.onVerdict(verdict);
    const object = await guard(parts.complete());
    return { sizeBytes: limit.receivedBytes, head: head.head!, object, parts: parts.partsSent, verdict };
  } catch (thrown) {
    const error = control.signal.aborted ? control.signal.reason : thrown;
    fail(error);
    deadlines.stop();
    reader?.release();
    await parts.abort().catch((cleanupError: unknown) => options.onCleanupFailure?.(cleanupError));
    throw error;
  } finally {
    deadlines.stop();
    reader?.release();
    options.signal?.removeEventListener('abort', onCallerAbort);
  }
}

/**
 * `guard(p)` settles like `p`, or rejects with the signal's reason as soon as it aborts. A listener per
 * call, removed when `p` settles (a race against one long-lived promise would pile up reactions).
 */
function guardWith(signal: AbortSignal) {
  return <T>(promise: Promise<T>): Promise<T> => {
    if (signal.aborted) {
      promise.catch(() => {});
      return Promise.reject(signal.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  };
}
