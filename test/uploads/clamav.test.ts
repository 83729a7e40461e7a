import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClamavScanner } from '../../src/uploads/clamav.js';
import {
  type Clamd,
  clamdMissing,
  EICAR,
  EICAR_SIGNATURE,
  MARKER,
  MARKER_SIGNATURE,
  startClamd,
} from '../support/clamd.js';
import { clamdTarget, noClamd } from '../support/clamd-suite.js';
import { inPieces, zeros } from './clamav-helpers.js';

const noPrivateClamd = process.env.CI !== 'true' && clamdMissing() !== undefined;
const KiB = 1024;

describe.skipIf(noClamd)('clamav scanner on the run clamd', () => {
  const target = clamdTarget() ?? { host: '127.0.0.1', port: 1 };
  const scanner = createClamavScanner({ ...target, maxScanBytes: 4 * 1024 * KiB });

  it('finds EICAR and names its signature', async () => {
    expect(await scanner.scan(inPieces(EICAR, 1024))).toEqual({
      status: 'infected',
      signature: EICAR_SIGNATURE,
    });
  });

  it('answers clean for clean bytes, and for zero bytes', async () => {
    const clean = Buffer.from('hello, this is a perfectly ordinary text file\n'.repeat(100));
    expect(await scanner.scan(inPieces(clean, 333))).toEqual({ status: 'clean' });
    expect(await scanner.scan(inPieces(new Uint8Array(0), 1))).toEqual({ status: 'clean' });
  });

  it('finds EICAR split across INSTREAM chunks and across source chunks, inside a bigger file', async () => {
    const file = Buffer.concat([randomBytes(100 * KiB + 3), EICAR, randomBytes(50 * KiB)]);
    const tinyChunks = createClamavScanner({ ...target, chunkBytes: 7 });
    expect(await tinyChunks.scan(inPieces(file, 4096))).toEqual({
      status: 'infected',
      signature: EICAR_SIGNATURE,
    });
    // Source pieces of 5 bytes: EICAR reaches the scanner in 14 pieces, the INSTREAM chunks are as small.
    expect(await scanner.scan(inPieces(Buffer.concat([randomBytes(1000), EICAR]), 5))).toMatchObject({
      status: 'infected',
    });
  });

  it('skips empty source chunks (a zero-length INSTREAM chunk would end the stream before EICAR)', async () => {
    const source = (async function* () {
      yield new Uint8Array(0);
      yield Buffer.from('harmless start ');
      yield Buffer.alloc(0);
      yield EICAR;
    })();
    expect(await scanner.scan(source)).toEqual({ status: 'infected', signature: EICAR_SIGNATURE });
  });

  it('finds a second custom signature', async () => {
    const file = Buffer.concat([Buffer.from('preamble '), MARKER, Buffer.from(' trailer')]);
    expect(await scanner.scan(inPieces(file, 10))).toEqual({
      status: 'infected',
      signature: MARKER_SIGNATURE,
    });
  });

  it('answers too_large for a stream one byte over maxScanBytes, clean at exactly the limit', async () => {
    const small = createClamavScanner({ ...target, maxScanBytes: 1000 });
    expect(await small.scan(inPieces(Buffer.alloc(1000, 'a'), 300))).toEqual({ status: 'clean' });
    expect(await small.scan(inPieces(Buffer.alloc(1001, 'a'), 300))).toEqual({
      status: 'too_large',
      limitBytes: 1000,
    });
    // EICAR after the limit is never sent: too_large, not clean and not infected.
    const late = Buffer.concat([Buffer.alloc(1000, 'a'), EICAR]);
    expect(await small.scan(inPieces(late, 100))).toEqual({ status: 'too_large', limitBytes: 1000 });
    // A declared size over the limit answers before reading anything.
    let pulled = 0;
    const counting = (async function* () {
      pulled++;
      yield EICAR;
    })();
    expect(await small.scan(counting, { sizeBytes: 1001 })).toEqual({
      status: 'too_large',
      limitBytes: 1000,
    });
    expect(pulled).toBe(0);
  });

  it('pings', async () => {
    expect(await scanner.ping()).toBe(true);
  });
});

