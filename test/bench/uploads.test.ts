/**
 * The uploads bench's moving parts at tiny sizes, without judging any figure: the settings, the payload,
 * the bench server's routes (ours, the plain pipe, direct) on a private radosgw (memstore), hostile bodies
 * that must leave nothing in the bucket, and one whole run of the three cases producing every row. The
 * figures themselves come only from `npm run bench -- uploads`.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYLOAD_TYPE, payloadChunks, sendBody } from '../../bench/uploads/client.js';
import { runUploadsBench } from '../../bench/uploads/run.js';
import { type BenchServer, startBenchServer } from '../../bench/uploads/server-process.js';
import { type BenchServices, startBenchServices } from '../../bench/uploads/services.js';
import {
  MAX_UPLOAD_BYTES,
  type UploadsBenchSettings,
  uploadsBenchSettings,
} from '../../bench/uploads/settings.js';
import { createFileTypeDetector } from '../../src/uploads/file-type.js';
import { useEnvPrefix } from '../support/env.js';
import { noS3 } from '../support/s3.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const MiB = 1024 * 1024;

/** Tiny sizes: parts of S3's minimum, a big upload of 2 parts and a bit, one round, one file. */
const TINY = {
  BENCH_UPLOADS_BIG_BYTES: String(10 * MiB + 3),
  BENCH_UPLOADS_ROUND_BYTES: String(5 * MiB + 1),
  BENCH_UPLOADS_ROUNDS: '1',
  BENCH_UPLOADS_FILE_BYTES: String(MiB),
  BENCH_UPLOADS_FILES: '1',
  BENCH_UPLOADS_PART_BYTES: String(5 * MiB),
  BENCH_UPLOADS_WARMUP_BYTES: String(64 * 1024),
  BENCH_UPLOADS_OBJECTSTORE: 'memstore',
};

describe('settings', () => {
  const { clear } = useEnvPrefix('BENCH_UPLOADS_');

  it('defaults to 1 GiB, 5 rounds of 256 MiB, 5 files of 64 MiB, 8 MiB parts, bluestore, clamd if installed', () => {
    clear();
    expect(uploadsBenchSettings()).toEqual({
      bigBytes: 1024 * MiB,
      roundBytes: 256 * MiB,
      rounds: 5,
      fileBytes: 64 * MiB,
      files: 5,
      partBytes: 8 * MiB,
      warmupBytes: 16 * MiB,
      objectstore: 'bluestore',
      clamd: 'auto',
    });
  });

  it.each([
    ['BENCH_UPLOADS_ROUNDS', 'five', /BENCH_UPLOADS_ROUNDS must be an integer >= 1/],
    ['BENCH_UPLOADS_ROUNDS', '0', /BENCH_UPLOADS_ROUNDS must be an integer >= 1/],
    ['BENCH_UPLOADS_BIG_BYTES', '1e400', /BENCH_UPLOADS_BIG_BYTES must be an integer/],
    ['BENCH_UPLOADS_BIG_BYTES', String(MAX_UPLOAD_BYTES + 1), /BENCH_UPLOADS_BIG_BYTES must be at most/],
    [
      'BENCH_UPLOADS_PART_BYTES',
      String(5 * MiB - 1),
      /BENCH_UPLOADS_PART_BYTES must be an integer >= 5242880/,
    ],
    ['BENCH_UPLOADS_FILES', '2.5', /BENCH_UPLOADS_FILES must be an integer/],
    ['BENCH_UPLOADS_FILE_BYTES', '-1', /BENCH_UPLOADS_FILE_BYTES must be an integer/],
    ['BENCH_UPLOADS_WARMUP_BYTES', '1; rm -rf /', /BENCH_UPLOADS_WARMUP_BYTES must be an integer/],
    ['BENCH_UPLOADS_OBJECTSTORE', 'ramdisk', /BENCH_UPLOADS_OBJECTSTORE must be one of bluestore, memstore/],
    ['BENCH_UPLOADS_CLAMD', 'yes', /BENCH_UPLOADS_CLAMD must be one of auto, on, off/],
  ])('refuses %s=%s, naming the variable', (name, value, message) => {
    process.env[name] = value;
    expect(() => uploadsBenchSettings()).toThrow(message);
  });
});

