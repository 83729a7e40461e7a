/**
 * Conditional and bounded cases of the ObjectStore contract: reads and copies of one version only
 * (`ifMatch`: after an overwrite the old ETag is `PreconditionFailed` and a copy writes nothing), reads
 * given up before or while being read, and part URLs whose length is signed (another size refused,
 * nothing stored).
 */
import assert from 'node:assert/strict';
import {
  accepted,
  bytesOf,
  collect,
  type ObjectStoreContractOptions,
  refused,
  rejectsArgument,
  rejectsStore,
  runner,
  sameBytes,
} from './object-store-helpers.js';
import type { ContractTestApi } from './test-api.js';

const unquoted = (etag: string) => etag.replace(/^"(.*)"$/, '$1');

function ifMatchCases(t: ContractTestApi, options: ObjectStoreContractOptions, ms: number): void {
  const run = runner(options);
  t.it(
    'ifMatch: read, readRange and copy of the current ETag (quoted or not) work',
    run(async ({ store }, p) => {
      const body = bytesOf(40, 2);
      await store.put(`${p}v`, body, 'application/octet-stream');
      const etag = (await store.head(`${p}v`))?.etag as string;
      assert.equal(typeof etag, 'string');
      for (const condition of [etag, unquoted(etag)]) {
        sameBytes(await store.readRange(`${p}v`, 0, 9, condition), body.slice(0, 10), 'range');
        sameBytes(await collect(await store.read(`${p}v`, undefined, condition)), body, 'read');
      }
      await store.copy(`${p}v`, `${p}copied`, { contentType: 'text/plain', ifMatch: etag });
      sameBytes(await store.readRange(`${p}copied`, 0, 39), body, 'copy');
    }),
    ms,
  );
  t.it(
    'ifMatch after an overwrite: PreconditionFailed, and the copy writes nothing',
    run(async ({ store }, p) => {
      const old = (await store.put(`${p}v`, bytesOf(40, 2), 'application/octet-stream')).etag as string;
      await store.put(`${p}v`, bytesOf(40, 3), 'application/octet-stream');
      assert.notEqual(unquoted((await store.head(`${p}v`))?.etag as string), unquoted(old));
      await rejectsStore(store.readRange(`${p}v`, 0, 9, old), 'PreconditionFailed');
      await rejectsStore(store.read(`${p}v`, undefined, old).then(collect), 'PreconditionFailed');
      await rejectsStore(
        store.copy(`${p}v`, `${p}final`, { contentType: 'text/plain', ifMatch: old }),
        'PreconditionFailed',
      );
      assert.equal(await store.head(`${p}final`), undefined, 'the destination is not written');
      await rejectsStore(store.readRange(`${p}v`, 0, 9, '"0123456789abcdef0123456789abcdef"'));
      // Replaced by an empty object: the condition fails, not an empty range of the new one.
      const before = (await store.head(`${p}v`))?.etag as string;
      await store.put(`${p}v`, new Uint8Array(0), 'application/octet-stream');
      await rejectsStore(store.readRange(`${p}v`, 0, 9, before), 'PreconditionFailed');
    }),
    ms,
  );
  t.it(
    'ifMatch that is no header value is ERR_INVALID_ARGUMENT',
    run(async ({ store }, p) => {
      await store.put(`${p}v`, bytesOf(4), 'text/plain');
      await rejectsArgument(store.readRange(`${p}v`, 0, 1, '"x"\r\nx-evil: 1'));
      await rejectsArgument(store.read(`${p}v`, undefined, ''));
      await rejectsArgument(
        store.copy(`${p}v`, `${p}c`, { contentType: 'text/plain', ifMatch: 42 as unknown as string }),
      );
      assert.equal(await store.head(`${p}c`), undefined);
    }),
    ms,
  );
}

function readReleaseCases(t: ContractTestApi, options: ObjectStoreContractOptions, ms: number): void {
  const run = runner(options);
  t.it(
    'a read aborted before it is iterated rejects with the reason; return() ends a stream early',
    run(async ({ store }, p) => {
      await store.put(`${p}r`, bytesOf(200_000, 4), 'application/octet-stream');
      const controller = new AbortController();
      const source = await store.read(`${p}r`, controller.signal);
      const reason = new Error('scanner unavailable');
      controller.abort(reason);
      await assert.rejects(collect(source), (e) => e === reason);
      const early = (await store.read(`${p}r`))[Symbol.asyncIterator]();
      assert.deepEqual(await early.return?.(), { done: true, value: undefined });
      // The store still answers after both (nothing left held).
      assert.equal((await store.head(`${p}r`))?.sizeBytes, 200_000);
    }),
    ms,
  );
}

function signedPartCases(t: ContractTestApi, options: ObjectStoreContractOptions, ms: number): void {
  const run = runner(options);
  t.it(
    'presignPart with contentLength: that size is stored, any other refused and not stored',
    run(async ({ store, send }, p) => {
      const key = `${p}sized.bin`;
      const uploadId = await store.createMultipart(key, 'application/octet-stream');
      const url = await store.presignPart(key, uploadId, 1, 300, 1000);
      assert.equal(url.headers['content-length'], '1000');
      refused(await send.part(url.url, bytesOf(1001)), 'one byte more');
      refused(await send.part(url.url, bytesOf(999)), 'one byte less');
      refused(await send.part(url.url, bytesOf(5000)), 'five times more');
      assert.deepEqual(await store.listParts(key, uploadId), [], 'nothing stored after the refusals');
      accepted(await send.part(url.url, bytesOf(1000)), 'the signed size');
      assert.deepEqual(
        (await store.listParts(key, uploadId)).map((part) => part.sizeBytes),
        [1000],
      );
      const unsized = await store.presignPart(key, uploadId, 2, 300);
      accepted(await send.part(unsized.url, bytesOf(7)), 'no length signed: any size');
      for (const bad of [-1, 1.5, Number.NaN, store.multipartLimits.maxPartBytes + 1]) {
        await rejectsArgument(store.presignPart(key, uploadId, 3, 300, bad));
      }
      await store.abortMultipart(key, uploadId);
    }),
    ms,
  );
}

/** Registers the conditional, read-release and signed-part cases. */
export function conditionCases(t: ContractTestApi, options: ObjectStoreContractOptions): void {
  const ms = options.timeoutMs ?? 20_000;
  ifMatchCases(t, options, ms);
  readReleaseCases(t, options, ms);
  signedPartCases(t, options, ms);
}
