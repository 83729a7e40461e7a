/**
 * Copies of one version only, on radosgw 16.2, with the source overwritten at the worst moment (after
 * the store's HEAD, between part copies: a client PUTting again to a still-valid presigned URL). Pins
 * what radosgw itself checks: it ignores S3's `x-amz-copy-source-if-match` on CopyObject (it reads its
 * older `x-amz-copy-if-match`) and on UploadPartCopy checks no condition at all; if a Ceph upgrade
 * changes either, the pins fail and the store's workarounds can be revisited.
 */
import {
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { isBackendPatternsError } from '../../src/core/errors.js';
import { createS3ObjectStore, objectStoreErrorCode } from '../../src/uploads/s3.js';
import { createTestS3Client, noS3, useS3Bucket } from '../support/s3.js';

const MiB = 1024 * 1024;
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

const preconditionFailed = (error: unknown) =>
  isBackendPatternsError(error, 'ERR_STORE') && objectStoreErrorCode(error) === 'PreconditionFailed';

describe.skipIf(noS3)('s3 copy with ifMatch on radosgw', () => {
  const s3 = useS3Bucket('ifmatch');
  // The store's own client, with a hook that overwrites the source just before the chosen request.
  const client = noS3 ? undefined : createTestS3Client();
  afterAll(() => client?.destroy());
  let overwriteBefore: string | undefined;
  let overwriteKey = '';
  client?.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === overwriteBefore) {
        overwriteBefore = undefined;
        const size = overwriteKey.endsWith('big') ? 7 * MiB : 10;
        await s3.client.send(
          new PutObjectCommand({ Bucket: s3.bucket, Key: overwriteKey, Body: bytes(size, 9) }),
        );
      }
      return next(args);
    },
    { step: 'initialize', name: 'overwriteSource' },
  );
  const limits = { maxSinglePutBytes: 6 * MiB, maxPartBytes: 6 * MiB };
  const store = () =>
    createS3ObjectStore({ client: client as S3Client, bucket: s3.bucket, multipartLimits: limits });
  const raw = (key: string, size: number, fill: number) =>
    s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: bytes(size, fill) }));

  it('pin: radosgw ignores CopySourceIfMatch on CopyObject and UploadPartCopy', async () => {
    const stale = (await raw('pin/a', 10, 1)).ETag as string;
    await raw('pin/a', 10, 2);
    const copy = new CopyObjectCommand({
      Bucket: s3.bucket,
      Key: 'pin/b',
      CopySource: `${s3.bucket}/pin/a`,
      CopySourceIfMatch: stale,
    });
    // AWS S3 answers 412 here; radosgw 16.2 copies.
    await expect(s3.client.send(copy)).resolves.toBeDefined();
    const upload = await s3.client.send(
      new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: 'pin/m' }),
    );
    const partCopy = new UploadPartCopyCommand({
      Bucket: s3.bucket,
      Key: 'pin/m',
      UploadId: upload.UploadId,
      PartNumber: 1,
      CopySource: `${s3.bucket}/pin/a`,
      CopySourceIfMatch: stale,
      CopySourceRange: 'bytes=0-4',
    });
    await expect(s3.client.send(partCopy)).resolves.toBeDefined();
  });

  it('the honest copy with the current ETag works on both paths', async () => {
    const objects = store();
    const small = (await raw('ok/small', 10, 1)).ETag as string;
    const big = (await raw('ok/big', 7 * MiB, 1)).ETag as string;
    await objects.copy('ok/small', 'ok/small.final', { contentType: 'text/plain', ifMatch: small });
    await objects.copy('ok/big', 'ok/big.final', { contentType: 'text/plain', ifMatch: big });
    expect((await objects.head('ok/small.final'))?.sizeBytes).toBe(10);
    expect((await objects.head('ok/big.final'))?.sizeBytes).toBe(7 * MiB);
  }, 20_000);

  it('overwritten after the HEAD, before CopyObject: PreconditionFailed, nothing written', async () => {
    const objects = store();
    const checked = (await raw('race/small', 10, 1)).ETag as string;
    overwriteKey = 'race/small';
    overwriteBefore = 'CopyObjectCommand';
    const error = await objects
      .copy('race/small', 'race/small.final', { contentType: 'text/plain', ifMatch: checked })
      .catch((e: unknown) => e);
    expect(overwriteBefore, 'the overwrite ran').toBeUndefined();
    expect(preconditionFailed(error), String(error)).toBe(true);
    expect(await objects.head('race/small.final')).toBeUndefined();
  });

  it('overwritten between part copies: PreconditionFailed, nothing written, no upload left', async () => {
    const objects = store();
    const checked = (await raw('race/big', 7 * MiB, 1)).ETag as string;
    overwriteKey = 'race/big';
    overwriteBefore = 'UploadPartCopyCommand';
    const error = await objects
      .copy('race/big', 'race/big.final', { contentType: 'text/plain', ifMatch: checked })
      .catch((e: unknown) => e);
    expect(overwriteBefore, 'the overwrite ran').toBeUndefined();
    expect(preconditionFailed(error), String(error)).toBe(true);
    expect(await objects.head('race/big.final')).toBeUndefined();
    expect(await objects.listMultipartUploads('race/')).toEqual([]);
  }, 20_000);

  it('a stale ETag is refused before any copy request', async () => {
    const objects = store();
    const stale = (await raw('stale/a', 10, 1)).ETag as string;
    await raw('stale/a', 10, 2);
    overwriteBefore = undefined;
    const error = await objects
      .copy('stale/a', 'stale/b', { contentType: 'text/plain', ifMatch: stale })
      .catch((e: unknown) => e);
    expect(preconditionFailed(error), String(error)).toBe(true);
    expect(await objects.head('stale/b')).toBeUndefined();
  });
});
