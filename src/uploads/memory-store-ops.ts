/**
 * The memory store's {@link ObjectStore} methods other than presigning: objects (put, head, reads,
 * copy, delete, list) and multipart uploads (create, list, complete, abort, the server-side writer).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { createMemoryPresigning } from './memory-store-presign.js';
import type { Signer } from './memory-store-signing.js';
import {
  bareEtag,
  completeUpload,
  infoOf,
  type MemoryState,
  openUpload,
  storeObject,
  storePart,
  uploadOf,
} from './memory-store-state.js';
import {
  checkHeaderValue,
  checkKey,
  checkMetadata,
  checkUploadId,
  compareKeys,
  storeFailure,
} from './s3-rules.js';
import { createPartWriter } from './s3-writer.js';
import type { ByteSource, ObjectStore } from './types.js';

/** Chunk size of `read` streams: small enough that a reader sees several chunks of a modest file. */
const READ_CHUNK_BYTES = 64 * 1024;

function checkRange(start: unknown, endInclusive: unknown): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(endInclusive)) {
    throw new InvalidArgumentError('`start` and `endInclusive` must be integers');
  }
  if ((start as number) < 0 || (endInclusive as number) < (start as number)) {
    throw new InvalidArgumentError('the range must satisfy 0 <= start <= endInclusive');
  }
}

/** An `ifMatch` argument: absent, or an ETag as a header carries it (checked like the S3 adapter). */
const checkIfMatch = (ifMatch: unknown): string | undefined =>
  ifMatch === undefined ? undefined : checkHeaderValue(ifMatch, 'ifMatch');

async function* chunksOf(bytes: Uint8Array, signal: AbortSignal | undefined): ByteSource {
  for (let at = 0; at < bytes.byteLength; at += READ_CHUNK_BYTES) {
    signal?.throwIfAborted();
    yield bytes.slice(at, at + READ_CHUNK_BYTES);
  }
}

/** Every {@link ObjectStore} method of one memory store. */
export function createMemoryOperations(state: MemoryState, signer: Signer, base: string): ObjectStore {
  const objectOf = (op: string, key: string) => {
    const object = state.objects.get(checkKey(key));
    if (object === undefined) throw storeFailure(state.name, op, 'NoSuchKey');
    return object;
  };
  // The object, and only as version `ifMatch` when given (S3's If-Match: ETags compared unquoted).
  const versionOf = (op: string, key: string, ifMatch: unknown) => {
    const condition = checkIfMatch(ifMatch);
    const object = objectOf(op, key);
    if (condition !== undefined && bareEtag(condition) !== bareEtag(object.etag)) {
      throw storeFailure(state.name, op, 'PreconditionFailed', 'the object is not the version asked for');
    }
    return object;
  };
  const createMultipart: ObjectStore['createMultipart'] = async (key, contentType, metadata) =>
    openUpload(state, checkKey(key), checkHeaderValue(contentType, 'contentType'), checkMetadata(metadata));
  const completeMultipart: ObjectStore['completeMultipart'] = async (key, uploadId, parts) => {
    if (!Array.isArray(parts)) throw new InvalidArgumentError('`parts` must be an array');
    return completeUpload(state, checkKey(key), checkUploadId(uploadId), parts);
  };
  const abortMultipart: ObjectStore['abortMultipart'] = async (key, uploadId) => {
    const upload = state.uploads.get(checkUploadId(uploadId));
    // Idempotent like the S3 adapter's: an upload already gone is what abort wants.
    if (upload !== undefined && upload.key === checkKey(key)) state.uploads.delete(uploadId);
  };
  return {
    name: state.name,
    multipartLimits: state.limits,
    ...createMemoryPresigning(state, signer, base),
    createMultipart,
    async listParts(key, uploadId) {
      const upload = uploadOf(state, 'listParts', checkKey(key), checkUploadId(uploadId));
      return [...upload.parts.entries()]
        .sort(([a], [b]) => a - b)
        .map(([partNumber, part]) => ({ partNumber, etag: part.etag, sizeBytes: part.bytes.byteLength }));
    },
    completeMultipart,
    abortMultipart,
    async listMultipartUploads(prefix) {
      if (typeof prefix !== 'string') throw new InvalidArgumentError('`prefix` must be a string');
      return [...state.uploads.values()]
        .filter((u) => u.key.startsWith(prefix))
        .sort((a, b) => compareKeys(a.key, b.key) || a.startedAtMs - b.startedAtMs)
        .map(({ key, uploadId, startedAtMs }) => ({ key, uploadId, startedAtMs }));
    },
    async openMultipartWriter(key, contentType, metadata) {
      const uploadId = await createMultipart(key, contentType, metadata);
      return createPartWriter({
        store: state.name,
        key,
        uploadId,
        limits: state.limits,
        async uploadPart(partNumber, bytes) {
          const stored = storePart(
            uploadOf(state, 'writePart', key, uploadId),
            state.limits,
            partNumber,
            bytes,
          );
          if (!stored.ok) throw storeFailure(state.name, 'writePart', stored.code);
          return stored.etag;
        },
        complete: (parts) => completeMultipart(key, uploadId, parts),
        abort: () => abortMultipart(key, uploadId),
      });
    },
    async put(key, body, contentType, metadata) {
      if (!(body instanceof Uint8Array)) throw new InvalidArgumentError('`body` must be a Uint8Array');
      return storeObject(state, checkKey(key), body, {
        contentType: checkHeaderValue(contentType, 'contentType'),
        contentDisposition: undefined,
        metadata: checkMetadata(metadata),
      });
    },
    async head(key) {
      const object = state.objects.get(checkKey(key));
      return object === undefined ? undefined : infoOf(key, object);
    },
    async readRange(key, start, endInclusive, ifMatch) {
      checkRange(start, endInclusive);
      return versionOf('readRange', key, ifMatch).bytes.slice(start, endInclusive + 1);
    },
    async read(key, signal, ifMatch) {
      const condition = checkIfMatch(ifMatch);
      signal?.throwIfAborted();
      // The object as it is now: a later overwrite does not change a stream already handed out.
      return chunksOf(versionOf('read', key, condition).bytes, signal);
    },
    async copy(fromKey, toKey, options) {
      checkKey(toKey, 'toKey');
      if (typeof options !== 'object' || options === null) {
        throw new InvalidArgumentError('`copy` takes an options object');
      }
      // Checked and copied in one step: nothing can come between (S3's CopySourceIfMatch).
      const source = versionOf('copy', fromKey, options.ifMatch);
      const disposition = options.contentDisposition;
      return storeObject(
        state,
        toKey,
        source.bytes,
        {
          contentType: checkHeaderValue(options.contentType, 'contentType'),
          contentDisposition:
            disposition === undefined ? undefined : checkHeaderValue(disposition, 'contentDisposition'),
          metadata: checkMetadata(options.metadata),
        },
        true,
      );
    },
    async delete(key) {
      state.objects.delete(checkKey(key));
    },
    async list(prefix) {
      if (typeof prefix !== 'string') throw new InvalidArgumentError('`prefix` must be a string');
      return [...state.objects.entries()]
        .filter(([key]) => key.startsWith(prefix))
        .sort(([a], [b]) => compareKeys(a, b))
        .map(([key, o]) => ({ key, sizeBytes: o.bytes.byteLength, lastModifiedMs: o.lastModifiedMs }));
    },
  };
}
