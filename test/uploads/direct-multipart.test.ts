/**
 * Direct multipart uploads on the memory store: the part plan, presignParts (resume), completion checks
 * against the store's part list, and a total over the reservation.
 */
import { describe, expect, it } from 'vitest';
import type { DirectUploadTicket } from '../../src/uploads/policy-types.js';
import type { UploadedPart } from '../../src/uploads/types.js';
import { expectClean, type Harness, harness, KiB, OWNER, text } from './policy-fixtures.js';

const expectCode = async (promise: Promise<unknown>, code: string) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toMatchObject({ code });
};

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

/** A part URL of the (only) open store upload without a signed length (what a lax store would take). */
async function unsignedPart(h: Harness, partNumber: number): Promise<string> {
  const [open] = await h.storage.listMultipartUploads('quarantine/');
  if (open === undefined) throw new Error('no open multipart upload');
  return (await h.storage.presignPart(open.key, open.uploadId, partNumber, 60)).url;
}

/** Uploads `bytes` as part `n` through its URL; returns the client's completion entry. */
function sendPart(h: Harness, url: string, n: number, bytes: Uint8Array): UploadedPart {
  const answer = h.storage.receivePart(url, bytes);
  if (!answer.ok) throw new Error(`part ${n} refused: ${answer.code}`);
  return { partNumber: n, etag: answer.etag };
}

