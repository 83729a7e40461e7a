/**
 * The server-side multipart writer both stores hand out for proxied uploads. The store supplies the
 * three S3 calls; this file keeps the order, the part numbers, the collected ETags and S3's part rules,
 * and refuses early what S3 would only refuse at completion (a short part that turned out not to be the
 * last), so a doomed upload stops sending bytes.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { storeFailure } from './s3-rules.js';
import type { MultipartLimits, MultipartWriter, ObjectInfo, UploadedPart } from './types.js';

/** The store calls a writer makes. */
export interface PartWriterCalls {
  readonly store: string;
  readonly key: string;
  readonly uploadId: string;
  readonly limits: MultipartLimits;
  /** Uploads one part; resolves its ETag. */
  uploadPart(partNumber: number, bytes: Uint8Array): Promise<string>;
  complete(parts: readonly UploadedPart[]): Promise<ObjectInfo>;
  /** Aborts; must succeed when the upload is already gone. */
  abort(): Promise<void>;
}

type WriterState = 'open' | 'completing' | 'completed' | 'aborted';

/** Builds a {@link MultipartWriter} over `calls`. Calls to `writePart` run one at a time, in call order. */
export function createPartWriter(calls: PartWriterCalls): MultipartWriter {
  const parts: UploadedPart[] = [];
  let state: WriterState = 'open';
  let lastPartBytes: number | undefined;
  let tail: Promise<unknown> = Promise.resolve();

  const fail = (code: string, detail: string) => storeFailure(calls.store, 'writePart', code, detail);

  const writeOne = async (bytes: Uint8Array): Promise<void> => {
    if (state !== 'open') throw fail('NoSuchUpload', `the writer is ${state}`);
    const partNumber = parts.length + 1;
    if (partNumber > calls.limits.maxParts) {
      throw fail('InvalidArgument', `part ${partNumber} is over the ${calls.limits.maxParts}-part limit`);
    }
    if (bytes.byteLength > calls.limits.maxPartBytes) throw fail('EntityTooLarge', 'part over the maximum');
    if (lastPartBytes !== undefined && lastPartBytes < calls.limits.minPartBytes) {
      // The previous part was short and is not the last after all: S3 would refuse it at completion.
      throw fail('EntityTooSmall', `part ${partNumber - 1} is under the minimum part size`);
    }
    const etag = await calls.uploadPart(partNumber, bytes);
    // Read again: abort() may have run while the part was in flight.
    if ((state as WriterState) === 'aborted') {
      // Aborted while this part was in flight: a part that lands after the abort would be kept (and
      // billed) by S3, so abort again now that it has landed.
      await calls.abort().catch(() => undefined);
      throw fail('NoSuchUpload', 'the writer was aborted');
    }
    parts.push({ partNumber, etag, sizeBytes: bytes.byteLength });
    lastPartBytes = bytes.byteLength;
  };

  const queue = <T>(run: () => Promise<T>): Promise<T> => {
    const next = tail.then(run, run);
    tail = next.catch(() => undefined);
    return next;
  };

  return {
    key: calls.key,
    uploadId: calls.uploadId,
    writePart(bytes) {
      if (!(bytes instanceof Uint8Array)) {
        return Promise.reject(new InvalidArgumentError('`writePart` takes a Uint8Array'));
      }
      return queue(() => writeOne(bytes));
    },
    complete() {
      return queue(async () => {
        if (state !== 'open') throw storeFailure(calls.store, 'complete', 'NoSuchUpload', `writer ${state}`);
        // S3 needs at least one part; an empty upload is one empty (last) part.
        if (parts.length === 0) await writeOne(new Uint8Array(0));
        state = 'completing';
        try {
          const info = await calls.complete(parts.map(({ partNumber, etag }) => ({ partNumber, etag })));
          state = 'completed';
          return info;
        } catch (error) {
          state = 'open';
          throw error;
        }
      });
    },
    abort() {
      // Not queued behind a slow part: abort is how a caller stops a stuck upload.
      if (state === 'aborted' || state === 'completed') return Promise.resolve();
      state = 'aborted';
      return calls.abort();
    },
  };
}
