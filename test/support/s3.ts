/**
 * S3 for test files: the endpoint and credentials the global setup found (`inject('services').s3`), a
 * client configured as radosgw needs it, and a fresh bucket per `describe` block that is emptied (objects
 * and open multipart uploads) and deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, inject } from 'vitest';
import { type S3Target, s3ClientFor } from './s3-probe.js';
import { parseS3Url } from './s3-service.js';

/** Endpoint, credentials and region of the run's S3, or undefined when S3 suites must skip. */
export function s3Config(): (S3Target & { readonly region: string }) | undefined {
  const status = inject('services').s3;
  const target = status?.available && status.url ? parseS3Url(status.url) : undefined;
  return target ? { ...target, region: target.region ?? 'us-east-1' } : undefined;
}

/** True when S3-backed suites must be skipped. Use with `describe.skipIf(noS3)`. */
export const noS3 = s3Config() === undefined;

/**
 * A client to the run's S3: path style, us-east-1, checksums only when required (radosgw 16.2 refuses the
 * SDK's default aws-chunked trailer on streamed bodies). Callers `destroy()` it.
 */
export function createTestS3Client(timeoutMs = 30_000): S3Client {
  const config = s3Config();
  if (!config) throw new Error('S3 is not available for this run');
  return s3ClientFor(config, timeoutMs);
}

/** A random valid bucket name (lower case, digits, hyphens; 3-63 characters). */
export function randomBucketName(label = 't'): string {
  const clean = label
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 30);
  return `bp-${clean || 't'}-${randomBytes(5).toString('hex')}`;
}

/** Aborts every open multipart upload and deletes every object of `bucket` (all pages). */
export async function emptyBucket(client: S3Client, bucket: string): Promise<void> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const page = await client.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      }),
    );
    for (const upload of page.Uploads ?? []) {
      await client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
      );
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker !== undefined);
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
    if (keys.length) {
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

/**
 * For a `describe.skipIf(noS3)` block: a fresh bucket created before the block, emptied (objects and open
 * multipart uploads) and deleted after it, and a client that is closed then. Fields are placeholders when
 * S3 is absent (the block is skipped).
 */
export function useS3Bucket(label: string): { readonly bucket: string; readonly client: S3Client } {
  const bucket = randomBucketName(label);
  const client = noS3 ? undefined : createTestS3Client();
  beforeAll(async () => {
    await client?.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => {
    if (!client) return;
    try {
      await emptyBucket(client, bucket);
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    } finally {
      client.destroy();
    }
  });
  return { bucket, client: client as S3Client };
}