describe('direct multipart', () => {
  it('13 parts: 10 URLs with the ticket, the rest by presignParts (resume), complete, promoted', async () => {
    const h = harness();
    const size = 12 * KiB + 100;
    const body = text(size);
    const t = await start(h, size);
    expect(t).toMatchObject({ partSizeBytes: KiB, partCount: 13 });
    expect(t.parts.map((p) => p.partNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const done: UploadedPart[] = [];
    for (const p of t.parts.slice(0, 8)) {
      done.push(
        sendPart(h, p.url, p.partNumber, body.subarray((p.partNumber - 1) * KiB, p.partNumber * KiB)),
      );
    }
    // The page reloads: the client asks for the parts it has not sent.
    const rest = await h.policy.presignParts(OWNER, t.uploadId, [9, 10, 11, 12, 13]);
    for (const p of rest) {
      done.push(
        sendPart(
          h,
          p.url,
          p.partNumber,
          body.subarray((p.partNumber - 1) * KiB, Math.min(size, p.partNumber * KiB)),
        ),
      );
    }
    const file = await h.policy.completeMultipart(OWNER, t.uploadId, done);
    expect(file.sizeBytes).toBe(size);
    expect(await h.keys('quarantine/')).toEqual([]);
    expect(await h.listMultipart()).toEqual([]);
    expect(await h.usage()).toEqual({ usedBytes: size, reservedBytes: 0 });
    expect(h.metrics.counterValue('uploads.bytes', { mode: 'multipart' })).toBe(size);
    await expectCode(h.policy.completeMultipart(OWNER, t.uploadId, done), 'ERR_UPLOAD_NOT_FOUND');
  });

  it('presignParts refuses bad numbers, other owners, and non-multipart uploads', async () => {
    const h = harness();
    const t = await start(h, 3 * KiB);
    for (const bad of [[], [0], [4], [1.5], [1, 1], ['1'], Array.from({ length: 101 }, () => 1), 'x']) {
      await expectCode(h.policy.presignParts(OWNER, t.uploadId, bad as never), 'ERR_UPLOAD_PART');
    }
    await expectCode(h.policy.presignParts('user-2', t.uploadId, [1]), 'ERR_UPLOAD_NOT_FOUND');
    const put = await h.policy.startDirect({
      owner: OWNER,
      filename: 'a.txt',
      contentType: 'text/plain',
      sizeBytes: 10,
      mode: 'put',
    });
    await expectCode(h.policy.presignParts(OWNER, put.uploadId, [1]), 'ERR_UPLOAD_NOT_FOUND');
    // Refused calls of an upload that goes on: call failures, never the upload's end.
    expect(h.metrics.counterValue('uploads.call_failures', { op: 'presign_parts', reason: 'part' })).toBe(8);
    expect(
      h.metrics.counterValue('uploads.call_failures', { op: 'presign_parts', reason: 'not_found' }),
    ).toBe(2);
    expect(h.metrics.counterValue('uploads.failures')).toBe(0);
  });

  it('completion with a missing part, a wrong ETag or a short middle part is ERR_UPLOAD_PART and stays resumable', async () => {
    const h = harness();
    const t = await start(h, 3 * KiB);
    const [p1, p2, p3] = t.parts as [
      MultipartTicket['parts'][0],
      MultipartTicket['parts'][0],
      MultipartTicket['parts'][0],
    ];
    const a = sendPart(h, p1.url, 1, text(KiB));
    const b = sendPart(h, p2.url, 2, text(KiB));
    await expectCode(h.policy.completeMultipart(OWNER, t.uploadId, [a, b]), 'ERR_UPLOAD_PART');
    await expectCode(
      h.policy.completeMultipart(OWNER, t.uploadId, [a, b, { partNumber: 3, etag: 'nope' }]),
      'ERR_UPLOAD_PART',
    );
    // A short middle part through the signed URL: the store refuses it (the length is signed).
    expect(h.storage.receivePart(p2.url, text(100))).toMatchObject({ status: 403 });
    // Through a URL without a signed length (a store that ignores it): completion refuses it.
    const shortB = sendPart(h, await unsignedPart(h, 2), 2, text(100));
    const c = sendPart(h, p3.url, 3, text(KiB));
    await expectCode(h.policy.completeMultipart(OWNER, t.uploadId, [a, shortB, c]), 'ERR_UPLOAD_PART');
    await expectCode(h.policy.completeMultipart(OWNER, t.uploadId, [b, a, c]), 'ERR_UPLOAD_PART');
    expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: 3 * KiB });
    const fixedB = sendPart(h, p2.url, 2, text(KiB));
    const file = await h.policy.completeMultipart(OWNER, t.uploadId, [a, fixedB, c]);
    expect(file.sizeBytes).toBe(3 * KiB);
    expect(h.metrics.counterValue('uploads.call_failures', { op: 'complete', reason: 'part' })).toBe(4);
    expect(h.metrics.counterValue('uploads.failures')).toBe(0);
  });

  it('a total over the reservation is refused and cleaned (multipart aborted, reservation released)', async () => {
    const h = harness();
    const t = await start(h, 2 * KiB + 10);
    // The signed URL of part 3 takes 10 bytes only; a URL without a signed length (a store that does
    // not enforce it) takes 2 KiB, and then completion refuses the total.
    expect(h.storage.receivePart((t.parts[2] as { url: string }).url, text(2 * KiB))).toMatchObject({
      status: 403,
    });
    const unsigned = await unsignedPart(h, 3);
    const parts = t.parts.map((p) =>
      p.partNumber === 3
        ? sendPart(h, unsigned, 3, text(2 * KiB))
        : sendPart(h, p.url, p.partNumber, text(KiB)),
    );
    await expectCode(h.policy.completeMultipart(OWNER, t.uploadId, parts), 'ERR_UPLOAD_TOO_LARGE');
    await expectClean(h);
    expect(h.metrics.counterValue('uploads.failures', { mode: 'multipart', reason: 'too_large' })).toBe(1);
  });

  it('abort of a multipart upload aborts it in the store', async () => {
    const h = harness();
    const t = await start(h, 2 * KiB);
    sendPart(h, (t.parts[0] as { url: string }).url, 1, text(KiB));
    await h.policy.abort(OWNER, t.uploadId);
    await expectClean(h);
  });

  it('finalize before completion is INCOMPLETE and leaves it pending', async () => {
    const h = harness();
    const t = await start(h, 2 * KiB);
    await expectCode(h.policy.finalize(OWNER, t.uploadId), 'ERR_UPLOAD_INCOMPLETE');
    expect(await h.listMultipart()).toHaveLength(1);
    expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: 2 * KiB });
  });
});
