/**
 * Server-side copy on S3 with the attributes replaced (`MetadataDirective: 'REPLACE'`). CopyObject takes
 * sources up to 5 GiB (the single-PUT limit); a bigger source is copied as a multipart upload of
 * UploadPartCopy ranges, so a large proxied upload can still be promoted without passing the bytes
 * through the server. Either way the copy is aborted, never left half-made, when a step fails.
 *
 * With `ifMatch` only that version of the source is copied (the one the policy checked). S3 takes
 * `x-amz-copy-source-if-match` on both requests; radosgw 16.2 reads CopyObject's condition under its
 * older name `x-amz-copy-if-match` and checks no condition on UploadPartCopy (pinned in
 * test/uploads/s3-copy-if-match.test.ts). So CopyObject sends both names, and a part copy also checks the
 * source's ETag by HEAD before the first part and after the last, aborting when it changed.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { S3ObjectsHead } from './s3-read.js';
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

/** The source to copy: its key, size and, when given, the only ETag it may have. */
export interface CopySourceVersion {
  readonly key: string;
  readonly sizeBytes: number;
  readonly ifMatch?: string;
}

/** A `StoreError` with S3's code for a failed condition, as S3 itself answers one. */
export const preconditionFailed = (op: string) =>
  storeFailure('s3', op, 'PreconditionFailed', 'the source is not the version asked for');

const bare = (etag: string | undefined) => etag?.replace(/^"(.*)"$/, '$1');

/**
 * Adds radosgw 16.2's name of CopyObject's condition (it ignores the S3 name). Added before signing, so
 * it is signed like the rest; a server that does not know the header ignores it.
 */
function withLegacyCondition<C extends { middlewareStack: CopyObjectCommand['middlewareStack'] }>(
  command: C,
  ifMatch: string | undefined,
): C {
  if (ifMatch === undefined) return command;
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-copy-if-match'] = ifMatch;
      return next(args);
    },
    { step: 'build', name: 'radosgwCopyIfMatch' },
  );
  return command;
}

async function multipartCopy(
  s3: S3Context,
  head: S3ObjectsHead,
  source: CopySourceVersion,
  toKey: string,
  attributes: CopyAttributes,
): Promise<string | undefined> {
  const { bucket } = s3;
  const { key: fromKey, sizeBytes, ifMatch } = source;
  // The servers that ignore UploadPartCopy's condition: the source must still be that version after
  // the last part (and it was before the first: `copy` read it by HEAD).
  const stillSame = async () => {
    if (ifMatch !== undefined && bare((await head(fromKey))?.etag) !== bare(ifMatch)) {
      throw preconditionFailed('copy');
    }
  };
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
        ...(ifMatch === undefined ? {} : { CopySourceIfMatch: ifMatch }),
      };
      const out = await s3.call('copy', (c) => c.send(new UploadPartCopyCommand(input)));
      const etag = out.CopyPartResult?.ETag;
      if (etag === undefined) throw storeFailure('s3', 'copy', 'NoETag', `part ${n}`);
      parts.push({ PartNumber: n, ETag: etag });
    }
    await stillSame();
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
 * Copies `source` to `toKey` with `attributes`, by the request S3 allows for its size; resolves the
 * new object's ETag. `head` reads the source again for a part copy with a condition.
 */
export async function copyObject(
  s3: S3Context,
  head: S3ObjectsHead,
  source: CopySourceVersion,
  toKey: string,
  attributes: CopyAttributes,
): Promise<string | undefined> {
  if (source.sizeBytes > s3.limits.maxSinglePutBytes) {
    return multipartCopy(s3, head, source, toKey, attributes);
  }
  const { ifMatch } = source;
  const input = {
    Bucket: s3.bucket,
    Key: toKey,
    CopySource: copySource(s3.bucket, source.key),
    MetadataDirective: 'REPLACE' as const,
    ...(ifMatch === undefined ? {} : { CopySourceIfMatch: ifMatch }),
    ...attributes,
  };
  const out = await s3.call('copy', (c) =>
    c.send(withLegacyCondition(new CopyObjectCommand(input), ifMatch)),
  );
  return out.CopyObjectResult?.ETag;
}
