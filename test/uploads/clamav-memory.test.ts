import { describe, expect, it } from 'vitest';
import { createClamavScanner } from '../../src/uploads/clamav.js';
import { clamdMissing, EICAR, EICAR_SIGNATURE, startClamd } from '../support/clamd.js';

const MiB = 1024 * 1024;
const noPrivateClamd = process.env.CI !== 'true' && clamdMissing() !== undefined;

/** Fresh 64 KiB buffers (a new allocation each: whatever the scanner kept would show in RSS), then `tail`. */
async function* stream(totalBytes: number, tail: Uint8Array): AsyncGenerator<Uint8Array> {
  const chunkBytes = 64 * 1024;
  for (let sent = 0; sent < totalBytes; sent += chunkBytes) yield Buffer.alloc(chunkBytes, sent % 251);
  yield tail;
}

describe.skipIf(noPrivateClamd)('clamav scanner memory', () => {
  it('streams 200 MiB to clamd with RSS growth far below the stream size, and still finds EICAR at the end', async () => {
    const clamd = await startClamd({
      streamMaxBytes: 256 * MiB,
      maxFileBytes: 256 * MiB,
      maxScanBytes: 1024 * MiB,
    });
    try {
      const scanner = createClamavScanner({ host: clamd.host, port: clamd.port, maxScanBytes: 256 * MiB });
      const before = process.memoryUsage();
      let peakRss = before.rss;
      let peakBuffers = before.arrayBuffers;
      const sampler = setInterval(() => {
        const now = process.memoryUsage();
        peakRss = Math.max(peakRss, now.rss);
        peakBuffers = Math.max(peakBuffers, now.arrayBuffers);
      }, 20);
      let verdict: unknown;
      try {
        verdict = await scanner.scan(stream(200 * MiB, EICAR));
      } finally {
        clearInterval(sampler);
      }
      const rssGrowthMiB = (peakRss - before.rss) / MiB;
      const bufferGrowthMiB = (peakBuffers - before.arrayBuffers) / MiB;
      console.log(
        `200 MiB scan: RSS +${rssGrowthMiB.toFixed(1)} MiB, array buffers +${bufferGrowthMiB.toFixed(1)} MiB`,
      );
      expect(verdict).toEqual({ status: 'infected', signature: EICAR_SIGNATURE });
      expect(rssGrowthMiB).toBeLessThan(64);
      expect(bufferGrowthMiB).toBeLessThan(64);
    } finally {
      await clamd.stop();
    }
  });
});
