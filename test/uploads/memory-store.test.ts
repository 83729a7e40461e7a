/**
 * The memory store beyond the contract: the exact S3 answers of its `receive*` methods (status and
 * code), URLs of another store, forged policies, options, limits and the writer's part rules.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import { createMemoryObjectStore, objectStoreErrorCode } from '../../src/uploads/memory-store.js';

const START_MS = Date.UTC(2026, 0, 1);
const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

function setup(limits = {}) {
  const clock = createManualClock(START_MS);
  const store = createMemoryObjectStore({ clock, multipartLimits: { minPartBytes: 4, ...limits } });
  return { clock, store };
}

describe('memory store: presigned PUT answers', () => {
  it('answers as S3: 200, then 403 SignatureDoesNotMatch, 403 AccessDenied when expired', async () => {
    const { clock, store } = setup();
    const put = await store.presignPut({
      key: 'a',
      contentType: 'image/png',
      contentLength: 3,
      expiresInS: 10,
    });
    expect(store.receivePut(put.url, put.headers, bytes(3))).toMatchObject({ ok: true, status: 200 });
    const headers = { ...put.headers, 'content-length': '4' };
    expect(store.receivePut(put.url, headers, bytes(3))).toMatchObject({
      status: 400,
      code: 'IncompleteBody',
    });
    const { 'content-length': _, ...noLength } = put.headers;
    expect(store.receivePut(put.url, noLength, bytes(4))).toMatchObject({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
    expect(
      store.receivePut(put.url, { ...put.headers, 'Content-Type': 'image/gif' }, bytes(3)),
    ).toMatchObject({
      status: 403,
    });
    clock.advance(10_001);
    expect(store.receivePut(put.url, put.headers, bytes(3))).toMatchObject({
      status: 403,
      code: 'AccessDenied',
    });
  });

  it('header names in any case are the same header', async () => {
    const { store } = setup();
    const put = await store.presignPut({
      key: 'c',
      contentType: 'text/plain',
      contentLength: 2,
      expiresInS: 10,
    });
    const upper = { 'Content-Type': 'text/plain', 'Content-Length': '2' };
    expect(store.receivePut(put.url, upper, bytes(2))).toMatchObject({ ok: true });
  });

  it('a wrong checksum is 400 BadDigest; metadata headers are signed', async () => {
    const { store } = setup();
    const body = bytes(5, 9);
    const checksumSha256 = createHash('sha256').update(body).digest('base64');
    const put = await store.presignPut({
      key: 'k',
      contentType: 'text/plain',
      contentLength: 5,
      checksumSha256,
      metadata: { owner: 'u1' },
      expiresInS: 10,
    });
    expect(put.headers).toMatchObject({ 'x-amz-checksum-sha256': checksumSha256, 'x-amz-meta-owner': 'u1' });
    expect(store.receivePut(put.url, put.headers, bytes(5, 8))).toMatchObject({
      status: 400,
      code: 'BadDigest',
    });
    const forged = { ...put.headers, 'x-amz-meta-owner': 'admin' };
    expect(store.receivePut(put.url, forged, body)).toMatchObject({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
    const extra = { ...put.headers, 'x-amz-meta-role': 'admin' };
    expect(store.receivePut(put.url, extra, body)).toMatchObject({ status: 403 });
    expect(await store.list('')).toEqual([]);
  });

  it('URLs of another store, of another key, or mangled are refused', async () => {
    const { store } = setup();
    const other = createMemoryObjectStore();
    const put = await other.presignPut({
      key: 'a',
      contentType: 'text/plain',
      contentLength: 1,
      expiresInS: 10,
    });
    expect(store.receivePut(put.url, put.headers, bytes(1))).toMatchObject({ status: 403 });
    const mine = await store.presignPut({
      key: 'a',
      contentType: 'text/plain',
      contentLength: 1,
      expiresInS: 10,
    });
    expect(store.receivePut(mine.url.replace('/a?', '/b?'), mine.headers, bytes(1))).toMatchObject({
      status: 403,
    });
    expect(store.receivePut('http://elsewhere/a', mine.headers, bytes(1))).toMatchObject({
      code: 'InvalidURI',
    });
    expect(store.receivePut(mine.url.replace('/a?', '/%E0%A4%A?'), mine.headers, bytes(1))).toMatchObject({
      code: 'InvalidURI',
    });
    expect(
      store.receivePut(mine.url.replace('X-Mem-Op=put', 'X-Mem-Op=part'), mine.headers, bytes(1)).ok,
    ).toBe(false);
    expect(store.receivePut(mine.url, mine.headers, 'x' as unknown as Uint8Array).ok).toBe(false);
    expect(await store.list('')).toEqual([]);
  });
});

describe('memory store: presigned POST answers', () => {
  const form = (store: ReturnType<typeof setup>['store']) =>
    store.presignPost({ key: 'f', contentType: 'application/pdf', minBytes: 2, maxBytes: 5, expiresInS: 10 });

  it('204 in range; 400 EntityTooLarge / EntityTooSmall outside; 403 for changed or extra fields', async () => {
    const { store } = setup();
    const post = await form(store);
    expect(store.receivePost(post.url, post.fields, bytes(6))).toMatchObject({
      status: 400,
      code: 'EntityTooLarge',
    });
    expect(store.receivePost(post.url, post.fields, bytes(1))).toMatchObject({
      status: 400,
      code: 'EntityTooSmall',
    });
    expect(store.receivePost(post.url, { ...post.fields, key: 'g' }, bytes(3))).toMatchObject({
      status: 403,
    });
    expect(store.receivePost(post.url, { ...post.fields, acl: 'public-read' }, bytes(3))).toMatchObject({
      status: 403,
      code: 'AccessDenied',
    });
    expect(store.receivePost(post.url, { ...post.fields, 'x-ignore-note': 'ok' }, bytes(3))).toMatchObject({
      status: 204,
    });
    expect((await store.head('f'))?.contentType).toBe('application/pdf');
  });

  it('a forged policy (widened range, re-encoded) is refused: the signature covers it', async () => {
    const { store } = setup();
    const post = await form(store);
    const policy = JSON.parse(Buffer.from(post.fields.policy as string, 'base64').toString('utf8'));
    policy.conditions = policy.conditions.map((c: unknown) =>
      Array.isArray(c) && c[0] === 'content-length-range' ? ['content-length-range', 0, 1e9] : c,
    );
    const forged = { ...post.fields, policy: Buffer.from(JSON.stringify(policy)).toString('base64') };
    expect(store.receivePost(post.url, forged, bytes(100))).toMatchObject({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
    const { policy: _, ...noPolicy } = post.fields;
    expect(store.receivePost(post.url, noPolicy, bytes(3))).toMatchObject({ status: 403 });
    expect(store.receivePost(`${post.url}x`, post.fields, bytes(3))).toMatchObject({ code: 'InvalidURI' });
    expect(store.receivePost(post.url, { ...post.fields, n: 1 } as never, bytes(3)).ok).toBe(false);
    expect(await store.list('')).toEqual([]);
  });

  it('an expired form is 403 AccessDenied', async () => {
    const { clock, store } = setup();
    const post = await form(store);
    clock.advance(11_000);
    expect(store.receivePost(post.url, post.fields, bytes(3))).toMatchObject({
      status: 403,
      code: 'AccessDenied',
    });
  });

  it('the filename variable in a key is refused (the SDK would make it a prefix match)', async () => {
    const { store } = setup();
    const input = {
      key: 'u/$' + '{filename}',
      contentType: 'text/plain',
      minBytes: 0,
      maxBytes: 1,
      expiresInS: 10,
    };
    await expect(store.presignPost(input)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});

describe('memory store: multipart and limits', () => {
  it('a part to an unknown or aborted upload is 404 NoSuchUpload; an oversized part 400', async () => {
    const { store } = setup({ maxPartBytes: 8 });
    const uploadId = await store.createMultipart('m', 'text/plain');
    const part = await store.presignPart('m', uploadId, 1, 10);
    expect(store.receivePart(part.url, bytes(9))).toMatchObject({ status: 400, code: 'EntityTooLarge' });
    await store.abortMultipart('m', uploadId);
    expect(store.receivePart(part.url, bytes(3))).toMatchObject({ status: 404, code: 'NoSuchUpload' });
    await expect(store.presignPart('m', uploadId, 10_001, 10)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  it('complete refuses parts out of order and an empty list', async () => {
    const { store } = setup();
    const uploadId = await store.createMultipart('m', 'text/plain');
    const etags = [];
    for (const n of [1, 2]) {
      const part = await store.presignPart('m', uploadId, n, 10);
      const answer = store.receivePart(part.url, bytes(4, n));
      etags.push({ partNumber: n, etag: answer.ok ? answer.etag : '' });
    }
    const reversed = [etags[1]!, etags[0]!];
    const refusal = await store.completeMultipart('m', uploadId, reversed).catch((e: unknown) => e);
    expect(objectStoreErrorCode(refusal)).toBe('InvalidPartOrder');
    expect(
      objectStoreErrorCode(await store.completeMultipart('m', uploadId, []).catch((e: unknown) => e)),
    ).toBe('MalformedXML');
    const info = await store.completeMultipart('m', uploadId, etags);
    expect(info.etag).toMatch(/^"[0-9a-f]{32}-2"$/);
  });

  it('put over maxSinglePutBytes is EntityTooLarge; the writer stops at maxParts', async () => {
    const { store } = setup({ maxSinglePutBytes: 4, maxParts: 2 });
    expect(objectStoreErrorCode(await store.put('p', bytes(5), 'text/plain').catch((e: unknown) => e))).toBe(
      'EntityTooLarge',
    );
    const writer = await store.openMultipartWriter('w', 'text/plain');
    await writer.writePart(bytes(4));
    await writer.writePart(bytes(4));
    expect(objectStoreErrorCode(await writer.writePart(bytes(4)).catch((e: unknown) => e))).toBe(
      'InvalidArgument',
    );
    await writer.abort();
    await expect(writer.writePart('x' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it("the stored bytes are a copy: changing the caller's buffer changes nothing", async () => {
    const { store } = setup();
    const buffer = bytes(4, 1);
    await store.put('c', buffer, 'text/plain');
    buffer.fill(2);
    expect([...(await store.readRange('c', 0, 3))]).toEqual([1, 1, 1, 1]);
  });

  it('lists keys in UTF-8 byte order, as S3 does; times come from the clock', async () => {
    const { clock, store } = setup();
    await store.put('\u{1F600}', bytes(1), 'text/plain');
    clock.advance(5);
    await store.put('\uFF21', bytes(1), 'text/plain');
    const listed = await store.list('');
    expect(listed.map((o) => o.key)).toEqual(['\uFF21', '\u{1F600}']);
    expect(listed.map((o) => o.lastModifiedMs)).toEqual([START_MS + 5, START_MS]);
  });
});

describe('memory store: options', () => {
  it('bad options are ERR_INVALID_OPTION', () => {
    const bad = [
      { baseUrl: 'not a url' },
      { baseUrl: 'http://x/trailing/' },
      { baseUrl: 'http://x/?q=1' },
      { multipartLimits: { minPartBytes: 10, maxPartBytes: 5 } },
      { multipartLimits: { maxParts: 0 } },
      { multipartLimits: { partSize: 5 } },
      { clock: {} },
      { secret: 'x' },
    ];
    for (const options of bad) {
      expect(() => createMemoryObjectStore(options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });

  it('URLs start with baseUrl, keys encoded per segment', async () => {
    const store = createMemoryObjectStore({ baseUrl: 'http://localhost:3000/store' });
    const put = await store.presignPut({
      key: 'a b/+%',
      contentType: 'text/plain',
      contentLength: 1,
      expiresInS: 1,
    });
    expect(put.url.startsWith('http://localhost:3000/store/a%20b/%2B%25?')).toBe(true);
    expect(store.receivePut(put.url, put.headers, bytes(1))).toMatchObject({ ok: true });
    expect(await store.head('a b/+%')).toMatchObject({ sizeBytes: 1 });
  });
});
