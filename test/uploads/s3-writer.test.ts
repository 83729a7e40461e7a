/**
 * The multipart writer both stores share, on scripted store calls: order, the ETags it completes with,
 * the early refusal of a short non-last part, and an abort while a part is in flight.
 */
import { describe, expect, it } from 'vitest';
import { objectStoreErrorCode } from '../../src/uploads/s3-rules.js';
import { createPartWriter, type PartWriterCalls } from '../../src/uploads/s3-writer.js';
import type { UploadedPart } from '../../src/uploads/types.js';

const limits = { minPartBytes: 4, maxPartBytes: 8, maxParts: 3, maxSinglePutBytes: 8 };

function scripted(overrides: Partial<PartWriterCalls> = {}) {
  const log: string[] = [];
  let completedWith: readonly UploadedPart[] = [];
  const calls: PartWriterCalls = {
    store: 'test',
    key: 'k',
    uploadId: 'u',
    limits,
    async uploadPart(n, bytes) {
      log.push(`part ${n} ${bytes.byteLength}`);
      return `"etag-${n}"`;
    },
    async complete(parts) {
      completedWith = parts;
      log.push('complete');
      return { key: 'k', sizeBytes: 0, contentType: 'x', etag: 'e', metadata: {} };
    },
    async abort() {
      log.push('abort');
    },
    ...overrides,
  };
  return { calls, log, completed: () => completedWith };
}

const code = (p: Promise<unknown>) => p.then(() => 'resolved', objectStoreErrorCode);

describe('createPartWriter', () => {
  it('numbers parts in call order (even when called without awaiting) and completes with their ETags', async () => {
    const s = scripted();
    const writer = createPartWriter(s.calls);
    await Promise.all([writer.writePart(new Uint8Array(4)), writer.writePart(new Uint8Array(2))]);
    await writer.complete();
    expect(s.log).toEqual(['part 1 4', 'part 2 2', 'complete']);
    expect(s.completed()).toEqual([
      { partNumber: 1, etag: '"etag-1"' },
      { partNumber: 2, etag: '"etag-2"' },
    ]);
    expect(await code(writer.writePart(new Uint8Array(1)))).toBe('NoSuchUpload');
    await writer.abort();
    expect(s.log).not.toContain('abort');
  });

  it('refuses a part over the maximum, past maxParts, and after a short one', async () => {
    const writer = createPartWriter(scripted().calls);
    expect(await code(writer.writePart(new Uint8Array(9)))).toBe('EntityTooLarge');
    for (let i = 0; i < 3; i++) await writer.writePart(new Uint8Array(4));
    expect(await code(writer.writePart(new Uint8Array(4)))).toBe('InvalidArgument');
    const short = createPartWriter(scripted().calls);
    await short.writePart(new Uint8Array(3));
    expect(await code(short.writePart(new Uint8Array(4)))).toBe('EntityTooSmall');
  });

  it('an abort while a part is in flight aborts again once the part has landed', async () => {
    let land: (etag: string) => void = () => {};
    const s = scripted({ uploadPart: () => new Promise<string>((resolve) => (land = resolve)) });
    const writer = createPartWriter(s.calls);
    const writing = code(writer.writePart(new Uint8Array(4)));
    await new Promise((r) => setImmediate(r));
    await writer.abort();
    land('"late"');
    expect(await writing).toBe('NoSuchUpload');
    expect(s.log.filter((l) => l === 'abort')).toHaveLength(2);
    await writer.abort();
    expect(s.log.filter((l) => l === 'abort')).toHaveLength(2);
  });

  it('a failed complete leaves the writer open, so it can still be aborted', async () => {
    const s = scripted({ complete: () => Promise.reject(new Error('store down')) });
    const writer = createPartWriter(s.calls);
    await writer.writePart(new Uint8Array(4));
    await expect(writer.complete()).rejects.toThrow('store down');
    await writer.abort();
    expect(s.log).toEqual(['part 1 4', 'abort']);
  });
});
