/**
 * Multipart cases of the ObjectStore contract: presigned parts sent by the client, listParts, complete
 * (and its refusals: a short non-last part, a wrong ETag), abort, the open-uploads listing the sweeper
 * uses, and the server-side writer of proxied uploads. Part sizes follow the store's own
 * `multipartLimits.minPartBytes` (5 MiB on S3; a test memory store lowers it).
 */
import assert from 'node:assert/strict';
import {
  accepted,
  bytesOf,
  type ObjectStoreContractOptions,
  type ObjectStoreContractSubject,
  refused,
  rejectsStore,
  runner,
  sameBytes,
} from './object-store-helpers.js';
import type { ContractTestApi } from './test-api.js';

/** Uploads `bodies` as parts 1..n through presigned URLs; returns the parts with the ETags the server sent. */
async function sendParts(
  { store, send }: ObjectStoreContractSubject,
  key: string,
  uploadId: string,
  bodies: readonly Uint8Array[],
) {
  const parts = [];
  for (const [i, body] of bodies.entries()) {
    const presigned = await store.presignPart(key, uploadId, i + 1, 300);
    assert.equal(presigned.partNumber, i + 1);
    const answer = await send.part(presigned.url, body);
    accepted(answer, `part ${i + 1}`);
    assert.equal(typeof answer.etag, 'string', 'the server sends the ETag');
    parts.push({ partNumber: i + 1, etag: answer.etag as string });
  }
  return parts;
}

function presignedMultipartCases(t: ContractTestApi, options: ObjectStoreContractOptions, ms: number) {
  const run = runner(options);
  t.it(
    'presigned parts, listParts, complete: the object is the parts in order',
    run(async (subject, p) => {
      const { store } = subject;
      const min = store.multipartLimits.minPartBytes;
      const bodies = [bytesOf(min, 1), bytesOf(1000, 2)];
      const uploadId = await store.createMultipart(`${p}m.bin`, 'video/mp4', { upload: 'u4' });
      const sent = await sendParts(subject, `${p}m.bin`, uploadId, bodies);
      const listed = await store.listParts(`${p}m.bin`, uploadId);
      assert.deepEqual(
        listed.map((part) => [part.partNumber, part.sizeBytes]),
        [
          [1, min],
          [2, 1000],
        ],
      );
      const open = await store.listMultipartUploads(p);
      assert.deepEqual(
        open.map((u) => [u.key, u.uploadId]),
        [[`${p}m.bin`, uploadId]],
      );
      assert.ok(Number.isFinite(open[0]?.startedAtMs));
      const info = await store.completeMultipart(`${p}m.bin`, uploadId, sent);
      assert.equal(info.sizeBytes, min + 1000);
      const head = await store.head(`${p}m.bin`);
      assert.equal(head?.contentType, 'video/mp4');
      assert.equal(head?.metadata.upload, 'u4');
      sameBytes(
        await store.readRange(`${p}m.bin`, min - 2, min + 1),
        Buffer.concat(bodies).slice(min - 2, min + 2),
        'seam',
      );
      assert.deepEqual(await store.listMultipartUploads(p), []);
    }),
    ms,
  );
  t.it(
    'a non-last part under the minimum is refused at complete (EntityTooSmall)',
    run(async (subject, p) => {
      const { store } = subject;
      const uploadId = await store.createMultipart(`${p}small.bin`, 'application/octet-stream');
      const sent = await sendParts(subject, `${p}small.bin`, uploadId, [bytesOf(1), bytesOf(1)]);
      await rejectsStore(store.completeMultipart(`${p}small.bin`, uploadId, sent), 'EntityTooSmall');
      assert.equal(await store.head(`${p}small.bin`), undefined);
      await store.abortMultipart(`${p}small.bin`, uploadId);
    }),
    ms,
  );
  t.it(
    'a wrong ETag or an unknown part is refused at complete (InvalidPart)',
    run(async (subject, p) => {
      const { store } = subject;
      const uploadId = await store.createMultipart(`${p}etag.bin`, 'application/octet-stream');
      await sendParts(subject, `${p}etag.bin`, uploadId, [bytesOf(10)]);
      const wrong = [{ partNumber: 1, etag: '"0123456789abcdef0123456789abcdef"' }];
      await rejectsStore(store.completeMultipart(`${p}etag.bin`, uploadId, wrong), 'InvalidPart');
      await rejectsStore(
        store.completeMultipart(`${p}etag.bin`, uploadId, [{ ...wrong[0]!, partNumber: 2 }]),
      );
      assert.equal(await store.head(`${p}etag.bin`), undefined);
      await store.abortMultipart(`${p}etag.bin`, uploadId);
    }),
    ms,
  );
  t.it(
    'abort drops the upload: not listed, parts refused, abort again succeeds',
    run(async (subject, p) => {
      const { store, send } = subject;
      const uploadId = await store.createMultipart(`${p}a.bin`, 'application/octet-stream');
      await sendParts(subject, `${p}a.bin`, uploadId, [bytesOf(10)]);
      const later = await store.presignPart(`${p}a.bin`, uploadId, 2, 300);
      await store.abortMultipart(`${p}a.bin`, uploadId);
      await store.abortMultipart(`${p}a.bin`, uploadId);
      assert.deepEqual(await store.listMultipartUploads(p), []);
      await rejectsStore(store.listParts(`${p}a.bin`, uploadId), 'NoSuchUpload');
      refused(await send.part(later.url, bytesOf(10)), 'part after abort');
      assert.equal(await store.head(`${p}a.bin`), undefined);
    }),
    ms,
  );
  t.it(
    'listMultipartUploads sees only its prefix',
    run(async ({ store }, p) => {
      const a = await store.createMultipart(`${p}in/a`, 'text/plain');
      const b = await store.createMultipart(`${p}out/b`, 'text/plain');
      assert.deepEqual(
        (await store.listMultipartUploads(`${p}in/`)).map((u) => u.uploadId),
        [a],
      );
      await store.abortMultipart(`${p}in/a`, a);
      await store.abortMultipart(`${p}out/b`, b);
    }),
    ms,
  );
  t.it(
    'a tampered part URL is refused',
    run(async ({ store, send }, p) => {
      const uploadId = await store.createMultipart(`${p}t.bin`, 'text/plain');
      const part = await store.presignPart(`${p}t.bin`, uploadId, 1, 300);
      const other = part.url.replace('partNumber=1', 'partNumber=2');
      assert.notEqual(other, part.url);
      refused(await send.part(other, bytesOf(10)), 'part number changed');
      assert.deepEqual(await store.listParts(`${p}t.bin`, uploadId), []);
      await store.abortMultipart(`${p}t.bin`, uploadId);
    }),
    ms,
  );
}

