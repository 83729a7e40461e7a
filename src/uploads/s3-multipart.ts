/**
 * Multipart calls of the S3 store: create, every page of ListParts and ListMultipartUploads, complete
 * (S3 itself refuses a short non-last part: `EntityTooSmall`), an idempotent abort, and the server-side
 * writer (one UploadPart per `writePart`, completed with the ETags S3 returned).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { InvalidArgumentError, StoreError } from '../core/errors.js';
import { sdkErrorCode, sdkStatus } from './s3-errors.js';
import { checkHeaderValue, checkKey, checkMetadata, checkUploadId, storeFailure } from './s3-rules.js';
import type { S3Context } from './s3-store.js';
import { createPartWriter } from './s3-writer.js';
import type { ObjectStore, UploadedPart } from './types.js';

type MultipartCalls = Pick<
  ObjectStore,
  | 'createMultipart'
  | 'listParts'
  | 'completeMultipart'
  | 'abortMultipart'
  | 'listMultipartUploads'
  | 'openMultipartWriter'
>;

/**
 * radosgw answers `NoSuchKey` where AWS answers `NoSuchUpload` (an aborted or completed upload): on an
 * upload's own calls a 404 means the upload is gone, and callers get the one code for it.
 */
async function onUpload<T>(op: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const cause = error instanceof StoreError ? error.cause : error;
    if (sdkStatus(cause) === 404 && sdkErrorCode(cause) !== 'NoSuchUpload') {
      throw storeFailure('s3', op, 'NoSuchUpload', `the server answered ${sdkErrorCode(cause)}`);
    }
    throw error;
  }
}

function checkParts(parts: unknown): readonly UploadedPart[] {
  if (!Array.isArray(parts)) throw new InvalidArgumentError('`parts` must be an array');
  for (const part of parts as unknown[]) {
    const p = part as Partial<UploadedPart> | null;
    if (
      typeof p !== 'object' ||
      p === null ||
      !Number.isSafeInteger(p.partNumber) ||
      typeof p.etag !== 'string'
    ) {
      throw new InvalidArgumentError('each part needs an integer `partNumber` and a string `etag`');
    }
  }
  return parts as readonly UploadedPart[];
}

/** The multipart calls of one S3 store; `head` gives the completed object's info. */
export function createS3Multipart(s3: S3Context, head: ObjectStore['head']): MultipartCalls {
  const { bucket } = s3;
  const createMultipart: ObjectStore['createMultipart'] = async (key, contentType, metadata) => {
    checkKey(key);
    const input = {
      Bucket: bucket,
      Key: key,
      ContentType: checkHeaderValue(contentType, 'contentType'),
      Metadata: { ...checkMetadata(metadata) },
    };
    const out = await s3.call('createMultipart', (c) => c.send(new CreateMultipartUploadCommand(input)));
    if (out.UploadId === undefined) throw storeFailure('s3', 'createMultipart', 'NoUploadId');
    return out.UploadId;
  };
  const completeMultipart: ObjectStore['completeMultipart'] = async (key, uploadId, parts) => {
    checkKey(key);
    const list = checkParts(parts).map((p) => ({ PartNumber: p.partNumber, ETag: p.etag }));
    const input = {
      Bucket: bucket,
      Key: key,
      UploadId: checkUploadId(uploadId),
      MultipartUpload: { Parts: list },
    };
    await onUpload('completeMultipart', () =>
      s3.call('completeMultipart', (c) => c.send(new CompleteMultipartUploadCommand(input))),
    );
    const info = await head(key);
    if (info === undefined)
      throw storeFailure('s3', 'completeMultipart', 'NoSuchKey', 'not visible after completion');
    return info;
  };
  const abortMultipart: ObjectStore['abortMultipart'] = async (key, uploadId) => {
    checkKey(key);
    const input = { Bucket: bucket, Key: key, UploadId: checkUploadId(uploadId) };
    await s3.call('abortMultipart', async (c) => {
      try {
        await c.send(new AbortMultipartUploadCommand(input));
      } catch (error) {
        // Already aborted or completed: what abort wants. Anything else is a real failure.
        if (sdkErrorCode(error) !== 'NoSuchUpload' && sdkStatus(error) !== 404) throw error;
      }
    });
  };
  return {
    createMultipart,
    async listParts(key, uploadId) {
      checkKey(key);
      checkUploadId(uploadId);
      const parts: UploadedPart[] = [];
      let marker: string | undefined;
      do {
        const input = {
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumberMarker: marker,
          MaxParts: s3.listPageSize,
        };
        const page = await onUpload('listParts', () =>
          s3.call('listParts', (c) => c.send(new ListPartsCommand(input))),
        );
        for (const p of page.Parts ?? []) {
          if (p.PartNumber === undefined || p.ETag === undefined) continue;
          parts.push({ partNumber: p.PartNumber, etag: p.ETag, sizeBytes: p.Size ?? 0 });
        }
        marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
      } while (marker !== undefined);
      return parts;
    },
    completeMultipart,
    abortMultipart,
    async listMultipartUploads(prefix) {
      if (typeof prefix !== 'string') throw new InvalidArgumentError('`prefix` must be a string');
      const uploads: { key: string; uploadId: string; startedAtMs: number }[] = [];
      let keyMarker: string | undefined;
      let idMarker: string | undefined;
      do {
        const input = {
          Bucket: bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: idMarker,
          MaxUploads: s3.listPageSize,
        };
        const page = await s3.call('listMultipartUploads', (c) =>
          c.send(new ListMultipartUploadsCommand(input)),
        );
        for (const u of page.Uploads ?? []) {
          if (u.Key === undefined || u.UploadId === undefined) continue;
          uploads.push({ key: u.Key, uploadId: u.UploadId, startedAtMs: u.Initiated?.getTime() ?? 0 });
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        idMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } while (keyMarker !== undefined);
      return uploads;
    },
    async openMultipartWriter(key, contentType, metadata) {
      const uploadId = await createMultipart(key, contentType, metadata);
      return createPartWriter({
        store: 's3',
        key,
        uploadId,
        limits: s3.limits,
        async uploadPart(partNumber, bytes) {
          const input = { Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: bytes };
          const out = await onUpload('writePart', () =>
            s3.call('writePart', (c) =>
              c.send(new UploadPartCommand({ ...input, ContentLength: bytes.byteLength })),
            ),
          );
          if (out.ETag === undefined) throw storeFailure('s3', 'writePart', 'NoETag');
          return out.ETag;
        },
        complete: (parts) => completeMultipart(key, uploadId, parts),
        abort: () => abortMultipart(key, uploadId),
      });
    },
  };
}
