/**
 * Direct multipart on the memory store, the hard cases: every part URL signs its exact length (the
 * part size, the remainder for the last; from the ticket and from presignParts), two completions at
 * once (one file, one charge; the loser is ERR_UPLOAD_NOT_FOUND, not ERR_STORE), and a store failure at
 * completion that leaves the upload pending for a retry. Refused calls count in uploads.call_failures.
 */
import { describe, expect, it } from 'vitest';
import { isBackendPatternsError } from '../../src/core/errors.js';
import { createMemoryObjectStore } from '../../src/uploads/memory-store.js';
import type { DirectUploadTicket } from '../../src/uploads/policy-types.js';
import { storeFailure } from '../../src/uploads/s3-rules.js';
import type { ObjectStore, UploadedPart } from '../../src/uploads/types.js';
import { type Harness, harness, KiB, OWNER, text } from './policy-fixtures.js';

type MultipartTicket = Extract<DirectUploadTicket, { mode: 'multipart' }>;

async function start(h: Harness, sizeBytes: number): Promise<MultipartTicket> {
  const t = await h.policy.startDirect({
    owner: OWNER,
    filename: 'big.txt',
    contentType: 'text/plain',
    sizeBytes,
    mode: 'multipart',
  });
  if (t.mode !== 'multipart') throw new Error('multipart expected');
  return t;
}

/** Sends every part of `body` through the ticket's URLs (and presignParts past the first 10). */
async function sendAll(h: Harness, t: MultipartTicket, body: Uint8Array): Promise<UploadedPart[]> {
  const urls = [...t.parts];
  if (t.partCount > urls.length) {
    const rest = Array.from({ length: t.partCount - urls.length }, (_, i) => urls.length + i + 1);
    urls.push(...(await h.policy.presignParts(OWNER, t.uploadId, rest)));
  }
  return urls.map((p) => {
    const bytes = body.subarray((p.partNumber - 1) * t.partSizeBytes, p.partNumber * t.partSizeBytes);
    const answer = h.storage.receivePart(p.url, bytes);
    if (!answer.ok) throw new Error(`part ${p.partNumber} refused: ${answer.code}`);
    return { partNumber: p.partNumber, etag: answer.etag };
  });
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('direct multipart: signed part lengths', () => {
  it('each URL signs its part length, the last the remainder; other sizes are refused by the store', async () => {
    const h = harness();
    const size = 11 * KiB + 7;
    const t = await start(h, size);
    expect(t.partCount).toBe(12);
    const more = await h.policy.presignParts(OWNER, t.uploadId, [11, 12, 1]);
    const lengths = [...t.parts, ...more].map((p) => [p.partNumber, p.headers['content-length']]);
    expect(lengths).toEqual([
      ...Array.from({ length: 10 }, (_, i) => [i + 1, String(KiB)]),
      [11, String(KiB)],
      [12, '7'],
      [1, String(KiB)],
    ]);
    const last = more[1] as { url: string };
    for (const wrong of [0, 6, 8, KiB, 5 * KiB]) {
      expect(h.storage.receivePart(last.url, text(wrong))).toMatchObject({ status: 403 });
    }
    expect(h.storage.receivePart((t.parts[0] as { url: string }).url, text(KiB + 1))).toMatchObject({
      status: 403,
    });
    expect((await h.listMultipart()).length).toBe(1);
    const parts = await sendAll(h, t, text(size));
    expect((await h.policy.completeMultipart(OWNER, t.uploadId, parts)).sizeBytes).toBe(size);
  });
});

describe('direct multipart: races and store failures', () => {
  it('two completions at once: one file, one charge; the loser is NOT_FOUND (a call failure)', async () => {
    const h = harness();
    const size = 3 * KiB + 1;
    const t = await start(h, size);
    const parts = await sendAll(h, t, text(size));
    const results = await Promise.allSettled([
      h.policy.completeMultipart(OWNER, t.uploadId, parts),
      h.policy.completeMultipart(OWNER, t.uploadId, parts),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ code: 'ERR_UPLOAD_NOT_FOUND' });
    expect(await h.usage()).toEqual({ usedBytes: size, reservedBytes: 0 });
    expect(await h.keys('quarantine/')).toEqual([]);
    expect(await h.listMultipart()).toEqual([]);
    expect(h.metrics.counterValue('uploads.failures')).toBe(0);
    expect(h.metrics.counterValue('uploads.call_failures', { reason: 'not_found' })).toBe(1);
  });

  it('a store failure at completion leaves the upload pending (ERR_STORE, a call failure); the retry completes', async () => {
    const storage = createMemoryObjectStore({ multipartLimits: { minPartBytes: KiB, maxParts: 10_000 } });
    let failNext = true;
    const flaky: ObjectStore = {
      ...storage,
      async completeMultipart(key, uploadId, parts) {
        if (failNext) {
          failNext = false;
          throw storeFailure('memory', 'completeMultipart', 'InternalError', 'injected');
        }
        return storage.completeMultipart(key, uploadId, parts);
      },
    };
    const h = { ...harness({ storage: flaky }), storage };
    const size = 2 * KiB + 5;
    const t = await start(h, size);
    const parts = await sendAll(h, t, text(size));
    const error = await failureOf(h.policy.completeMultipart(OWNER, t.uploadId, parts));
    expect(isBackendPatternsError(error, 'ERR_STORE'), String(error)).toBe(true);
    expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: size });
    expect(h.metrics.counterValue('uploads.call_failures', { op: 'complete', reason: 'store' })).toBe(1);
    expect(h.metrics.counterValue('uploads.failures')).toBe(0);
    expect((await h.policy.completeMultipart(OWNER, t.uploadId, parts)).sizeBytes).toBe(size);
    expect(await h.usage()).toEqual({ usedBytes: size, reservedBytes: 0 });
  });

  it('an unknown id, another owner, garbage parts: call failures, the upload untouched', async () => {
    const h = harness();
    const t = await start(h, 2 * KiB);
    for (const id of ['nope', '', 'a'.repeat(5000)]) {
      expect(await failureOf(h.policy.completeMultipart(OWNER, id, []))).toMatchObject({
        code: expect.stringMatching(/^ERR_/),
      });
    }
    expect(await failureOf(h.policy.completeMultipart('user-2', t.uploadId, []))).toMatchObject({
      code: 'ERR_UPLOAD_NOT_FOUND',
    });
    for (const garbage of [null, 'x', [{}], [{ partNumber: 1, etag: 7 }, null]] as never[]) {
      expect(await failureOf(h.policy.completeMultipart(OWNER, t.uploadId, garbage))).toMatchObject({
        code: 'ERR_UPLOAD_PART',
      });
    }
    expect(h.metrics.counterValue('uploads.call_failures', { op: 'complete' })).toBe(8);
    expect(h.metrics.counterValue('uploads.failures')).toBe(0);
    expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: 2 * KiB });
    expect(await h.listMultipart()).toHaveLength(1);
  });
});
