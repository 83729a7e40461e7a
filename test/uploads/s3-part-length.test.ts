/**
 * Signed part lengths: a part URL presigned with `contentLength` takes exactly that many bytes. On
 * radosgw a part of another size is 403 SignatureDoesNotMatch and nothing is stored; the memory store
 * answers the same, and refuses the URL with its length marker removed (that would unsign the length).
 * The control: a URL presigned without a length stores a 5 MiB part on an upload whose parts are 1 KiB.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryObjectStore } from '../../src/uploads/memory-store.js';
import { createS3ObjectStore } from '../../src/uploads/s3.js';
import type { ObjectStore } from '../../src/uploads/types.js';
import { noS3, useS3Bucket } from '../support/s3.js';

type Send = (url: string, body: Uint8Array) => Promise<{ status: number; code?: string }>;

const fetchPart: Send = async (url, body) => {
  const response = await fetch(url, { method: 'PUT', body });
  const text = await response.text();
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
  return code === undefined ? { status: response.status } : { status: response.status, code };
};

async function signedLength(store: ObjectStore, send: Send, key: string) {
  const uploadId = await store.createMultipart(key, 'application/octet-stream');
  const signed = await store.presignPart(key, uploadId, 1, 300, 1024);
  expect(signed.headers).toEqual({ 'content-length': '1024' });
  const refusal = { status: 403, code: 'SignatureDoesNotMatch' };
  expect(await send(signed.url, new Uint8Array(1025))).toEqual(refusal);
  expect(await send(signed.url, new Uint8Array(0))).toEqual(refusal);
  expect(await send(signed.url, new Uint8Array(5 * 1024 * 1024))).toEqual(refusal);
  expect(await store.listParts(key, uploadId)).toEqual([]);
  expect(await send(signed.url, new Uint8Array(1024).fill(1))).toMatchObject({ status: 200 });
  // Control: unsigned, the same upload takes a part of any size.
  const unsigned = await store.presignPart(key, uploadId, 2, 300);
  expect(unsigned.headers).toEqual({});
  expect(await send(unsigned.url, new Uint8Array(5 * 1024 * 1024))).toMatchObject({ status: 200 });
  expect((await store.listParts(key, uploadId)).map((p) => p.sizeBytes)).toEqual([1024, 5 * 1024 * 1024]);
  await store.abortMultipart(key, uploadId);
}

describe('signed part lengths', () => {
  it('memory store', async () => {
    const store = createMemoryObjectStore({ multipartLimits: { minPartBytes: 1024 } });
    const send: Send = async (url, body) => {
      const r = store.receivePart(url, body);
      return r.ok ? { status: r.status } : { status: r.status, code: r.code };
    };
    await signedLength(store, send, 'q/a b+c.bin');
    const uploadId = await store.createMultipart('q/x', 'application/octet-stream');
    const signed = await store.presignPart('q/x', uploadId, 1, 300, 8);
    const unmarked = signed.url.replace(/&X-Mem-Length=signed/, '');
    expect(unmarked).not.toBe(signed.url);
    expect(await send(unmarked, new Uint8Array(9))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await send(unmarked, new Uint8Array(8))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await store.listParts('q/x', uploadId)).toEqual([]);
  });

  describe.skipIf(noS3)('s3 store on radosgw', () => {
    const s3 = useS3Bucket('partlen');
    it('another length is refused, nothing stored', async () => {
      const store = createS3ObjectStore({ client: s3.client, bucket: s3.bucket });
      await signedLength(store, fetchPart, 'q/a b+c.bin');
    }, 20_000);
  });
});