describe('payload', () => {
  const total = (chunks: Iterable<Buffer>) => [...chunks].reduce((sum, c) => sum + c.length, 0);

  it('is exactly the size asked for, the same bytes on every call', () => {
    for (const size of [0, 1, MiB - 1, MiB, MiB + 1, 3 * MiB + 7])
      expect(total(payloadChunks(size))).toBe(size);
    const [a] = payloadChunks(64);
    const [b] = payloadChunks(64);
    expect(Buffer.compare(a as Buffer, b as Buffer)).toBe(0);
  });

  it('sniffs as video/mp4; the spoofed head sniffs as nothing', async () => {
    const detector = createFileTypeDetector();
    const [mp4] = payloadChunks(8192);
    const [spoofed] = payloadChunks(8192, 'spoofed');
    expect(await detector.detect(mp4 as Buffer)).toEqual({ mime: PAYLOAD_TYPE, ext: 'mp4' });
    expect(await detector.detect(spoofed as Buffer)).toBeUndefined();
  });
});

describe.skipIf(noS3)('the bench on a private radosgw', () => {
  const { clear } = useEnvPrefix('BENCH_UPLOADS_');
  let services: BenchServices;
  let server: BenchServer;
  // Read once: the environment is restored after every test.
  let settings: UploadsBenchSettings;
  beforeAll(async () => {
    // The server imports the package by name, so dist must be current (as npm run bench makes it).
    await run(process.execPath, ['--import', 'tsx', 'scripts/ensure-build.ts'], { cwd: root });
    clear();
    Object.assign(process.env, TINY);
    settings = uploadsBenchSettings();
    services = await startBenchServices(settings);
    server = await startBenchServer(services.serverConfig(5 * MiB));
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await services?.stop();
  });

  /** Leftovers once the server had time to abort what a dead connection left. */
  async function settledLeftovers() {
    for (let attempt = 0; attempt < 50; attempt++) {
      const left = await services.leftovers();
      if (left.objects.length === 0 && left.uploads.length === 0) return left;
      await new Promise((r) => setTimeout(r, 100));
    }
    return services.leftovers();
  }

  it('ours and the plain pipe store every byte over several parts; direct PUT then finalize too', async () => {
    const size = 11 * MiB + 5;
    for (const route of ['/ours', '/plain']) {
      const sent = await sendBody(`${server.url}${route}?size=${size}`, { method: 'PUT', sizeBytes: size });
      expect(sent.status).toBe(200);
      const answer = JSON.parse(sent.body) as { key: string; sizeBytes: number };
      expect(answer.sizeBytes).toBe(size);
      expect((await services.leftovers()).objects).toEqual([answer.key]);
      await services.empty();
    }
    const ticket = JSON.parse(
      (await sendBody(`${server.url}/direct/start?size=${MiB}`, { method: 'POST', sizeBytes: 0 })).body,
    ) as { uploadId: string; url: string; headers: Record<string, string> };
    const { 'content-length': _, ...headers } = ticket.headers;
    // One byte more than signed is S3's to refuse (403, or the connection closed before the answer was
    // read: radosgw answers before reading the body); the exact size is accepted.
    const bigger = await sendBody(ticket.url, { method: 'PUT', headers, sizeBytes: MiB + 1 }).then(
      (sent) => sent.status,
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect(['403', 'EPIPE', 'ECONNRESET']).toContain(String(bigger));
    expect((await sendBody(ticket.url, { method: 'PUT', headers, sizeBytes: MiB })).status).toBe(200);
    const id = encodeURIComponent(ticket.uploadId);
    const file = await sendBody(`${server.url}/direct/finalize?id=${id}`, { method: 'POST', sizeBytes: 0 });
    expect(file.status).toBe(200);
    expect(JSON.parse(file.body)).toMatchObject({ sizeBytes: MiB, scan: 'not_scanned' });
    await services.empty();
  });

  it('a spoofed body, a body longer than declared and a bad size are refused; nothing stays', async () => {
    const spoofed = await sendBody(`${server.url}/ours?size=${6 * MiB}`, {
      method: 'PUT',
      sizeBytes: 6 * MiB,
      head: 'spoofed',
    });
    expect(spoofed.status).toBe(415);
    expect(JSON.parse(spoofed.body)).toMatchObject({ code: 'ERR_UPLOAD_TYPE' });
    const longer = await sendBody(`${server.url}/ours?size=${5 * MiB}`, {
      method: 'PUT',
      sizeBytes: 6 * MiB,
    });
    expect(longer.status).toBe(413);
    for (const size of ['-1', 'abc', '1e999']) {
      const bad = await sendBody(`${server.url}/ours?size=${size}`, { method: 'PUT', sizeBytes: 10 });
      expect(bad.status).toBe(500);
      expect(bad.body).toMatch(/size must be a non-negative integer/);
    }
    const unknown = await sendBody(`${server.url}/direct/finalize?id=nope`, { method: 'POST', sizeBytes: 0 });
    expect(JSON.parse(unknown.body)).toMatchObject({ code: 'ERR_UPLOAD_NOT_FOUND' });
    expect((await sendBody(`${server.url}/../etc/passwd`, { method: 'POST', sizeBytes: 0 })).status).toBe(
      404,
    );
    expect(await settledLeftovers()).toEqual({ objects: [], uploads: [] });
  });

  it('a client that goes away mid-body leaves no object and no multipart upload, on either side', async () => {
    for (const route of ['/ours', '/plain']) {
      const cut = await sendBody(`${server.url}${route}?size=${12 * MiB}`, {
        method: 'PUT',
        sizeBytes: 12 * MiB,
        cutAfterBytes: 7 * MiB,
      });
      expect(cut.status).toBe(0);
    }
    expect(await settledLeftovers()).toEqual({ objects: [], uploads: [] });
    // The server is still up and counting.
    expect((await server.stats()).cpuUs).toBeGreaterThan(0);
  });

  it('one whole run at tiny sizes gives every row with finite figures and the goals verdicts', async () => {
    const lines: string[] = [];
    const result = await runUploadsBench(services, settings, (line) => lines.push(line));
    const cases = result.rows.map((r) => r.case);
    expect(cases.filter((c) => c.includes('RSS growth, peak - before'))).toHaveLength(1);
    expect(cases.some((c) => c.includes('goal: overhead 1 - ratio <= 15%'))).toBe(true);
    expect(cases.some((c) => c.startsWith('direct (presign + finalize'))).toBe(true);
    expect(cases.some((c) => c.includes('scanned by clamd'))).toBe(services.clamd !== undefined);
    for (const row of result.rows) {
      expect(Number.isFinite(row.ours), row.case).toBe(true);
      expect(Number.isFinite(row.peer), row.case).toBe(true);
    }
    expect(result.verdicts[0]).toMatch(
      /^target: 10 MiB proxied upload, server RSS growth < 64 MiB: (met|NOT met)/,
    );
    expect(result.verdicts[1]).toMatch(/^target: proxied overhead .*: (met|NOT met) \(-?\d+\.\d%\)$/);
    // Warm-ups, then: 2 big, 2 or 3 per round, 2 per file.
    expect(lines.length).toBe(2 + (services.clamd ? 3 : 2) + 2);
    expect(await services.leftovers()).toEqual({ objects: [], uploads: [] });
  }, 60_000);
});
