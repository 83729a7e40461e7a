/**
 * The whole pipeline with synthetic sources and port implementations that record what they were given:
 * bytes arrive intact in exact parts; a refused head, an empty body and an over-limit body never reach
 * the store (or stop at once, without draining); deadlines, the caller's signal, a source error, a client
 * that goes away and a store failure all abort the multipart upload (stream-pipeline-scan.test.ts has the
 * scanner and the slow store).
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import { UploadRejectedError } from '../../src/uploads/errors.js';
import {
  chunksOf,
  failingReadable,
  patternBytes,
  patternSource,
  type RecordingWriter,
  recordingWriter,
  settle,
  stallingReadable,
  testScanner,
} from './stream-helpers.js';
import { countingSource, KiB, rejectUnlessClean, setup } from './stream-pipeline-helpers.js';

describe('runUploadPipeline', () => {
  it('stores a body intact in exact parts, checks the head once, completes once', async () => {
    const body = patternBytes(200 * KiB + 5);
    const { run, writer, heads } = setup(
      Readable.from(
        chunksOf(
          ...[0, 1, 2, 3].map((i) => body.subarray(i * 60 * KiB, (i + 1) * 60 * KiB)),
          body.subarray(240 * KiB),
        ),
      ),
    );
    const result = await run.result;
    expect(result.sizeBytes).toBe(body.byteLength);
    expect(result.parts).toBe(4);
    expect(writer.partSizes).toEqual([64 * KiB, 64 * KiB, 64 * KiB, 8 * KiB + 5]);
    expect(Buffer.compare(writer.body(), Buffer.from(body))).toBe(0);
    expect(heads).toEqual([4 * KiB]);
    expect(Buffer.from(result.head)).toEqual(Buffer.from(body.subarray(0, 4 * KiB)));
    expect(writer.completed).toBe(1);
    expect(writer.aborted).toBe(0);
    expect(run.receivedBytes()).toBe(body.byteLength);
  });

  it('a single huge chunk from a Readable: cut into exact parts, head checked first', async () => {
    const body = patternBytes(3 * 1024 * KiB + 1);
    const { run, writer, heads } = setup(Readable.from([Buffer.from(body)]));
    const result = await run.result;
    expect(heads).toEqual([4 * KiB]);
    expect(result.parts).toBe(49);
    expect(writer.partSizes.slice(0, 48).every((size) => size === 64 * KiB)).toBe(true);
    expect(writer.partSizes[48]).toBe(1);
    expect(Buffer.compare(writer.body(), Buffer.from(body))).toBe(0);
  });

  it('1-byte chunks and a body shorter than the head: checked at the end, one part', async () => {
    const body = patternBytes(1000);
    const { run, writer, heads } = setup(patternSource(1000, 1));
    expect((await run.result).sizeBytes).toBe(1000);
    expect(heads).toEqual([1000]);
    expect(writer.partSizes).toEqual([1000]);
    expect(Buffer.compare(writer.body(), Buffer.from(body))).toBe(0);
  });

  it('a refused head: the error as thrown, no multipart upload opened, no scan started', async () => {
    const refusal = new UploadRejectedError('ERR_UPLOAD_TYPE_MISMATCH', 'declared png, is a zip');
    const scanner = testScanner();
    const { run, opened } = setup(patternSource(1024 * KiB, 16 * KiB), {
      onHead: () => {
        throw refusal;
      },
      scan: { scanner, onVerdict: rejectUnlessClean },
    });
    await expect(run.result).rejects.toBe(refusal);
    expect(opened()).toBe(0);
    expect(scanner.calls).toBe(0);
  });

  it('an empty body is ERR_UPLOAD_EMPTY without opening a multipart upload', async () => {
    for (const body of [chunksOf(), chunksOf(new Uint8Array(0), new Uint8Array(0)), Readable.from([])]) {
      const { run, opened, heads } = setup(body);
      await expect(run.result).rejects.toMatchObject({ code: 'ERR_UPLOAD_EMPTY' });
      expect(opened()).toBe(0);
      expect(heads).toEqual([]);
    }
  });

  it('over the limit: ERR_UPLOAD_TOO_LARGE at once, the endless source is not drained, the upload aborted', async () => {
    const stats = { pulled: 0 };
    const { run, writer } = setup(countingSource(16 * KiB, stats), { maxBytes: 1024 * KiB });
    await expect(run.result).rejects.toMatchObject({
      code: 'ERR_UPLOAD_TOO_LARGE',
      details: { limitBytes: 1024 * KiB },
    });
    expect(stats.pulled).toBe(1024 * KiB + 16 * KiB);
    expect(writer.aborted).toBe(1);
    expect(writer.completed).toBe(0);
    expect(writer.body().byteLength).toBeLessThanOrEqual(1024 * KiB);
  });

  it('a declared size: longer is too large, shorter is incomplete, both aborted', async () => {
    const longer = setup(patternSource(300 * KiB, 10 * KiB), { declaredBytes: 200 * KiB });
    await expect(longer.run.result).rejects.toMatchObject({ code: 'ERR_UPLOAD_TOO_LARGE' });
    expect(longer.writer.aborted).toBe(1);
    const shorter = setup(patternSource(100 * KiB, 10 * KiB), { declaredBytes: 200 * KiB });
    await expect(shorter.run.result).rejects.toMatchObject({ code: 'ERR_UPLOAD_INCOMPLETE' });
    expect(shorter.writer.aborted).toBe(1);
    expect(shorter.writer.completed).toBe(0);
  });

  it('idle deadline: a stalled body is cut with ERR_UPLOAD_TIMEOUT and its upload aborted (manual clock)', async () => {
    const clock = createManualClock(0);
    const { run, writer } = setup(stallingReadable(patternBytes(100 * KiB)), { clock, idleTimeoutMs: 500 });
    for (let i = 0; i < 100 && writer.partSizes.length === 0; i++) await settle(1);
    await settle();
    clock.advance(499);
    await settle();
    clock.advance(1);
    await expect(run.result).rejects.toMatchObject({ code: 'ERR_UPLOAD_TIMEOUT', httpStatus: 408 });
    expect(writer.aborted).toBe(1);
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('empty chunks are no progress: a source of nothing but empty chunks still hits the idle deadline', async () => {
    const clock = createManualClock(0);
    let next: (() => void) | undefined;
    async function* empties() {
      yield patternBytes(10);
      for (;;) {
        await new Promise<void>((r) => {
          next = r;
        });
        yield new Uint8Array(0);
      }
    }
    const { run } = setup(empties(), { clock, idleTimeoutMs: 500, totalTimeoutMs: 60_000 });
    const outcome = run.result.catch((e: unknown) => e);
    for (let i = 0; i < 5; i++) {
      await settle();
      clock.advance(200);
      next?.();
    }
    expect(await outcome).toMatchObject({ code: 'ERR_UPLOAD_TIMEOUT', message: /idle/ });
  });

  it('total deadline: a body that keeps trickling is cut', async () => {
    const clock = createManualClock(0);
    let next: (() => void) | undefined;
    async function* trickle() {
      for (;;) {
        await new Promise<void>((r) => {
          next = r;
        });
        yield patternBytes(1);
      }
    }
    const { run } = setup(trickle(), { clock, idleTimeoutMs: 500, totalTimeoutMs: 2_000 });
    const outcome = run.result.catch((e: unknown) => e);
    for (let i = 0; i < 10; i++) {
      await settle();
      clock.advance(400);
      next?.();
    }
    expect(await outcome).toMatchObject({ code: 'ERR_UPLOAD_TIMEOUT', message: /total/ });
  });

  it('the caller aborts: ERR_UPLOAD_ABORTED, multipart aborted, also when aborted before the start', async () => {
    const control = new AbortController();
    const { run, writer } = setup(stallingReadable(patternBytes(100 * KiB)), { signal: control.signal });
    for (let i = 0; i < 100 && writer.partSizes.length === 0; i++) await settle(1);
    control.abort(new Error('client left'));
    await expect(run.result).rejects.toMatchObject({ code: 'ERR_UPLOAD_ABORTED', httpStatus: 400 });
    expect(writer.aborted).toBe(1);

    const early = setup(patternSource(10, 10), { signal: AbortSignal.abort() });
    await expect(early.run.result).rejects.toMatchObject({ code: 'ERR_UPLOAD_ABORTED' });
    expect(early.opened()).toBe(0);
  });

  it('a source that errors mid-way is ERR_UPLOAD_ABORTED with the cause kept', async () => {
    const cause = new Error('ECONNRESET');
    const { run, writer } = setup(failingReadable(patternBytes(100 * KiB), cause));
    const error = await run.result.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_UPLOAD_ABORTED' });
    expect((error as Error).cause).toBe(cause);
    expect(writer.aborted).toBe(1);
    expect(writer.completed).toBe(0);
  });

  it('a client that goes away while the store is busy is noticed without a read, and no part starts after', async () => {
    const source = stallingReadable(patternBytes(64 * KiB));
    const writer = recordingWriter({ partDelayMs: 100 });
    const { run } = setup(source, {}, writer);
    for (let i = 0; i < 100 && writer.partSizes.length === 0 && source.readableLength > 0; i++)
      await settle(1);
    source.destroy();
    await expect(run.result).rejects.toMatchObject({ code: 'ERR_UPLOAD_ABORTED' });
    expect(writer.aborted).toBe(1);
    expect(writer.writesAfterAbort).toBe(0);
  });

  it('a store failure is the StoreError, after an abort; a chunk that is not bytes is ERR_INVALID_ARGUMENT', async () => {
    const { run, writer } = setup(patternSource(300 * KiB, 10 * KiB), {}, recordingWriter({ failPart: 2 }));
    await expect(run.result).rejects.toMatchObject({ code: 'ERR_STORE' });
    expect(writer.aborted).toBe(1);
    async function* strings() {
      yield patternBytes(10);
      yield 'text' as unknown as Uint8Array;
    }
    await expect(setup(strings()).run.result).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(setup(42).run.result).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('an abort that itself fails is reported to onCleanupFailure; the original error is thrown', async () => {
    const writer = recordingWriter();
    const failing: RecordingWriter = Object.assign(Object.create(writer) as RecordingWriter, {
      writePart: writer.writePart,
      abort: async () => {
        throw new Error('abort failed');
      },
    });
    const cleanup: unknown[] = [];
    const { run } = setup(
      patternSource(300 * KiB, 10 * KiB),
      { maxBytes: 100 * KiB, onCleanupFailure: (e) => cleanup.push(e) },
      failing,
    );
    await expect(run.result).rejects.toMatchObject({ code: 'ERR_UPLOAD_TOO_LARGE' });
    expect(cleanup).toHaveLength(1);
  });
});
