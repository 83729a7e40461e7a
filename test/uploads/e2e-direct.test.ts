/**
 * Direct uploads end to end on real services: radosgw (it enforces the presigned conditions), the run's
 * clamd (real EICAR detection), and the Redis quota store. The client side is plain `fetch` to the
 * presigned URLs. After every refusal: nothing under the final prefix, quarantine empty, no open multipart
 * upload, the reservation released, usage unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import { createClamavScanner } from '../../src/uploads/clamav.js';
import { createFileTypeDetector } from '../../src/uploads/file-type.js';
import { createUploadPolicy } from '../../src/uploads/policy.js';
import type {
  DirectUploadTicket,
  UploadPolicy,
  UploadPolicyOptions,
} from '../../src/uploads/policy-types.js';
import { createRedisQuotaStore } from '../../src/uploads/redis.js';
import { createS3ObjectStore } from '../../src/uploads/s3.js';
import type { ObjectStore, QuotaStore, UploadedPart } from '../../src/uploads/types.js';
import { EICAR, EICAR_SIGNATURE, startClamd } from '../support/clamd.js';
import { clamdTarget, noClamd } from '../support/clamd-suite.js';
import { noRedis, useRedisPrefix } from '../support/redis.js';
import { noS3, useS3Bucket } from '../support/s3.js';
import { pdf, png, text } from './policy-fixtures.js';
import { formOf } from './s3-helpers.js';

const MiB = 1024 * 1024;
const OWNER = 'e2e-user';
const LIMIT = 64 * MiB;

async function put(url: string, headers: Readonly<Record<string, string>>, body: Uint8Array) {
  const sent = Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'content-length'));
  const response = await fetch(url, { method: 'PUT', headers: sent, body });
  await response.arrayBuffer();
  return response.status;
}

async function send(ticket: DirectUploadTicket, body: Uint8Array): Promise<number> {
  if (ticket.mode === 'put') return put(ticket.put.url, ticket.put.headers, body);
  if (ticket.mode === 'post') {
    const response = await fetch(ticket.post.url, { method: 'POST', body: formOf(ticket.post.fields, body) });
    await response.arrayBuffer();
    return response.status;
  }
  throw new Error('send() is for put and post');
}

async function sendPart(url: string, partNumber: number, body: Uint8Array): Promise<UploadedPart> {
  const response = await fetch(url, { method: 'PUT', body });
  await response.arrayBuffer();
  expect(response.status).toBe(200);
  return { partNumber, etag: response.headers.get('etag') ?? '' };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (e: { code?: string }) => e.code,
  );

describe.skipIf(noS3 || noClamd || noRedis)('direct uploads on radosgw + clamd + Redis', () => {
  const s3 = useS3Bucket('e2e-direct');
  const redis = useRedisPrefix('e2e-direct');
  const clock = createManualClock(Date.now());
  let storage: ObjectStore;
  let quota: QuotaStore;
  let policy: UploadPolicy;
  const make = (o: Partial<UploadPolicyOptions> = {}) =>
    createUploadPolicy({
      storage,
      types: {
        'image/png': {},
        'application/pdf': {},
        'text/plain': {},
        'image/svg+xml': { maxBytes: 64 * 1024 },
      },
      svg: 'attachment',
      detector: createFileTypeDetector(),
      maxBytes: 64 * MiB,
      partSizeBytes: 5 * MiB,
      multipartThresholdBytes: 16 * MiB,
      quota: { store: quota, limitBytes: LIMIT },
      scan: { scanner: createClamavScanner({ ...clamdTarget(), maxScanBytes: 24 * MiB }) },
      clock,
      ...o,
    });

  beforeAll(() => {
    storage = createS3ObjectStore({ client: s3.client, bucket: s3.bucket });
    quota = createRedisQuotaStore({ client: redis.client, prefix: redis.prefix });
    policy = make();
  });

  const usage = (owner = OWNER) => quota.usage(owner, clock.now());
  const keys = async (prefix: string) => (await storage.list(prefix)).map((o) => o.key);
  let usedBefore = 0;
  /** Nothing left of a refused upload. */
  async function expectNothingLeft() {
    expect(await keys('quarantine/')).toEqual([]);
    expect(await storage.listMultipartUploads('quarantine/')).toEqual([]);
    expect(await usage()).toEqual({ usedBytes: usedBefore, reservedBytes: 0 });
    const finals = await keys('files/');
    expect(finals.length).toBe(stored.length);
  }
  const stored: string[] = [];
  const start = (
    contentType: string,
    sizeBytes: number,
    mode: 'put' | 'post' | 'multipart' = 'put',
    filename = 'f',
  ) => policy.startDirect({ owner: OWNER, filename, contentType, sizeBytes, mode });

  it('presigned PUT → finalize → promoted, quarantine empty, quota settled', async () => {
    const body = png(5000);
    const t = await start('image/png', body.length, 'put', 'cat.png');
    expect(await send(t, body)).toBe(200);
    const file = await policy.finalize(OWNER, t.uploadId);
    stored.push(file.key);
    usedBefore += 5000;
    expect(file).toMatchObject({ contentType: 'image/png', sizeBytes: 5000, scan: 'clean' });
    expect((await storage.head(file.key))?.contentType).toBe('image/png');
    await expectNothingLeft();
    const url = await policy.url(file, 'signed');
    const got = await fetch(url);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(body);
  });

  it('POST flow: a smaller body than declared settles its size; a bigger one is refused by S3', async () => {
    const t = await start('application/pdf', 4000, 'post', 'doc.pdf');
    expect(await send(t, pdf(4001))).toBeGreaterThanOrEqual(400);
    expect(await send(t, pdf(3000))).toBe(204);
    const file = await policy.finalize(OWNER, t.uploadId);
    stored.push(file.key);
    usedBefore += 3000;
    expect(file.sizeBytes).toBe(3000);
    await expectNothingLeft();
  });

  it('multipart: 3 parts of 5 MiB + tail, resumed via presignParts', async () => {
    const size = 15 * MiB + 1000;
    const body = text(size);
    const t = await start('text/plain', size, 'multipart', 'big.txt');
    if (t.mode !== 'multipart') throw new Error('multipart expected');
    expect(t).toMatchObject({ partSizeBytes: 5 * MiB, partCount: 4 });
    const slice = (n: number) => body.subarray((n - 1) * 5 * MiB, Math.min(size, n * 5 * MiB));
    const parts = [await sendPart((t.parts[0] as { url: string }).url, 1, slice(1))];
    const resumed = await policy.presignParts(OWNER, t.uploadId, [2, 3, 4]);
    for (const p of resumed) parts.push(await sendPart(p.url, p.partNumber, slice(p.partNumber)));
    const file = await policy.completeMultipart(OWNER, t.uploadId, parts);
    stored.push(file.key);
    usedBefore += size;
    expect(file).toMatchObject({ sizeBytes: size, contentType: 'text/plain', scan: 'clean' });
    expect((await storage.head(file.key))?.sizeBytes).toBe(size);
    await expectNothingLeft();
  });

  const refusals: [string, () => Promise<string | undefined>][] = [
    [
      'spoofed type: declared image/png, PDF bytes',
      async () => {
        const t = await start('image/png', 3000, 'put', 'cat.png');
        await send(t, pdf(3000));
        return codeOf(policy.finalize(OWNER, t.uploadId));
      },
    ],
    [
      'polyglot: PNG magic as text/plain',
      async () => {
        const t = await start('text/plain', 3000, 'put', 'notes.txt');
        await send(t, png(3000));
        return codeOf(policy.finalize(OWNER, t.uploadId));
      },
    ],
    ['zero bytes', () => codeOf(start('text/plain', 0))],
    [
      'EICAR (real clamd)',
      async () => {
        const t = await start('text/plain', EICAR.length, 'put', 'eicar.txt');
        await send(t, EICAR);
        const error = await policy.finalize(OWNER, t.uploadId).catch((e) => e);
        expect(error.details?.signature).toBe(EICAR_SIGNATURE);
        return error.code;
      },
    ],
    [
      'file over the scan limit',
      async () => {
        const small = make({
          scan: { scanner: createClamavScanner({ ...clamdTarget(), maxScanBytes: 1000 }) },
        });
        const t = await small.startDirect({
          owner: OWNER,
          filename: 'a.txt',
          contentType: 'text/plain',
          sizeBytes: 1001,
          mode: 'put',
        });
        await send(t, text(1001));
        return codeOf(small.finalize(OWNER, t.uploadId));
      },
    ],
    [
      'SVG with script',
      async () => {
        const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
        const t = await start('image/svg+xml', svg.length, 'put', 'x.svg');
        await send(t, svg);
        return codeOf(policy.finalize(OWNER, t.uploadId));
      },
    ],
    ['traversal-only filename', () => codeOf(start('text/plain', 10, 'put', '../../..'))],
    ['quota exhausted', () => codeOf(start('text/plain', LIMIT, 'multipart'))],
    [
      'multipart total over the reservation',
      async () => {
        const t = await start('text/plain', 10 * MiB + 10, 'multipart');
        if (t.mode !== 'multipart') throw new Error('multipart expected');
        const parts: UploadedPart[] = [];
        for (const p of t.parts.slice(0, 2)) parts.push(await sendPart(p.url, p.partNumber, text(5 * MiB)));
        // The ticket's last URL signs 10 bytes: radosgw refuses 5 MiB there (403).
        const last = await fetch((t.parts[2] as { url: string }).url, { method: 'PUT', body: text(5 * MiB) });
        await last.arrayBuffer();
        expect(last.status).toBe(403);
        // A URL without a signed length (one the policy never hands out) gets the bytes in: the
        // completion check is the second line of defence.
        const [open] = await storage.listMultipartUploads('quarantine/');
        const unsigned = await storage.presignPart(open?.key ?? '', open?.uploadId ?? '', 3, 60);
        parts.push(await sendPart(unsigned.url, 3, text(5 * MiB)));
        return codeOf(policy.completeMultipart(OWNER, t.uploadId, parts));
      },
    ],
  ];
  const expected: Record<string, string> = {
    'spoofed type: declared image/png, PDF bytes': 'ERR_UPLOAD_TYPE_MISMATCH',
    'polyglot: PNG magic as text/plain': 'ERR_UPLOAD_TYPE_MISMATCH',
    'zero bytes': 'ERR_UPLOAD_EMPTY',
    'EICAR (real clamd)': 'ERR_UPLOAD_INFECTED',
    'file over the scan limit': 'ERR_UPLOAD_SCAN_TOO_LARGE',
    'SVG with script': 'ERR_UPLOAD_UNSAFE_CONTENT',
    'traversal-only filename': 'ERR_UPLOAD_FILENAME',
    'quota exhausted': 'ERR_UPLOAD_QUOTA',
    'multipart total over the reservation': 'ERR_UPLOAD_TOO_LARGE',
  };
  for (const [name, run] of refusals) {
    it(`refused and cleaned: ${name}`, async () => {
      expect(await run()).toBe(expected[name]);
      await expectNothingLeft();
    });
  }

  describe('clamd stopped', () => {
    let scannerPort = 0;
    beforeAll(async () => {
      const victim = await startClamd();
      scannerPort = victim.port;
      await victim.stop();
    });
    it('→ ERR_UPLOAD_SCAN_UNAVAILABLE, cleaned; with onUnavailable accept → stored as accepted_unavailable', async () => {
      const scanner = createClamavScanner({ host: '127.0.0.1', port: scannerPort });
      const strict = make({ scan: { scanner } });
      const t = await strict.startDirect({
        owner: OWNER,
        filename: 'a.txt',
        contentType: 'text/plain',
        sizeBytes: 10,
        mode: 'put',
      });
      await send(t, text(10));
      expect(await codeOf(strict.finalize(OWNER, t.uploadId))).toBe('ERR_UPLOAD_SCAN_UNAVAILABLE');
      await expectNothingLeft();
      const lax = make({ scan: { scanner, onUnavailable: 'accept' } });
      const t2 = await lax.startDirect({
        owner: OWNER,
        filename: 'a.txt',
        contentType: 'text/plain',
        sizeBytes: 10,
        mode: 'put',
      });
      await send(t2, text(10));
      const file = await lax.finalize(OWNER, t2.uploadId);
      expect(file.scan).toBe('accepted_unavailable');
      stored.push(file.key);
      usedBefore += 10;
      await expectNothingLeft();
    });
  });

  it('a bigger body than declared through the PUT URL is refused by S3; finalize is INCOMPLETE; abort cleans', async () => {
    const t = await start('text/plain', 100);
    expect(await send(t, text(101))).toBe(403);
    expect(await codeOf(policy.finalize(OWNER, t.uploadId))).toBe('ERR_UPLOAD_INCOMPLETE');
    await policy.abort(OWNER, t.uploadId);
    await expectNothingLeft();
  });

  it('finalize before upload is INCOMPLETE (still pending); by another owner NOT_FOUND', async () => {
    const t = await start('text/plain', 10);
    expect(await codeOf(policy.finalize(OWNER, t.uploadId))).toBe('ERR_UPLOAD_INCOMPLETE');
    expect(await usage()).toEqual({ usedBytes: usedBefore, reservedBytes: 10 });
    await send(t, text(10));
    expect(await codeOf(policy.finalize('someone-else', t.uploadId))).toBe('ERR_UPLOAD_NOT_FOUND');
    expect(await keys('quarantine/')).toHaveLength(1);
    await policy.abort(OWNER, t.uploadId);
    await expectNothingLeft();
  });

  it('reservation expired, then finalize → NOT_FOUND, quarantine object removed', async () => {
    const t = await start('text/plain', 10);
    await send(t, text(10));
    clock.advance(3 * 3_600_000);
    expect(await codeOf(policy.finalize(OWNER, t.uploadId))).toBe('ERR_UPLOAD_NOT_FOUND');
    await expectNothingLeft();
  });

  it('double and concurrent finalize: one file, one charge', async () => {
    const t = await start('text/plain', 1000);
    await send(t, text(1000));
    const results = await Promise.allSettled([0, 1, 2].map(() => policy.finalize(OWNER, t.uploadId)));
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(won).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'ERR_UPLOAD_NOT_FOUND' });
    stored.push((won[0] as { key: string }).key);
    usedBefore += 1000;
    expect(await codeOf(policy.finalize(OWNER, t.uploadId))).toBe('ERR_UPLOAD_NOT_FOUND');
    await expectNothingLeft();
  });

  it('sweep aborts an abandoned multipart upload and frees its reservation', async () => {
    const t = await start('text/plain', 6 * MiB, 'multipart');
    if (t.mode !== 'multipart') throw new Error('multipart expected');
    await sendPart((t.parts[0] as { url: string }).url, 1, text(5 * MiB));
    clock.advance(25 * 3_600_000); // past the multipart reservation (multipartTtlMs, 24 h)
    const report = await policy.sweep();
    // This one, and any reservation an earlier test left to expire (dropped lazily, still swept once).
    expect(report.expiredReservations).toBeGreaterThanOrEqual(1);
    await expectNothingLeft();
  });

  afterAll(async () => {
    // The stored files go here (their bucket is removed by useS3Bucket).
    for (const key of stored) await storage.delete(key);
  });
});
