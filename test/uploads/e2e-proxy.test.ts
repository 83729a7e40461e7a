/**
 * Proxied uploads end to end: a real `node:http` server on loopback calls `policy.proxy({ body: req,
 * signal })`, streaming into real radosgw (multipart) with real clamd scanning alongside, and a memory
 * quota. A good 20 MiB body lands under the final prefix in several parts with its size and sniffed type;
 * EICAR is 422; a spoofed type is 415 before any multipart upload exists; an over-limit body is 413 while
 * the client is still sending; a client that disconnects mid-way, a slowloris body (idle deadline) and a
 * steady trickle (total deadline) are cut. After each: nothing under the final or quarantine prefix, no
 * open multipart upload, the quota as before, and no temp file (the process's TMPDIR stays empty).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClamavScanner } from '../../src/uploads/clamav.js';
import { createFileTypeDetector } from '../../src/uploads/file-type.js';
import { createUploadPolicy } from '../../src/uploads/policy.js';
import type { UploadPolicy, UploadPolicyOptions } from '../../src/uploads/policy-types.js';
import { createMemoryQuotaStore } from '../../src/uploads/quota-memory.js';
import { createS3ObjectStore } from '../../src/uploads/s3.js';
import type { ObjectStore } from '../../src/uploads/types.js';
import { EICAR, EICAR_SIGNATURE } from '../support/clamd.js';
import { clamdTarget, noClamd } from '../support/clamd-suite.js';
import { noS3, useS3Bucket } from '../support/s3.js';
import {
  bodyChunks,
  sendUpload,
  startUploadServer,
  trickle,
  type UploadServer,
} from './e2e-proxy-helpers.js';
import { countingStore, png, type StoreCounts } from './proxy-helpers.js';

const MiB = 1024 * 1024;
const OWNER = 'e2e-user';
const PDF_HEAD = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1');

describe.skipIf(noS3 || noClamd)('proxied uploads over HTTP into radosgw, scanned by clamd', () => {
  const s3 = useS3Bucket('proxy');
  const quota = createMemoryQuotaStore();
  const counts: StoreCounts = { writersOpened: 0, partsWritten: 0 };
  let store: ObjectStore;
  let server: UploadServer;
  let privateTmp: string;
  let savedTmp: string | undefined;
  let usageBefore: { usedBytes: number; reservedBytes: number };

  const policyWith = (extra: Partial<UploadPolicyOptions>): UploadPolicy =>
    createUploadPolicy({
      name: 'e2e-proxy',
      storage: countingStore(store, counts),
      types: { 'image/png': {}, 'text/plain': { maxBytes: MiB } },
      maxBytes: 24 * MiB,
      partSizeBytes: 5 * MiB,
      detector: createFileTypeDetector(),
      scan: { scanner: createClamavScanner({ ...clamdTarget()!, maxScanBytes: 25 * MiB }) },
      quota: { store: quota, limitBytes: 1024 * MiB },
      ...extra,
    });

  beforeAll(async () => {
    savedTmp = process.env.TMPDIR;
    privateTmp = mkdtempSync(join(tmpdir(), 'bp-e2e-proxy-'));
    // Any temp file this process writes from now on lands here, where the tests can count it.
    process.env.TMPDIR = privateTmp;
    expect(tmpdir()).toBe(privateTmp);
    store = createS3ObjectStore({ client: s3.client, bucket: s3.bucket });
    const fast = policyWith({ idleTimeoutMs: 10_000, totalTimeoutMs: 120_000 });
    const slow = policyWith({ idleTimeoutMs: 500, totalTimeoutMs: 2_500 });
    server = await startUploadServer((path) => (path === '/slow' ? slow : fast));
  });

  afterAll(async () => {
    await server?.close();
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    if (privateTmp) rmSync(privateTmp, { recursive: true, force: true });
  });

  beforeEach(async () => {
    counts.writersOpened = 0;
    counts.partsWritten = 0;
    usageBefore = await quota.usage(OWNER, Date.now());
  });

  afterEach(async () => {
    expect(await store.list('files/')).toEqual([]);
    expect(await store.list('quarantine/')).toEqual([]);
    expect(await store.listMultipartUploads('')).toEqual([]);
    expect(await quota.usage(OWNER, Date.now())).toEqual(usageBefore);
    expect(readdirSync(privateTmp)).toEqual([]);
  });

  const headers = (contentType: string, extra: Record<string, string> = {}) => ({
    'content-type': contentType,
    'x-owner': OWNER,
    'x-filename': 'holiday photo.png',
    ...extra,
  });

  it('a good 20 MiB upload lands under the final prefix in several parts, with its size and sniffed type', async () => {
    const total = 20 * MiB;
    const sent = await sendUpload(server.port, {
      headers: headers('image/png', { 'content-length': String(total) }),
      chunks: bodyChunks(png(64), total),
    });
    expect(sent.error).toBeUndefined();
    expect(sent.status).toBe(201);
    const { file } = await server.outcome(server.outcomes.length);
    expect(file).toMatchObject({ sizeBytes: total, contentType: 'image/png', scan: 'clean', owner: OWNER });
    expect(counts.writersOpened).toBe(1);
    expect(counts.partsWritten).toBe(4);
    const info = await store.head(file!.key);
    expect(info).toMatchObject({ sizeBytes: total, contentType: 'image/png' });
    expect(Buffer.from(await store.readRange(file!.key, 0, 7))).toEqual(Buffer.from(png(8)));
    expect(await quota.usage(OWNER, Date.now())).toEqual({
      usedBytes: usageBefore.usedBytes + total,
      reservedBytes: 0,
    });
    // Remove it again, so the after-each checks hold (final prefix empty, quota as before).
    await policyWith({}).deleteFile(file!);
  });

  it('EICAR inside an allowed file is 422 ERR_UPLOAD_INFECTED', async () => {
    const body = Buffer.concat([Buffer.from(png(8 * 1024)), EICAR, Buffer.alloc(6 * MiB, 0x42)]);
    const sent = await sendUpload(server.port, {
      headers: headers('image/png', { 'content-length': String(body.length) }),
      chunks: trickle([body.subarray(0, 4 * MiB), body.subarray(4 * MiB)], 0),
    });
    expect(sent.status).toBe(422);
    expect(sent.body?.code).toBe('ERR_UPLOAD_INFECTED');
    expect((await server.outcome(server.outcomes.length)).code).toBe('ERR_UPLOAD_INFECTED');
    expect(EICAR_SIGNATURE).toMatch(/EICAR/);
  });

  it('a spoofed type (a PDF declared as PNG) is 415 before any multipart upload was created', async () => {
    const sent = await sendUpload(server.port, {
      headers: headers('image/png'),
      chunks: bodyChunks(PDF_HEAD, 12 * MiB),
    });
    expect(sent.status).toBe(415);
    expect(sent.body?.code).toBe('ERR_UPLOAD_TYPE_MISMATCH');
    expect(sent.finishedSending).toBe(false);
    expect(counts.writersOpened).toBe(0);
    expect(counts.partsWritten).toBe(0);
  });

  it('over the size limit: 413 while the client is still sending (no Content-Length)', async () => {
    const total = 40 * MiB;
    const sent = await sendUpload(server.port, {
      headers: headers('image/png'),
      chunks: bodyChunks(png(64), total),
    });
    expect(sent.status).toBe(413);
    expect(sent.body?.code).toBe('ERR_UPLOAD_TOO_LARGE');
    expect(sent.finishedSending).toBe(false);
    expect(sent.sentBytes).toBeLessThan(total);
    const declared = await sendUpload(server.port, {
      headers: headers('image/png', { 'content-length': String(total) }),
      chunks: bodyChunks(png(64), total),
    });
    expect(declared.status).toBe(413);
    expect(declared.finishedSending).toBe(false);
  });

  it('a client that disconnects mid-way: multipart aborted, reservation released, no object', async () => {
    const before = server.outcomes.length;
    const sent = await sendUpload(server.port, {
      headers: headers('image/png', { 'content-length': String(20 * MiB) }),
      chunks: bodyChunks(png(64), 20 * MiB),
      destroyAfterBytes: 11 * MiB,
    });
    expect(sent.status).toBeUndefined();
    const outcome = await server.outcome(before + 1);
    expect(outcome).toMatchObject({ status: 400, code: 'ERR_UPLOAD_ABORTED' });
    expect(counts.writersOpened).toBe(1);
    expect(counts.partsWritten).toBeGreaterThanOrEqual(1);
  });

  it('a slowloris body (1 byte every 2 s, idle deadline 500 ms) is cut with 408', async () => {
    const bytes = Array.from({ length: 10 }, (_, i) => png(10).subarray(i, i + 1));
    const sent = await sendUpload(server.port, {
      path: '/slow',
      headers: headers('image/png'),
      chunks: trickle(bytes, 2_000),
    });
    expect(sent.status).toBe(408);
    expect(sent.body?.code).toBe('ERR_UPLOAD_TIMEOUT');
    expect(sent.sentBytes).toBeLessThanOrEqual(2);
  });

  it('a body that keeps trickling (1 KiB every 200 ms) is cut by the total deadline with 408', async () => {
    const first = png(1024);
    const chunks = [first, ...Array.from({ length: 100 }, () => new Uint8Array(1024).fill(0x41))];
    const sent = await sendUpload(server.port, {
      path: '/slow',
      headers: headers('image/png'),
      chunks: trickle(chunks, 200),
    });
    expect(sent.status).toBe(408);
    expect(sent.body?.code).toBe('ERR_UPLOAD_TIMEOUT');
    expect(sent.finishedSending).toBe(false);
  });

  it('the proxy code never touches the file system', () => {
    const dir = join(import.meta.dirname, '../../src/uploads');
    const files = readdirSync(dir).filter((f) => /^stream-.*\.ts$|^proxy\.ts$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const file of files) {
      const source = readFileSync(join(dir, file), 'utf8');
      expect(source, file).not.toMatch(/from ['"](node:)?fs(\/promises)?['"]|tmpdir|createWriteStream/);
    }
  });
});
