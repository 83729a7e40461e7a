/**
 * What the real S3 server (radosgw) refuses of our presigned requests, with nothing stored after each
 * refusal, plus the controls that prove these tests can fail: a URL presigned without our signed headers
 * lets a wrong Content-Type through, and a URL signed in the past is refused only because of its age.
 */

import { createHash } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, describe, expect, it } from 'vitest';
import { isBackendPatternsError } from '../../src/core/errors.js';
import { createManualClock } from '../../src/core/manual-clock.js';
import { createS3ObjectStore, objectStoreErrorCode } from '../../src/uploads/s3.js';
import { noS3, s3Config, useS3Bucket } from '../support/s3.js';
import { formOf } from './s3-helpers.js';

const body = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

/** Sends a PUT as a plain HTTP client: the real length of the body, the given headers. */
async function put(url: string, headers: Readonly<Record<string, string>>, bytes: Uint8Array) {
  const sent = Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'content-length'));
  const response = await fetch(url, { method: 'PUT', headers: sent, body: bytes });
  const text = await response.text();
  return { status: response.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] };
}

async function post(url: string, fields: Readonly<Record<string, string>>, file: Uint8Array) {
  const response = await fetch(url, { method: 'POST', body: formOf(fields, file) });
  const text = await response.text();
  return { status: response.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] };
}

