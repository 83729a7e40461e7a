/**
 * The streamed read of the S3 store. A GetObject body holds one socket of the client's pool until it
 * is read to the end or destroyed; a caller that gives up without reading (the scanner when clamd is
 * down) would leave it held, and a few dozen such reads exhaust the pool so that every later S3 call
 * of the process waits forever. So the body is destroyed when the caller's signal aborts, when the
 * iterator is closed early (`return()`, `break` in `for await`), and when reading it fails.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { InvalidArgumentError } from '../core/errors.js';
import { sdkErrorCode, sdkStatus, toStoreError } from './s3-errors.js';
import { checkHeaderValue, checkKey, storeFailure } from './s3-rules.js';
import type { S3Context } from './s3-store.js';
import type { ByteSource, ObjectInfo, ObjectStore } from './types.js';

/** The store's HEAD (undefined for a missing key). */
export type S3ObjectsHead = (key: string) => Promise<ObjectInfo | undefined>;

/** What the source needs of an SDK body: its chunks, and a way to drop the connection. */
interface SdkBody extends AsyncIterable<Uint8Array> {
  destroy?(error?: Error): void;
}

/** True when the SDK error (or the cause of a wrapped one) is S3's answer to a failed condition (412). */
export const isPreconditionFailed = (error: unknown): boolean =>
  sdkStatus(error) === 412 || sdkStatus((error as { cause?: unknown } | undefined)?.cause) === 412;

/**
 * Wraps a GetObject body as a {@link ByteSource} that releases its connection on abort, on early close
 * and on failure. A mid-stream failure is a `StoreError`; after an abort, the signal's reason.
 */
export function releasingSource(bucket: string, body: SdkBody, signal?: AbortSignal): ByteSource {
  let settled = false;
  const release = () => {
    if (settled) return;
    settled = true;
    signal?.removeEventListener('abort', release);
    body.destroy?.();
  };
  if (signal?.aborted) release();
  else signal?.addEventListener('abort', release, { once: true });
  let inner: AsyncIterator<Uint8Array> | undefined;
  const iterator: AsyncIterableIterator<Uint8Array> = {
    [Symbol.asyncIterator]() {
      return iterator;
    },
    async next() {
      try {
        signal?.throwIfAborted();
        inner ??= body[Symbol.asyncIterator]();
        const step = await inner.next();
        signal?.throwIfAborted();
        if (step.done) {
          // Read to the end: the socket went back to the pool; only the listener is left to drop.
          settled = true;
          signal?.removeEventListener('abort', release);
        }
        return step;
      } catch (error) {
        release();
        if (signal?.aborted) throw signal.reason;
        throw toStoreError(bucket, 'read', error);
      }
    },
    async return() {
      release();
      return { done: true, value: undefined };
    },
  };
  return iterator;
}

/** An `ifMatch` argument: absent, or an ETag as a header carries it. */
export const checkIfMatch = (ifMatch: unknown): string | undefined =>
  ifMatch === undefined ? undefined : checkHeaderValue(ifMatch, 'ifMatch');

/** `PreconditionFailed` as both stores word it, whatever the server's body said; else `error`. */
export const conditionOr = (op: string, error: unknown): unknown =>
  isPreconditionFailed(error)
    ? storeFailure('s3', op, 'PreconditionFailed', 'not the version asked for')
    : error;

function checkRange(start: unknown, endInclusive: unknown): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(endInclusive)) {
    throw new InvalidArgumentError('`start` and `endInclusive` must be integers');
  }
  if ((start as number) < 0 || (endInclusive as number) < (start as number)) {
    throw new InvalidArgumentError('the range must satisfy 0 <= start <= endInclusive');
  }
}

/** `readRange` and `read` of one S3 store, each of one version with `ifMatch` (GetObject `IfMatch`). */
export function createS3Reads(s3: S3Context): Pick<ObjectStore, 'readRange' | 'read'> {
  const { bucket } = s3;
  return {
    async readRange(key, start, endInclusive, ifMatch) {
      checkKey(key);
      checkRange(start, endInclusive);
      const condition = checkIfMatch(ifMatch);
      return s3.call('readRange', async (client) => {
        try {
          const out = await client.send(
            new GetObjectCommand({
              Bucket: bucket,
              Key: key,
              Range: `bytes=${start}-${endInclusive}`,
              ...(condition === undefined ? {} : { IfMatch: condition }),
            }),
          );
          const bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array(0);
          // A server that ignores Range (some do for empty objects) sends it all: keep what was asked.
          return bytes.byteLength > endInclusive - start + 1 ? bytes.slice(start, endInclusive + 1) : bytes;
        } catch (error) {
          // 416: the object exists and is shorter than `start` (an empty object always is).
          if (sdkStatus(error) === 416 || sdkErrorCode(error) === 'InvalidRange') return new Uint8Array(0);
          throw conditionOr('readRange', error);
        }
      });
    },
    async read(key, signal, ifMatch) {
      checkKey(key);
      const condition = checkIfMatch(ifMatch);
      signal?.throwIfAborted();
      const input = { Bucket: bucket, Key: key, ...(condition === undefined ? {} : { IfMatch: condition }) };
      const out = await s3
        .call('read', async (client) => {
          try {
            return await client.send(new GetObjectCommand(input), { abortSignal: signal });
          } catch (error) {
            throw conditionOr('read', error);
          }
        })
        .catch((error: unknown) => {
          throw signal?.aborted ? signal.reason : error;
        });
      const body = out.Body as unknown as (AsyncIterable<Uint8Array> & { destroy?(): void }) | undefined;
      if (body === undefined || typeof body[Symbol.asyncIterator] !== 'function') {
        body?.destroy?.();
        throw storeFailure('s3', 'read', 'NoBody', 'the response has no streamable body');
      }
      return releasingSource(bucket, body, signal);
    },
  };
}
