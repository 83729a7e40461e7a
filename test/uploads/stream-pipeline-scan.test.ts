import { describe, expect, it } from 'vitest';
import { UploadRejectedError } from '../../src/uploads/errors.js';
import {
  chunksOf,
  patternBytes,
  patternSource,
  type RecordingWriter,
  recordingWriter,
  testScanner,
} from './stream-helpers.js';
import { countingSource, KiB, rejectUnlessClean, setup } from './stream-pipeline-helpers.js';

describe('runUploadPipeline with a scanner', () => {
  it('a clean body: every byte scanned, the verdict awaited before completing', async () => {
    const scanner = testScanner({ chunkDelayMs: 1 });
    const { run, writer } = setup(patternSource(300 * KiB, 16 * KiB), {
      scan: { scanner, onVerdict: rejectUnlessClean },
    });
    const result = await run.result;
    expect(result.verdict).toEqual({ status: 'clean' });
    expect(scanner.readBytes).toBe(300 * KiB);
    expect(writer.completed).toBe(1);
  });

  it('infected at the end: refused before complete, upload aborted', async () => {
    const scanner = testScanner();
    const body = Buffer.concat([Buffer.from(patternBytes(200 * KiB)), Buffer.from('VIRUS')]);
    const { run, writer } = setup(chunksOf(body), { scan: { scanner, onVerdict: rejectUnlessClean } });
    await expect(run.result).rejects.toMatchObject({ code: 'ERR_UPLOAD_INFECTED', httpStatus: 422 });
    expect(writer.completed).toBe(0);
    expect(writer.aborted).toBe(1);
  });

  it('infected early: reading stops mid-body, without waiting for the end', async () => {
    const scanner = testScanner();
    const stats = { pulled: 0 };
    async function* virusThenEndless() {
      yield Buffer.concat([Buffer.from('VIRUS'), Buffer.from(patternBytes(8 * KiB))]);
      yield* countingSource(16 * KiB, stats);
    }
    const { run, writer } = setup(virusThenEndless(), {
      scan: { scanner, onVerdict: rejectUnlessClean },
      maxBytes: 2 ** 40,
    });
    await expect(run.result).rejects.toMatchObject({ code: 'ERR_UPLOAD_INFECTED' });
    expect(stats.pulled).toBeLessThan(10 * 1024 * KiB);
    expect(writer.completed).toBe(0);
  });

  it('too_large from the declared size: a refusing policy stops before any part; an accepting one continues', async () => {
    const scanner = testScanner({ maxScanBytes: 100 * KiB });
    const refuse = setup(patternSource(300 * KiB, 16 * KiB), {
      declaredBytes: 300 * KiB,
      scan: {
        scanner,
        onVerdict: (v) => {
          if (v.status !== 'clean')
            throw new UploadRejectedError('ERR_UPLOAD_SCAN_TOO_LARGE', 'too large to scan');
        },
      },
    });
    await expect(refuse.run.result).rejects.toMatchObject({ code: 'ERR_UPLOAD_SCAN_TOO_LARGE' });
    expect(refuse.writer.partSizes.length).toBeLessThanOrEqual(1);
    expect(refuse.writer.completed).toBe(0);

    const accept = setup(patternSource(300 * KiB, 16 * KiB), {
      declaredBytes: 300 * KiB,
      scan: { scanner: testScanner({ maxScanBytes: 100 * KiB }), onVerdict: () => {} },
    });
    const result = await accept.run.result;
    expect(result.verdict).toEqual({ status: 'too_large', limitBytes: 100 * KiB });
    expect(accept.writer.completed).toBe(1);
  });

  it('a scanner that fails is unavailable: the policy decides, and refusing aborts', async () => {
    const { run, writer } = setup(patternSource(100 * KiB, 16 * KiB), {
      scan: { scanner: testScanner({ throws: true }), onVerdict: rejectUnlessClean },
    });
    await expect(run.result).rejects.toMatchObject({ code: 'ERR_UPLOAD_SCAN_UNAVAILABLE' });
    expect(writer.completed).toBe(0);
  });
});

describe('backpressure', () => {
  it('a store taking 50 ms per part: the source is never more than about two parts ahead of it', async () => {
    const partSizeBytes = 256 * KiB;
    const chunkBytes = 16 * KiB;
    const total = 12 * partSizeBytes;
    let pulled = 0;
    let stored = 0;
    let maxAhead = 0;
    async function* source() {
      const chunk = patternBytes(chunkBytes);
      while (pulled < total) {
        pulled += chunkBytes;
        maxAhead = Math.max(maxAhead, pulled - stored);
        yield chunk;
      }
    }
    const writer = recordingWriter({ keepBytes: false, partDelayMs: 50 });
    const slow: RecordingWriter = Object.assign(Object.create(writer) as RecordingWriter, {
      writePart: async (bytes: Uint8Array) => {
        await writer.writePart(bytes);
        stored += bytes.byteLength;
      },
    });
    const { run } = setup(source(), { partSizeBytes }, slow);
    expect((await run.result).sizeBytes).toBe(total);
    expect(stored).toBe(total);
    // One part uploading and one filling: the source is held back, not read ahead to the end.
    expect(maxAhead).toBeLessThanOrEqual(2 * partSizeBytes + chunkBytes);
    expect(maxAhead).toBeGreaterThan(partSizeBytes);
  });
});