describe.skipIf(noPrivateClamd)('clamav scanner on private clamd instances', () => {
  let tiny: Clamd;
  let lowFileLimit: Clamd;
  beforeAll(async () => {
    [tiny, lowFileLimit] = await Promise.all([
      startClamd({ streamMaxBytes: 10 * KiB }),
      startClamd({ streamMaxBytes: 100 * KiB, maxFileBytes: 20 * KiB, extendedDetectionInfo: true }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([tiny?.stop(), lowFileLimit?.stop()]);
  });

  it('reads clamd refusing a stream over its StreamMaxLength as too_large', async () => {
    // The adapter's own limit is higher: clamd's refusal is the answer. The source pauses after going over
    // clamd's limit until the verdict is in, so clamd's reply is read before any further write could meet
    // the connection clamd closed (see the next test for when it does).
    const scanner = createClamavScanner({ host: tiny.host, port: tiny.port, maxScanBytes: 1024 * KiB });
    let verdictIn: Promise<unknown> = Promise.resolve();
    const source = (async function* () {
      yield Buffer.alloc(11 * KiB, 'b');
      await Promise.race([verdictIn, new Promise((r) => setTimeout(r, 5000))]);
      yield Buffer.alloc(11 * KiB, 'b');
    })();
    const scan = scanner.scan(source);
    verdictIn = scan;
    expect(await scan).toEqual({ status: 'too_large', limitBytes: 1024 * KiB });
    expect(await scanner.scan(inPieces(Buffer.alloc(5 * KiB, 'b'), KiB))).toEqual({ status: 'clean' });
  });

  it('never answers clean nor infected for a stream clamd refused while it was still being written', async () => {
    // clamd replies and closes while chunks are still going out: usually the reply is read (too_large);
    // rarely the next write meets the reset first and the reply is lost (unavailable). Both refuse.
    for (const chunkBytes of [1000, 64 * KiB]) {
      const big = createClamavScanner({
        host: tiny.host,
        port: tiny.port,
        maxScanBytes: 1024 * KiB,
        chunkBytes,
      });
      const verdict = await big.scan(inPieces(Buffer.alloc(200 * KiB, 'b'), 8 * KiB));
      expect(['too_large', 'unavailable']).toContain(verdict.status);
    }
  });

  it('reads Heuristics.Limits.Exceeded (AlertExceedsMax) as too_large, never infected nor clean', async () => {
    const scanner = createClamavScanner({ host: lowFileLimit.host, port: lowFileLimit.port });
    const verdict = await scanner.scan(zeros(50 * KiB, 4 * KiB));
    expect(verdict).toEqual({ status: 'too_large', limitBytes: scanner.maxScanBytes });
    // Under the limit, ExtendedDetectionInfo's "(md5:size)" is cut from the signature name.
    expect(await scanner.scan(inPieces(EICAR, 10))).toEqual({
      status: 'infected',
      signature: EICAR_SIGNATURE,
    });
  });

  it('scans over the Unix socket', async () => {
    const scanner = createClamavScanner({ socketPath: tiny.socketPath });
    expect(await scanner.ping()).toBe(true);
    expect(await scanner.scan(inPieces(EICAR, 68))).toEqual({
      status: 'infected',
      signature: EICAR_SIGNATURE,
    });
    expect(await scanner.scan(inPieces(Buffer.from('fine'), 2))).toEqual({ status: 'clean' });
  });

  it('answers unavailable when clamd is killed mid-scan', async () => {
    const victim = await startClamd({ streamMaxBytes: 64 * 1024 * KiB });
    try {
      const scanner = createClamavScanner({
        host: victim.host,
        port: victim.port,
        maxScanBytes: 64 * 1024 * KiB,
      });
      let sent = 0;
      const source = (async function* () {
        for (let i = 0; i < 1024; i++) {
          if (i === 16) await victim.kill();
          sent++;
          yield Buffer.alloc(64 * KiB, 'k');
          await new Promise((r) => setTimeout(r, 1));
        }
      })();
      const verdict = await scanner.scan(source);
      expect(verdict).toEqual({ status: 'unavailable', reason: expect.stringMatching(/reset|closed/) });
      // 16 chunks went out before the kill; the scan ended while the source was in the kill (or just after).
      expect(sent).toBeGreaterThanOrEqual(16);
      expect(sent).toBeLessThan(20);
      expect(await scanner.ping()).toBe(false);
    } finally {
      await victim.stop();
    }
  });
});