describe.skipIf(noS3)('radosgw enforces what the S3 store signs', () => {
  const s3 = useS3Bucket('enforce');
  const store = createS3ObjectStore({ client: s3.client, bucket: s3.bucket });
  const presignPut = (key: string, contentLength = 8) =>
    store.presignPut({ key, contentType: 'image/png', contentLength, expiresInS: 300 });

  it('the honest PUT is stored (the control of the refusals below)', async () => {
    const signed = await presignPut('put/ok.png');
    expect(await put(signed.url, signed.headers, body(8))).toMatchObject({ status: 200 });
    expect((await store.head('put/ok.png'))?.sizeBytes).toBe(8);
  });

  it('another Content-Type, a bigger and a smaller body, a changed signature: 403, nothing stored', async () => {
    const signed = await presignPut('put/refused.png');
    const refusal = { status: 403, code: 'SignatureDoesNotMatch' };
    expect(await put(signed.url, { ...signed.headers, 'content-type': 'text/html' }, body(8))).toEqual(
      refusal,
    );
    expect(await put(signed.url, signed.headers, body(9))).toEqual(refusal);
    expect(await put(signed.url, signed.headers, body(7))).toEqual(refusal);
    const signature = /X-Amz-Signature=([0-9a-f])/.exec(signed.url);
    const flipped = signature?.[1] === '0' ? '1' : '0';
    const tampered = signed.url.replace(/X-Amz-Signature=[0-9a-f]/, `X-Amz-Signature=${flipped}`);
    expect(tampered).not.toBe(signed.url);
    expect(await put(tampered, signed.headers, body(8))).toEqual(refusal);
    expect(await store.head('put/refused.png')).toBeUndefined();
  });

  it('a URL signed two hours ago for one minute is refused as expired', async () => {
    const clock = createManualClock(Date.now() - 2 * 3600_000);
    const past = createS3ObjectStore({ client: s3.client, bucket: s3.bucket, clock });
    const signed = await past.presignPut({
      key: 'put/old.png',
      contentType: 'image/png',
      contentLength: 8,
      expiresInS: 60,
    });
    expect(signed.expiresAtMs).toBe(clock.now() + 60_000);
    expect(await put(signed.url, signed.headers, body(8))).toEqual({ status: 403, code: 'AccessDenied' });
    expect(await store.head('put/old.png')).toBeUndefined();
  });

  it('control: presigned without signableHeaders, a wrong Content-Type would have passed', async () => {
    const command = new PutObjectCommand({
      Bucket: s3.bucket,
      Key: 'control/naive.png',
      ContentType: 'image/png',
    });
    const url = await getSignedUrl(s3.client, command, { expiresIn: 60 });
    expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(await put(url, { 'content-type': 'text/html' }, body(9))).toMatchObject({ status: 200 });
    expect((await store.head('control/naive.png'))?.contentType).toBe('text/html');
    await store.delete('control/naive.png');
  });

  it('radosgw 16.2 does not check a signed x-amz-checksum-sha256 (pinned: flip verifiesChecksums when it does)', async () => {
    const right = body(16, 1);
    const checksumSha256 = createHash('sha256').update(right).digest('base64');
    const signed = await store.presignPut({
      key: 'put/sum.bin',
      contentType: 'image/png',
      contentLength: 16,
      checksumSha256,
      expiresInS: 60,
    });
    expect(signed.headers['x-amz-checksum-sha256']).toBe(checksumSha256);
    expect(new URL(signed.url).searchParams.get('X-Amz-SignedHeaders')).toContain('x-amz-checksum-sha256');
    expect((await put(signed.url, signed.headers, body(16, 2))).status).toBe(200);
    await store.delete('put/sum.bin');
  });

  it('POST: over the range 400, the key changed 403, an uncovered field 403; nothing stored', async () => {
    const form = await store.presignPost({
      key: 'post/f.pdf',
      contentType: 'application/pdf',
      minBytes: 1,
      maxBytes: 100,
      expiresInS: 300,
    });
    expect(await post(form.url, form.fields, body(101))).toEqual({ status: 400, code: 'EntityTooLarge' });
    expect((await post(form.url, { ...form.fields, key: 'post/other.pdf' }, body(10))).status).toBe(403);
    expect((await post(form.url, { ...form.fields, 'x-amz-meta-role': 'admin' }, body(10))).status).toBe(403);
    expect((await post(form.url, { ...form.fields, 'Content-Type': 'text/html' }, body(10))).status).toBe(
      403,
    );
    expect(await store.list('post/')).toEqual([]);
    expect((await post(form.url, form.fields, body(100))).status).toBe(204);
    expect((await store.head('post/f.pdf'))?.contentType).toBe('application/pdf');
  });

  it('a 1-byte non-last part is refused at complete; after abort nothing is listed', async () => {
    const uploadId = await store.createMultipart('mp/short.bin', 'application/octet-stream');
    const parts = [];
    for (const partNumber of [1, 2]) {
      const signed = await store.presignPart('mp/short.bin', uploadId, partNumber, 60);
      const response = await fetch(signed.url, { method: 'PUT', body: body(1) });
      await response.arrayBuffer();
      expect(response.status).toBe(200);
      parts.push({ partNumber, etag: response.headers.get('etag') as string });
    }
    const refusal = await store.completeMultipart('mp/short.bin', uploadId, parts).catch((e: unknown) => e);
    expect(isBackendPatternsError(refusal, 'ERR_STORE')).toBe(true);
    expect(objectStoreErrorCode(refusal)).toBe('EntityTooSmall');
    expect((refusal as Error).message).toContain('EntityTooSmall');
    await store.abortMultipart('mp/short.bin', uploadId);
    expect(await store.listMultipartUploads('mp/')).toEqual([]);
    expect(await store.list('mp/')).toEqual([]);
  });
});