function writerCases(t: ContractTestApi, options: ObjectStoreContractOptions, ms: number) {
  const run = runner(options);
  t.it(
    'writer: parts in order, complete gives the object',
    run(async ({ store }, p) => {
      const min = store.multipartLimits.minPartBytes;
      const writer = await store.openMultipartWriter(`${p}w.bin`, 'application/zip', { upload: 'u5' });
      assert.equal(writer.key, `${p}w.bin`);
      const bodies = [bytesOf(min, 7), bytesOf(17, 8)];
      for (const body of bodies) await writer.writePart(body);
      const info = await writer.complete();
      assert.equal(info.sizeBytes, min + 17);
      assert.equal((await store.head(`${p}w.bin`))?.metadata.upload, 'u5');
      sameBytes(await store.readRange(`${p}w.bin`, min, min + 16), bodies[1]!, 'last part');
      assert.deepEqual(await store.listMultipartUploads(p), []);
    }),
    ms,
  );
  t.it(
    'writer: no parts completes as an empty object',
    run(async ({ store }, p) => {
      const writer = await store.openMultipartWriter(`${p}w0.bin`, 'text/plain');
      assert.equal((await writer.complete()).sizeBytes, 0);
      assert.equal((await store.head(`${p}w0.bin`))?.sizeBytes, 0);
    }),
    ms,
  );
  t.it(
    'writer: abort leaves nothing, twice is fine, writes after it fail',
    run(async ({ store }, p) => {
      const writer = await store.openMultipartWriter(`${p}wa.bin`, 'text/plain');
      await writer.writePart(bytesOf(store.multipartLimits.minPartBytes));
      await writer.abort();
      await writer.abort();
      await rejectsStore(writer.writePart(bytesOf(10)));
      await rejectsStore(writer.complete());
      assert.deepEqual(await store.listMultipartUploads(p), []);
      assert.equal(await store.head(`${p}wa.bin`), undefined);
    }),
    ms,
  );
  t.it(
    'writer: a short part followed by another is refused (EntityTooSmall)',
    run(async ({ store }, p) => {
      const writer = await store.openMultipartWriter(`${p}ws.bin`, 'text/plain');
      await writer.writePart(bytesOf(1));
      await rejectsStore(writer.writePart(bytesOf(1)), 'EntityTooSmall');
      await writer.abort();
      assert.deepEqual(await store.listMultipartUploads(p), []);
    }),
    ms,
  );
}

/** Multipart cases. */
export function multipartCases(t: ContractTestApi, options: ObjectStoreContractOptions): void {
  const ms = options.timeoutMs ?? 20_000;
  presignedMultipartCases(t, options, ms);
  writerCases(t, options, ms);
}
