/**
 * The ObjectStore contract: what the policy relies on from any object store (memory, S3, yours).
 * Objects (put, head, ranged and whole reads, copy with replaced attributes, idempotent delete, list),
 * awkward keys, argument checks, presigned PUT and POST honoured and refused by the store's own server,
 * multipart uploads (presigned parts, list, complete, abort, the part-size rule) and the server-side
 * writer. Each test works under a fresh random prefix.
 */
import assert from 'node:assert/strict';
import {
  AWKWARD_KEYS,
  bytesOf,
  collect,
  type ObjectStoreContractOptions,
  rejectsArgument,
  rejectsStore,
  runner,
  sameBytes,
} from './object-store-helpers.js';

export { memoryStoreClient } from './object-store-memory.js';

import { conditionCases } from './object-store-conditions.js';
import { multipartCases } from './object-store-multipart.js';
import { presignCases } from './object-store-presign.js';
import type { ContractTestApi } from './test-api.js';

export type {
  ClientAnswer,
  ClientGetAnswer,
  ObjectStoreClient,
  ObjectStoreContractOptions,
  ObjectStoreContractSubject,
} from './object-store-helpers.js';

function objectCases(t: ContractTestApi, options: ObjectStoreContractOptions): void {
  const run = runner(options);
  const ms = options.timeoutMs ?? 20_000;
  t.it(
    'put then head: size, type, lower-case metadata, an ETag',
    run(async ({ store }, p) => {
      const put = await store.put(`${p}a.bin`, bytesOf(10), 'application/octet-stream', { 'Owner-Id': 'u1' });
      assert.equal(put.sizeBytes, 10);
      const info = await store.head(`${p}a.bin`);
      assert.ok(info);
      assert.equal(info.key, `${p}a.bin`);
      assert.equal(info.sizeBytes, 10);
      assert.equal(info.contentType, 'application/octet-stream');
      assert.deepEqual(info.metadata, { 'owner-id': 'u1' });
      assert.equal(typeof info.etag, 'string');
    }),
    ms,
  );
  t.it(
    'head of a missing key is undefined; reads of it fail with ERR_STORE',
    run(async ({ store }, p) => {
      assert.equal(await store.head(`${p}missing`), undefined);
      await rejectsStore(store.readRange(`${p}missing`, 0, 10), 'NoSuchKey');
      await rejectsStore(store.read(`${p}missing`).then(collect));
      await rejectsStore(store.copy(`${p}missing`, `${p}b`, { contentType: 'text/plain' }));
    }),
    ms,
  );
  t.it(
    'readRange: inclusive bounds, shorter at the end, empty past it',
    run(async ({ store }, p) => {
      const body = bytesOf(100, 3);
      await store.put(`${p}r`, body, 'application/octet-stream');
      sameBytes(await store.readRange(`${p}r`, 2, 5), body.slice(2, 6), 'middle');
      sameBytes(await store.readRange(`${p}r`, 0, 0), body.slice(0, 1), 'first byte');
      sameBytes(await store.readRange(`${p}r`, 90, 4099), body.slice(90), 'past the end');
      assert.equal((await store.readRange(`${p}r`, 100, 200)).byteLength, 0, 'wholly past the end');
    }),
    ms,
  );
  t.it(
    'read streams the whole object',
    run(async ({ store }, p) => {
      const body = bytesOf(300_000, 5);
      await store.put(`${p}big`, body, 'application/octet-stream');
      sameBytes(await collect(await store.read(`${p}big`)), body, 'read');
    }),
    ms,
  );
  t.it(
    'read with an aborted signal rejects with the reason, before or mid-stream',
    run(async ({ store }, p) => {
      await store.put(`${p}ab`, bytesOf(1_000_000, 6), 'application/octet-stream');
      const reason = new Error('caller gave up');
      const before = new AbortController();
      before.abort(reason);
      await assert.rejects(store.read(`${p}ab`, before.signal).then(collect), (e) => e === reason);
      const during = new AbortController();
      const source = await store.read(`${p}ab`, during.signal);
      await assert.rejects(
        (async () => {
          for await (const _chunk of source) during.abort(reason);
        })(),
        (e) => e === reason,
      );
    }),
    ms,
  );
  t.it(
    'an empty object: head 0 bytes, ranged read and read empty',
    run(async ({ store }, p) => {
      await store.put(`${p}empty`, new Uint8Array(0), 'text/plain');
      assert.equal((await store.head(`${p}empty`))?.sizeBytes, 0);
      assert.equal((await store.readRange(`${p}empty`, 0, 4099)).byteLength, 0);
      assert.equal((await collect(await store.read(`${p}empty`))).byteLength, 0);
    }),
    ms,
  );
  t.it(
    'copy replaces type, disposition and metadata; the source stays',
    run(async ({ store }, p) => {
      const body = bytesOf(50, 9);
      await store.put(`${p}q`, body, 'image/png', { declared: 'x' });
      const disposition = "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.svg";
      const info = await store.copy(`${p}q`, `${p}final`, {
        contentType: 'image/svg+xml',
        contentDisposition: disposition,
        metadata: { sniffed: 'svg' },
      });
      assert.equal(info.sizeBytes, 50);
      const copied = await store.head(`${p}final`);
      assert.equal(copied?.contentType, 'image/svg+xml');
      assert.equal(copied?.contentDisposition, disposition);
      assert.deepEqual(copied?.metadata, { sniffed: 'svg' });
      sameBytes(await store.readRange(`${p}final`, 0, 49), body, 'copied bytes');
      assert.equal((await store.head(`${p}q`))?.contentType, 'image/png');
    }),
    ms,
  );
  t.it(
    'delete is idempotent and removes the object',
    run(async ({ store }, p) => {
      await store.put(`${p}d`, bytesOf(3), 'text/plain');
      await store.delete(`${p}d`);
      await store.delete(`${p}d`);
      await store.delete(`${p}never`);
      assert.equal(await store.head(`${p}d`), undefined);
    }),
    ms,
  );
  t.it(
    'list: only the prefix, in key order, with sizes and times',
    run(async ({ store }, p) => {
      await store.put(`${p}b/2`, bytesOf(2), 'text/plain');
      await store.put(`${p}a/1`, bytesOf(1), 'text/plain');
      await store.put(`${p}b/1`, bytesOf(3), 'text/plain');
      const listed = await store.list(`${p}b/`);
      assert.deepEqual(
        listed.map((o) => [o.key, o.sizeBytes]),
        [
          [`${p}b/1`, 3],
          [`${p}b/2`, 2],
        ],
      );
      assert.ok(listed.every((o) => Number.isFinite(o.lastModifiedMs)));
      assert.equal((await store.list(`${p}c/`)).length, 0);
    }),
    ms,
  );
  t.it(
    'awkward keys (unicode, spaces, +, %, reserved) round-trip exactly',
    run(async ({ store }, p) => {
      for (const [i, name] of AWKWARD_KEYS.entries()) {
        const key = `${p}${name}`;
        await store.put(key, bytesOf(5, i), 'text/plain');
        assert.equal((await store.head(key))?.sizeBytes, 5, key);
        sameBytes(await store.readRange(key, 0, 4), bytesOf(5, i), key);
        await store.copy(key, `${key}.copy`, { contentType: 'text/plain' });
        sameBytes(await store.readRange(`${key}.copy`, 0, 4), bytesOf(5, i), `${key} copy`);
      }
      const listed = (await store.list(p)).map((o) => o.key);
      for (const name of AWKWARD_KEYS) assert.ok(listed.includes(`${p}${name}`), name);
      for (const key of listed) await store.delete(key);
      assert.equal((await store.list(p)).length, 0);
    }),
    ms,
  );
  t.it(
    'bad arguments are ERR_INVALID_ARGUMENT, before any request',
    run(async ({ store }, p) => {
      await rejectsArgument(store.put('', bytesOf(1), 'text/plain'));
      await rejectsArgument(store.put(`${p}x`.padEnd(1025, 'x'), bytesOf(1), 'text/plain'));
      await rejectsArgument(store.put(`${p}ctl\u0000`, bytesOf(1), 'text/plain'));
      await rejectsArgument(store.put(`${p}x`, bytesOf(1), 'text/plain\r\nx-evil: 1'));
      await rejectsArgument(store.put(`${p}a/../b`, bytesOf(1), 'text/plain'));
      await rejectsArgument(
        store.presignPut({ key: `${p}./b`, contentType: 'text/plain', contentLength: 1, expiresInS: 9 }),
      );
      await rejectsArgument(store.readRange(`${p}x`, 5, 2));
      await rejectsArgument(store.readRange(`${p}x`, -1, 2));
      await rejectsArgument(store.put(`${p}x`, bytesOf(1), 'text/plain', { 'bad name': 'v' }));
      for (const expiresInS of [0, 604_801, 1.5, Number.NaN]) {
        const base = { key: `${p}x`, contentType: 'text/plain', contentLength: 1, expiresInS };
        await rejectsArgument(store.presignPut(base));
        await rejectsArgument(store.presignPost({ ...base, minBytes: 0, maxBytes: 1 }));
        await rejectsArgument(store.signedGetUrl(`${p}x`, { expiresInS }));
      }
      await rejectsArgument(
        store.presignPost({
          key: `${p}x`,
          contentType: 'text/plain',
          minBytes: 5,
          maxBytes: 4,
          expiresInS: 60,
        }),
      );
      await rejectsArgument(store.presignPart(`${p}x`, 'id', 0, 60));
      assert.equal((await store.list(p)).length, 0);
    }),
    ms,
  );
  t.it(
    'signed GET serves the bytes, with the disposition asked for',
    run(async ({ store, send }, p) => {
      await store.put(`${p}g.txt`, bytesOf(20), 'text/plain');
      const url = await store.signedGetUrl(`${p}g.txt`, { expiresInS: 60, contentDisposition: 'attachment' });
      const answer = await send.get(url);
      assert.equal(answer.status, 200);
      assert.equal(answer.contentDisposition, 'attachment');
      sameBytes(answer.body, bytesOf(20), 'served');
    }),
    ms,
  );
}

/**
 * Runs the ObjectStore contract. `setup` returns `{ store, send }`: the store under test and a client for
 * its presigned URLs.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * objectStoreContract({ describe, it }, {
 *   name: 'memory',
 *   clockDrivesExpiry: true,
 *   setup: (clock) => {
 *     const store = createMemoryObjectStore({ clock, multipartLimits: { minPartBytes: 1024 } });
 *     return { subject: { store, send: memoryStoreClient(store) } };
 *   },
 * });
 * ```
 */
export function objectStoreContract(t: ContractTestApi, options: ObjectStoreContractOptions): void {
  t.describe(`ObjectStore contract: ${options.name}`, () => {
    t.describe('objects', () => objectCases(t, options));
    t.describe('presigned PUT and POST', () => presignCases(t, options));
    t.describe('multipart', () => multipartCases(t, options));
    t.describe('conditions, released reads, signed part sizes', () => conditionCases(t, options));
  });
}
