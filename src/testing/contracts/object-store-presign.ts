/**
 * Presigned PUT and POST cases of the ObjectStore contract: what the store's server must accept, and
 * what it must refuse with nothing stored (another type, another length, a changed signature, a wrong
 * checksum, an expired URL; a form over its range, with its key changed or an extra field).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  accepted,
  bytesOf,
  type ObjectStoreContractOptions,
  refused,
  runner,
  sameBytes,
  tamperSignature,
} from './object-store-helpers.js';
import type { ContractTestApi } from './test-api.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64');

/** `headers` with `name` (any case) replaced by `value`, or removed when `value` is undefined. */
function withHeader(headers: Readonly<Record<string, string>>, name: string, value?: string) {
  const out = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== name));
  return value === undefined ? out : { ...out, [name]: value };
}

function putCases(t: ContractTestApi, options: ObjectStoreContractOptions, ms: number): void {
  const run = runner(options);
  const presign = (key: string, contentLength: number, extra: object = {}) => ({
    key,
    contentType: 'image/png',
    contentLength,
    expiresInS: 300,
    ...extra,
  });
  t.it(
    'a presigned PUT sent as signed is stored, with its metadata',
    run(async ({ store, send }, p) => {
      const put = await store.presignPut(presign(`${p}ok.png`, 8, { metadata: { upload: 'u1' } }));
      assert.equal(put.method, 'PUT');
      accepted(await send.put(put.url, put.headers, bytesOf(8)), 'PUT');
      const info = await store.head(`${p}ok.png`);
      assert.equal(info?.sizeBytes, 8);
      assert.equal(info?.contentType, 'image/png');
      assert.equal(info?.metadata.upload, 'u1');
    }),
    ms,
  );
  t.it(
    'another Content-Type is refused, nothing stored',
    run(async ({ store, send }, p) => {
      const put = await store.presignPut(presign(`${p}t.png`, 8));
      refused(
        await send.put(put.url, withHeader(put.headers, 'content-type', 'text/html'), bytesOf(8)),
        'type',
      );
      assert.equal(await store.head(`${p}t.png`), undefined);
    }),
    ms,
  );
  t.it(
    'a bigger or a smaller body is refused, nothing stored',
    run(async ({ store, send }, p) => {
      const put = await store.presignPut(presign(`${p}n.png`, 8));
      // The client sends the length of what it really sends, as any HTTP client does.
      const rest = withHeader(put.headers, 'content-length');
      refused(await send.put(put.url, rest, bytesOf(9)), 'bigger');
      refused(await send.put(put.url, rest, bytesOf(7)), 'smaller');
      assert.equal(await store.head(`${p}n.png`), undefined);
    }),
    ms,
  );
  t.it(
    'one character of the signature changed is refused',
    run(async ({ store, send }, p) => {
      const put = await store.presignPut(presign(`${p}s.png`, 8));
      refused(await send.put(tamperSignature(put.url), put.headers, bytesOf(8)), 'tampered');
      assert.equal(await store.head(`${p}s.png`), undefined);
    }),
    ms,
  );
  t.it(
    'a signed checksum: the right body passes, another of the same length does not',
    run(async ({ store, send }, p) => {
      const body = bytesOf(16, 4);
      const put = await store.presignPut(presign(`${p}c.png`, 16, { checksumSha256: sha256(body) }));
      if (options.verifiesChecksums !== false) {
        refused(await send.put(put.url, put.headers, bytesOf(16, 5)), 'other bytes');
        assert.equal(await store.head(`${p}c.png`), undefined);
      }
      accepted(await send.put(put.url, put.headers, body), 'right bytes');
      sameBytes(await store.readRange(`${p}c.png`, 0, 15), body, 'stored');
    }),
    ms,
  );
  if (options.clockDrivesExpiry) {
    t.it(
      'an expired PUT URL is refused',
      run(async ({ store, send }, p, clock) => {
        const put = await store.presignPut(presign(`${p}e.png`, 8, { expiresInS: 1 }));
        assert.equal(put.expiresAtMs, clock.now() + 1000);
        clock.advance(1001);
        refused(await send.put(put.url, put.headers, bytesOf(8)), 'expired');
        assert.equal(await store.head(`${p}e.png`), undefined);
      }),
      ms,
    );
  }
}

function postCases(t: ContractTestApi, options: ObjectStoreContractOptions, ms: number): void {
  const run = runner(options);
  const presign = (key: string) => ({
    key,
    contentType: 'application/pdf',
    minBytes: 1,
    maxBytes: 100,
    expiresInS: 300,
    metadata: { upload: 'u2' },
  });
  t.it(
    'a form within its range is stored with its type and metadata',
    run(async ({ store, send }, p) => {
      const post = await store.presignPost(presign(`${p}f.pdf`));
      assert.equal(post.method, 'POST');
      accepted(await send.post(post.url, post.fields, bytesOf(100)), 'POST');
      const info = await store.head(`${p}f.pdf`);
      assert.equal(info?.sizeBytes, 100);
      assert.equal(info?.contentType, 'application/pdf');
      assert.equal(info?.metadata.upload, 'u2');
    }),
    ms,
  );
  t.it(
    'a file over or under the range is refused, nothing stored',
    run(async ({ store, send }, p) => {
      const post = await store.presignPost(presign(`${p}r.pdf`));
      refused(await send.post(post.url, post.fields, bytesOf(101)), 'over');
      refused(await send.post(post.url, post.fields, new Uint8Array(0)), 'under');
      assert.equal(await store.head(`${p}r.pdf`), undefined);
    }),
    ms,
  );
  t.it(
    'the key, the type or the metadata changed is refused',
    run(async ({ store, send }, p) => {
      const post = await store.presignPost(presign(`${p}k.pdf`));
      const keyField = Object.keys(post.fields).find((k) => k.toLowerCase() === 'key') ?? 'key';
      const typeField =
        Object.keys(post.fields).find((k) => k.toLowerCase() === 'content-type') ?? 'Content-Type';
      refused(await send.post(post.url, { ...post.fields, [keyField]: `${p}other.pdf` }, bytesOf(10)), 'key');
      refused(await send.post(post.url, { ...post.fields, [typeField]: 'text/html' }, bytesOf(10)), 'type');
      refused(await send.post(post.url, { ...post.fields, 'x-amz-meta-upload': 'u3' }, bytesOf(10)), 'meta');
      assert.equal((await store.list(p)).length, 0);
    }),
    ms,
  );
  t.it(
    'an extra field no condition covers is refused',
    run(async ({ store, send }, p) => {
      const post = await store.presignPost(presign(`${p}x.pdf`));
      const fields = { ...post.fields, 'Content-Disposition': 'inline' };
      refused(await send.post(post.url, fields, bytesOf(10)), 'extra field');
      assert.equal(await store.head(`${p}x.pdf`), undefined);
    }),
    ms,
  );
  if (options.clockDrivesExpiry) {
    t.it(
      'an expired form is refused',
      run(async ({ store, send }, p, clock) => {
        const post = await store.presignPost({ ...presign(`${p}e.pdf`), expiresInS: 1 });
        clock.advance(1001);
        refused(await send.post(post.url, post.fields, bytesOf(10)), 'expired');
        assert.equal(await store.head(`${p}e.pdf`), undefined);
      }),
      ms,
    );
  }
}

/** Presigned PUT and POST cases. */
export function presignCases(t: ContractTestApi, options: ObjectStoreContractOptions): void {
  const ms = options.timeoutMs ?? 20_000;
  putCases(t, options, ms);
  postCases(t, options, ms);
}
