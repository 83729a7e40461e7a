/**
 * Constant memory: 512 MiB streamed through the whole pipeline (reader, limit, head gate, part assembler)
 * into a writer that discards the parts. The bound asserted is on memory, not time: resident set and heap
 * growth stay under 64 MiB for a body eight times that size (parts of 8 MiB: about 2 parts live at a time).
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { runUploadPipeline } from '../../src/uploads/stream-pipeline.js';
import type { MultipartWriter } from '../../src/uploads/types.js';
import { patternBytes } from './stream-helpers.js';

const MiB = 1024 * 1024;

describe('constant memory', () => {
  it('512 MiB through the pipeline grows RSS and heap by less than 64 MiB', async () => {
    const totalBytes = 512 * MiB;
    const chunkBytes = 64 * 1024;
    let pulled = 0;
    let stored = 0;
    let peakRss = 0;
    let peakHeap = 0;
    const sample = () => {
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss, usage.rss);
      peakHeap = Math.max(peakHeap, usage.heapUsed + usage.arrayBuffers);
    };
    async function* source() {
      // One chunk object yielded again and again: the pipeline copies into parts and keeps no reference.
      const chunk = patternBytes(chunkBytes);
      while (pulled < totalBytes) {
        pulled += chunkBytes;
        if (pulled % (4 * MiB) === 0) sample();
        yield chunk;
      }
    }
    const writer: MultipartWriter = {
      key: 'quarantine/memory',
      uploadId: 'm',
      async writePart(bytes) {
        stored += bytes.byteLength;
        sample();
      },
      async complete() {
        return {
          key: 'quarantine/memory',
          sizeBytes: stored,
          contentType: undefined,
          etag: undefined,
          metadata: {},
        };
      },
      async abort() {},
    };
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage();
    const baseRss = before.rss;
    const baseHeap = before.heapUsed + before.arrayBuffers;
    const run = runUploadPipeline({
      body: source(),
      clock: systemClock,
      idleTimeoutMs: 30_000,
      totalTimeoutMs: 600_000,
      maxBytes: totalBytes,
      headBytes: 4100,
      onHead: () => {},
      partSizeBytes: 8 * MiB,
      openWriter: async () => writer,
    });
    const result = await run.result;
    expect(result.sizeBytes).toBe(totalBytes);
    expect(stored).toBe(totalBytes);
    expect(result.parts).toBe(64);
    const rssGrowth = peakRss - baseRss;
    const heapGrowth = peakHeap - baseHeap;
    console.log(
      `[memory] 512 MiB: peak RSS growth ${(rssGrowth / MiB).toFixed(1)} MiB, heap+buffers growth ${(heapGrowth / MiB).toFixed(1)} MiB`,
    );
    expect(rssGrowth).toBeLessThan(64 * MiB);
    expect(heapGrowth).toBeLessThan(64 * MiB);
  });
});
