/**
 * Server-side copy on S3 with the attributes replaced (`MetadataDirective: 'REPLACE'`). CopyObject takes
 * sources up to 5 GiB (the single-PUT limit); a bigger source is copied as a multipart upload of
 * UploadPartCopy ranges, so a large proxied upload can still be promoted without passing the bytes
 * through the server. Either way the copy is aborted, never left half-made, when a step fails.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { storeFailure } from './s3-rules.js';
import type { S3Context } from './s3-store.js';

/** What the copy sets on the new object. */
export interface CopyAttributes {
  readonly ContentType: string;
  readonly ContentDisposition?: string;
  readonly Metadata: Record<string, string>;
}

/**
 * `CopySource` is `bucket/key` with the key URL-encoded per segment: S3 decodes it, so a raw `+`
 * would arrive as a space and a raw `%` would start an escape.
 */
export const copySource = (bucket: string, key: string) =>
  `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

async function multipartCopy(
  s3: S3Context,
  fromKey: string,
  toKey: string,
  sizeBytes: number,
  attributes: CopyAttributes,
): Promise<string | undefined> {
  const { bucket } = s3;
  const created = await s3.call('copy', (c) =>
    c.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: toKey, ...attributes })),
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw storeFailure('s3', 'copy', 'NoUploadId');
  try {
    // The largest parts allowed: fewest requests (S3 refuses a source over maxParts × maxPartBytes).
    const partBytes = s3.limits.maxPartBytes;
    const parts: { PartNumber: number; ETag: string }[] = [];
    for (let start = 0, n = 1; start < sizeBytes; start += partBytes, n++) {
      const end = Math.min(sizeBytes, start + partBytes) - 1;
      const input = {
        Bucket: bucket,
        Key: toKey,
        UploadId: uploadId,
        PartNumber: n,
        CopySource: copySource(bucket, fromKey),
        CopySourceRange: `bytes=${start}-${end}`,
      };
      const out = await s3.call('copy', (c) => c.send(new UploadPartCopyCommand(input)));
      const etag = out.CopyPartResult?.ETag;
      if (etag === undefined) throw storeFailure('s3', 'copy', 'NoETag', `part ${n}`);
      parts.push({ PartNumber: n, ETag: etag });
    }
    const complete = { Bucket: bucket, Key: toKey, UploadId: uploadId, MultipartUpload: { Parts: parts } };
    const done = await s3.call('copy', (c) => c.send(new CompleteMultipartUploadCommand(complete)));
    return done.ETag;
  } catch (error) {
    const abort = { Bucket: bucket, Key: toKey, UploadId: uploadId };
    await s3.call('copy', (c) => c.send(new AbortMultipartUploadCommand(abort))).catch(() => undefined);
    throw error;
  }
}

/**
 * Copies `fromKey` (of `sizeBytes`) to `toKey` with `attributes`, by the request S3 allows for that
 * size; resolves the new object's ETag.
 */
export async function copyObject(
  s3: S3Context,
  fromKey: string,
  toKey: string,
  sizeBytes: number,
  attributes: CopyAttributes,
): Promise<string | undefined> {
  if (sizeBytes > s3.limits.maxSinglePutBytes)
    return multipartCopy(s3, fromKey, toKey, sizeBytes, attributes);
  const input = {
    Bucket: s3.bucket,
    Key: toKey,
    CopySource: copySource(s3.bucket, fromKey),
    MetadataDirective: 'REPLACE' as const,
    ...attributes,
  };
  const out = await s3.call('copy', (c) => c.send(new CopyObjectCommand(input)));
  return out.CopyObjectResult?.ETag;
}