describe.skipIf(noS3)('the S3 store with a bad client', () => {
  const config = s3Config();
  const clients: S3Client[] = [];
  const clientWith = (extra: object) => {
    const client = new S3Client({
      endpoint: config?.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: config?.accessKeyId ?? 'x', secretAccessKey: 'not-the-secret-0123456789' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      maxAttempts: 1,
      ...extra,
    });
    clients.push(client);
    return client;
  };
  afterAll(() => {
    for (const client of clients) client.destroy();
  });

  it('a wrong secret key: StoreError with the S3 code, no credential in the message', async () => {
    const store = createS3ObjectStore({ client: clientWith({}), bucket: 'bp-any-bucket' });
    const error = await store.put('k', body(3), 'text/plain').catch((e: unknown) => e);
    expect(isBackendPatternsError(error, 'ERR_STORE')).toBe(true);
    expect(objectStoreErrorCode(error)).toBe('SignatureDoesNotMatch');
    const message = (error as Error).message;
    expect(message).toContain('SignatureDoesNotMatch');
    expect(message).not.toContain('not-the-secret');
    expect(message).not.toContain(config?.accessKeyId ?? '?');
  });

  it('a client on the SDK default checksums is refused with ERR_INVALID_OPTION at the first call', async () => {
    const store = createS3ObjectStore({
      client: clientWith({ requestChecksumCalculation: 'WHEN_SUPPORTED' }),
      bucket: 'bp-any-bucket',
    });
    await expect(store.head('k')).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(
      store.presignPut({ key: 'k', contentType: 'text/plain', contentLength: 1, expiresInS: 60 }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });

  it('nothing listening: StoreError saying there was no HTTP answer', async () => {
    const client = clientWith({ endpoint: 'http://127.0.0.1:1' });
    const error = await createS3ObjectStore({ client, bucket: 'bp-any-bucket' })
      .head('k')
      .catch((e: unknown) => e);
    expect(isBackendPatternsError(error, 'ERR_STORE')).toBe(true);
    expect((error as Error).message).toContain('no HTTP answer');
  });

  it('bad options are ERR_INVALID_OPTION at construction', () => {
    const client = clientWith({});
    const bad = [
      {},
      { client, bucket: 'A_B' },
      { client, bucket: 'ok-bucket', multipartLimits: { minPartBytes: 10, maxPartBytes: 5 } },
      { client, bucket: 'ok-bucket', multipartLimits: { minPartBytes: 0 } },
      { client, bucket: 'ok-bucket', multipartLimit: {} },
      { client: {}, bucket: 'ok-bucket' },
    ];
    for (const options of bad) {
      expect(() => createS3ObjectStore(options as never), JSON.stringify(Object.keys(options))).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });
});

describe.skipIf(noS3)('the S3 store walks every page', () => {
  const s3 = useS3Bucket('pages');
  // Two entries a page: five objects, five parts and five uploads take three pages each.
  const store = createS3ObjectStore({ client: s3.client, bucket: s3.bucket, listPageSize: 2 });

  it('list, listParts and listMultipartUploads return every entry', async () => {
    for (const n of [1, 2, 3, 4, 5]) await store.put(`objects/${n}`, body(n), 'text/plain');
    expect((await store.list('objects/')).map((o) => [o.key, o.sizeBytes])).toEqual(
      [1, 2, 3, 4, 5].map((n) => [`objects/${n}`, n]),
    );
    const uploadId = await store.createMultipart('parts/one', 'text/plain');
    for (const partNumber of [1, 2, 3, 4, 5]) {
      const signed = await store.presignPart('parts/one', uploadId, partNumber, 60);
      const response = await fetch(signed.url, { method: 'PUT', body: body(partNumber) });
      await response.arrayBuffer();
      expect(response.status).toBe(200);
    }
    expect((await store.listParts('parts/one', uploadId)).map((p) => [p.partNumber, p.sizeBytes])).toEqual(
      [1, 2, 3, 4, 5].map((n) => [n, n]),
    );
    const ids = [uploadId];
    for (const n of [2, 3, 4, 5]) ids.push(await store.createMultipart(`parts/${n}`, 'text/plain'));
    const open = await store.listMultipartUploads('parts/');
    expect(open.map((u) => u.uploadId).sort()).toEqual([...ids].sort());
    for (const u of open) await store.abortMultipart(u.key, u.uploadId);
    expect(await store.listMultipartUploads('parts/')).toEqual([]);
  });
});
