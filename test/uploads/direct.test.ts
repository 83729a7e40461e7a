/**
 * Direct uploads on the memory store (which refuses what S3 refuses): PUT and POST tickets, finalize,
 * and the hostile list, each ending with nothing left behind.
 */
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import { isUploadRejected } from '../../src/uploads/errors.js';
import {
  expectClean,
  harness,
  KiB,
  LIMIT_BYTES,
  OWNER,
  pdf,
  png,
  send,
  sha256,
  text,
} from './policy-fixtures.js';

const expectCode = async (promise: Promise<unknown>, code: string) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toMatchObject({ code });
  return error as { code: string; details: Record<string, unknown> };
};

describe('direct PUT', () => {
  it('presigns, finalizes, promotes: quarantine empty, quota settled, metrics counted', async () => {
    const h = harness();
    const body = png(3000);
    const ticket = await h.policy.startDirect({
      owner: OWNER,
      filename: 'cat.png',
      contentType: 'image/png',
      sizeBytes: body.length,
      mode: 'put',
      checksumSha256: sha256(body),
    });
    expect(ticket.mode).toBe('put');
    expect(ticket.key.startsWith('quarantine/')).toBe(true);
    expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: 3000 });
    expect(send(h, ticket, body)).toMatchObject({ ok: true });
    const file = await h.policy.finalize(OWNER, ticket.uploadId);
    expect(file).toMatchObject({
      owner: OWNER,
      sizeBytes: 3000,
      contentType: 'image/png',
      filename: 'cat.png',
    });
    expect(file.scan).toBe('not_scanned');
    expect(file.key).toMatch(/^files\/[0-9a-f]{32}\/[a-z2-7]{26}\/[a-z2-7]{26}\.png$/);
    expect(await h.keys('quarantine/')).toEqual([]);
    expect(await h.keys('files/')).toEqual([file.key]);
    expect(await h.usage()).toEqual({ usedBytes: 3000, reservedBytes: 0 });
    const head = await h.storage.head(file.key);
    expect(head?.contentType).toBe('image/png');
    expect(h.metrics.counterValue('uploads.attempts', { mode: 'put' })).toBe(1);
    expect(h.metrics.counterValue('uploads.bytes', { mode: 'put' })).toBe(3000);
    expect(h.metrics.counterValue('uploads.failures')).toBe(0);
  });

  it('the store refuses another type, another length and a wrong checksum than signed', async () => {
    const h = harness();
    const body = png(500);
    const ticket = await h.policy.startDirect({
      owner: OWNER,
      filename: 'a.png',
      contentType: 'image/png',
      sizeBytes: 500,
      mode: 'put',
      checksumSha256: sha256(body),
    });
    expect(send(h, ticket, body, 'text/html')).toMatchObject({ ok: false });
    expect(send(h, ticket, png(501))).toMatchObject({ ok: false });
    const other = png(500);
    other[300] = 1;
    expect(send(h, ticket, other)).toMatchObject({ ok: false });
    await expectCode(h.policy.finalize(OWNER, ticket.uploadId), 'ERR_UPLOAD_INCOMPLETE');
    // Finalize before the bytes arrive keeps the upload pending: the client may still send them.
    expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: 500 });
    expect(send(h, ticket, body)).toMatchObject({ ok: true });
    await h.policy.finalize(OWNER, ticket.uploadId);
    expect(await h.usage()).toEqual({ usedBytes: 500, reservedBytes: 0 });
  });

  it('auto picks multipart at the threshold and put below it', async () => {
    const h = harness();
    const small = await h.policy.startDirect({
      owner: OWNER,
      filename: 'a.txt',
      contentType: 'text/plain',
      sizeBytes: 16 * KiB - 1,
    });
    const big = await h.policy.startDirect({
      owner: OWNER,
      filename: 'b.txt',
      contentType: 'text/plain',
      sizeBytes: 16 * KiB,
    });
    expect(small.mode).toBe('put');
    expect(big.mode).toBe('multipart');
  });
});

describe('direct POST', () => {
  it('accepts a body within [1, declared], settles the real size', async () => {
    const h = harness();
    const ticket = await h.policy.startDirect({
      owner: OWNER,
      filename: 'doc.pdf',
      contentType: 'application/pdf',
      sizeBytes: 4000,
      mode: 'post',
    });
    expect(ticket.mode).toBe('post');
    expect(send(h, ticket, pdf(4001))).toMatchObject({ ok: false });
    expect(send(h, ticket, pdf(3000))).toMatchObject({ ok: true });
    const file = await h.policy.finalize(OWNER, ticket.uploadId);
    expect(file.sizeBytes).toBe(3000);
    expect(await h.usage()).toEqual({ usedBytes: 3000, reservedBytes: 0 });
    expect(await h.keys('quarantine/')).toEqual([]);
  });

  it('refuses a form with another key or type', async () => {
    const h = harness();
    const ticket = await h.policy.startDirect({
      owner: OWNER,
      filename: 'doc.pdf',
      contentType: 'application/pdf',
      sizeBytes: 400,
      mode: 'post',
    });
    if (ticket.mode !== 'post') throw new Error('post expected');
    expect(
      h.storage.receivePost(ticket.post.url, { ...ticket.post.fields, key: 'files/evil' }, pdf(400)),
    ).toMatchObject({ ok: false });
    expect(send(h, ticket, pdf(400), 'text/html')).toMatchObject({ ok: false });
    expect(await h.keys('files/')).toEqual([]);
  });
});

describe('declarations refused at start (nothing reserved, nothing stored)', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['type not allowed', { contentType: 'image/gif' }, 'ERR_UPLOAD_TYPE'],
    ['markup type', { contentType: 'text/html' }, 'ERR_UPLOAD_TYPE'],
    ['svg under svg: reject', { contentType: 'image/svg+xml' }, 'ERR_UPLOAD_TYPE'],
    ['malformed type', { contentType: 'png' }, 'ERR_UPLOAD_TYPE'],
    ['non-UTF-8 text', { contentType: 'text/plain; charset=utf-16' }, 'ERR_UPLOAD_TYPE_MISMATCH'],
    ['zero bytes', { sizeBytes: 0 }, 'ERR_UPLOAD_EMPTY'],
    ['over the type limit', { sizeBytes: 100 * KiB + 1, mode: 'multipart' }, 'ERR_UPLOAD_TOO_LARGE'],
    [
      'PUT over the store single-request limit',
      { sizeBytes: 32 * KiB + 1, mode: 'put' },
      'ERR_UPLOAD_TOO_LARGE',
    ],
    ['negative size', { sizeBytes: -1 }, 'ERR_INVALID_ARGUMENT'],
    ['NaN size', { sizeBytes: Number.NaN }, 'ERR_INVALID_ARGUMENT'],
    ['size as a string', { sizeBytes: '10' }, 'ERR_INVALID_ARGUMENT'],
    ['missing size', { sizeBytes: undefined }, 'ERR_INVALID_ARGUMENT'],
    ['traversal-only name', { filename: '../..' }, 'ERR_UPLOAD_FILENAME'],
    ['name not a string', { filename: 42 }, 'ERR_UPLOAD_FILENAME'],
    ['empty owner', { owner: '' }, 'ERR_INVALID_ARGUMENT'],
    ['owner over 512 bytes', { owner: 'é'.repeat(257) }, 'ERR_INVALID_ARGUMENT'],
    ['unknown mode', { mode: 'ftp' }, 'ERR_INVALID_ARGUMENT'],
    ['bad checksum', { checksumSha256: 'abc' }, 'ERR_INVALID_ARGUMENT'],
    ['checksum on POST', { checksumSha256: sha256(text(10)), mode: 'post' }, 'ERR_INVALID_ARGUMENT'],
    ['quota exhausted', { sizeBytes: LIMIT_BYTES + 1, mode: 'multipart' }, 'ERR_UPLOAD_QUOTA'],
  ];
  for (const [name, change, code] of cases) {
    it(name, async () => {
      const h = harness();
      const request = {
        owner: OWNER,
        filename: 'f.txt',
        contentType: 'text/plain',
        sizeBytes: 100,
        mode: 'put',
        ...change,
      };
      await expectCode(h.policy.startDirect(request as never), code);
      expect(await h.keys('')).toEqual([]);
      expect(await h.listMultipart()).toEqual([]);
      expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: 0 });
    });
  }

  it('a traversal name is cleaned, never part of the key', async () => {
    const h = harness();
    const t = await h.policy.startDirect({
      owner: OWNER,
      filename: '../../etc/passwd',
      contentType: 'text/plain',
      sizeBytes: 10,
      mode: 'put',
    });
    expect(t.key).not.toContain('passwd');
    send(h, t, text(10));
    const file = await h.policy.finalize(OWNER, t.uploadId);
    expect(file.filename).toBe('passwd');
    expect(file.key).not.toContain('..');
  });

  it('quota: a second upload that would pass the limit is refused with the limit', async () => {
    const h = harness();
    await h.policy.startDirect({
      owner: OWNER,
      filename: 'a.txt',
      contentType: 'text/plain',
      sizeBytes: 40 * KiB,
      mode: 'multipart',
    });
    const error = await expectCode(
      h.policy.startDirect({
        owner: OWNER,
        filename: 'b.txt',
        contentType: 'text/plain',
        sizeBytes: 30 * KiB,
        mode: 'multipart',
      }),
      'ERR_UPLOAD_QUOTA',
    );
    expect(error.details).toMatchObject({ limitBytes: LIMIT_BYTES, sizeBytes: 30 * KiB });
    expect(await h.listMultipart()).toHaveLength(1); // the refused one's multipart upload was aborted
    expect(h.metrics.counterValue('uploads.failures', { reason: 'quota', mode: 'multipart' })).toBe(1);
  });
});

describe('finalize refusals clean up', () => {
  it('spoofed type: declared image/png, PDF bytes → TYPE_MISMATCH, nothing left', async () => {
    const h = harness();
    const t = await h.policy.startDirect({
      owner: OWNER,
      filename: 'cat.png',
      contentType: 'image/png',
      sizeBytes: 300,
      mode: 'put',
    });
    send(h, t, pdf(300));
    const error = await expectCode(h.policy.finalize(OWNER, t.uploadId), 'ERR_UPLOAD_TYPE_MISMATCH');
    expect(error.details).toMatchObject({ declaredType: 'image/png', detectedType: 'application/pdf' });
    await expectClean(h);
    expect(
      h.metrics.counterValue('uploads.failures', { reason: 'type_mismatch', size_bucket: 'lt_1MiB' }),
    ).toBe(1);
  });

  it('polyglot: PNG magic sent as text/plain → TYPE_MISMATCH', async () => {
    const h = harness();
    const t = await h.policy.startDirect({
      owner: OWNER,
      filename: 'a.txt',
      contentType: 'text/plain',
      sizeBytes: 300,
      mode: 'put',
    });
    send(h, t, png(300));
    await expectCode(h.policy.finalize(OWNER, t.uploadId), 'ERR_UPLOAD_TYPE_MISMATCH');
    await expectClean(h);
  });

  it('HTML in text/plain → UNSAFE_CONTENT', async () => {
    const h = harness();
    const body = new TextEncoder().encode('<html><script>alert(1)</script></html>');
    const t = await h.policy.startDirect({
      owner: OWNER,
      filename: 'a.txt',
      contentType: 'text/plain',
      sizeBytes: body.length,
      mode: 'put',
    });
    send(h, t, body);
    await expectCode(h.policy.finalize(OWNER, t.uploadId), 'ERR_UPLOAD_UNSAFE_CONTENT');
    await expectClean(h);
  });

  it('SVG with script under svg: attachment → UNSAFE_CONTENT; a clean SVG is stored as an attachment', async () => {
    const h = harness({ svg: 'attachment', types: { 'image/svg+xml': {} } });
    const bad = new TextEncoder().encode(
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    );
    const t = await h.policy.startDirect({
      owner: OWNER,
      filename: 'x.svg',
      contentType: 'image/svg+xml',
      sizeBytes: bad.length,
      mode: 'put',
    });
    send(h, t, bad);
    await expectCode(h.policy.finalize(OWNER, t.uploadId), 'ERR_UPLOAD_UNSAFE_CONTENT');
    await expectClean(h);
    const good = new TextEncoder().encode(
      '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>',
    );
    const t2 = await h.policy.startDirect({
      owner: OWNER,
      filename: 'ok.svg',
      contentType: 'image/svg+xml',
      sizeBytes: good.length,
      mode: 'put',
    });
    send(h, t2, good);
    const file = await h.policy.finalize(OWNER, t2.uploadId);
    expect(file.contentDisposition).toMatch(/^attachment; filename="ok.svg"/);
    expect((await h.storage.head(file.key))?.contentDisposition).toBe(file.contentDisposition);
  });

  it('finalize of an unknown id, another owner, or twice → NOT_FOUND; no second copy, one charge', async () => {
    const h = harness();
    const t = await h.policy.startDirect({
      owner: OWNER,
      filename: 'a.txt',
      contentType: 'text/plain',
      sizeBytes: 10,
      mode: 'put',
    });
    send(h, t, text(10));
    await expectCode(h.policy.finalize(OWNER, 'a'.repeat(26)), 'ERR_UPLOAD_NOT_FOUND');
    await expectCode(h.policy.finalize(OWNER, '../x'), 'ERR_UPLOAD_NOT_FOUND');
    await expectCode(h.policy.finalize('user-2', t.uploadId), 'ERR_UPLOAD_NOT_FOUND');
    expect(await h.keys('quarantine/')).toHaveLength(1); // the other owner's call touched nothing
    await h.policy.finalize(OWNER, t.uploadId);
    await expectCode(h.policy.finalize(OWNER, t.uploadId), 'ERR_UPLOAD_NOT_FOUND');
    expect(await h.keys('files/')).toHaveLength(1);
    expect(await h.usage()).toEqual({ usedBytes: 10, reservedBytes: 0 });
  });

  it('reservation expired, then finalize → NOT_FOUND and the quarantine object goes', async () => {
    const h2 = harness();
    const t = await h2.policy.startDirect({
      owner: OWNER,
      filename: 'a.txt',
      contentType: 'text/plain',
      sizeBytes: 10,
      mode: 'put',
    });
    send(h2, t, text(10));
    h2.clock.advance(2 * 3_600_000);
    await expectCode(h2.policy.finalize(OWNER, t.uploadId), 'ERR_UPLOAD_NOT_FOUND');
    await expectClean(h2);
  });

  it('abort deletes what was sent and releases the reservation', async () => {
    const h = harness();
    const t = await h.policy.startDirect({
      owner: OWNER,
      filename: 'a.txt',
      contentType: 'text/plain',
      sizeBytes: 10,
      mode: 'put',
    });
    send(h, t, text(10));
    await h.policy.abort(OWNER, t.uploadId);
    await expectClean(h);
    await expectCode(h.policy.abort(OWNER, t.uploadId), 'ERR_UPLOAD_NOT_FOUND');
    expect(
      isUploadRejected(await h.policy.finalize(OWNER, t.uploadId).catch((e) => e), 'ERR_UPLOAD_NOT_FOUND'),
    ).toBe(true);
  });
});

describe('failures at start', () => {
  it('a presign failure releases the reservation; a quota store failure aborts the created multipart', async () => {
    const base = harness();
    const failing = new Proxy(base.storage, {
      get(target, prop, receiver) {
        if (prop === 'presignPut') return () => Promise.reject(new StoreError('presign failed'));
        return Reflect.get(target, prop, receiver);
      },
    });
    const h = harness({ storage: failing, quota: { store: base.quota, limitBytes: LIMIT_BYTES } });
    await expectCode(
      h.policy.startDirect({
        owner: OWNER,
        filename: 'a.txt',
        contentType: 'text/plain',
        sizeBytes: 10,
        mode: 'put',
      }),
      'ERR_STORE',
    );
    expect(await base.quota.usage(OWNER, h.clock.now())).toEqual({ usedBytes: 0, reservedBytes: 0 });
    const brokenQuota = { ...base.quota, reserve: () => Promise.reject(new StoreError('redis down')) };
    const q = harness({ storage: base.storage, quota: { store: brokenQuota, limitBytes: LIMIT_BYTES } });
    await expectCode(
      q.policy.startDirect({
        owner: OWNER,
        filename: 'a.txt',
        contentType: 'text/plain',
        sizeBytes: 3 * KiB,
        mode: 'multipart',
      }),
      'ERR_STORE',
    );
    expect(await base.listMultipart()).toEqual([]);
    expect(q.metrics.counterValue('uploads.failures', { reason: 'store', mode: 'multipart' })).toBe(1);
  });

  it('hostile ids and owners on the other calls', async () => {
    const h = harness();
    for (const id of [42, null, {}, '', 'A'.repeat(26), 'a'.repeat(1000)]) {
      await expectCode(h.policy.finalize(OWNER, id as never), 'ERR_UPLOAD_NOT_FOUND');
      await expectCode(h.policy.abort(OWNER, id as never), 'ERR_UPLOAD_NOT_FOUND');
    }
    for (const owner of [42, null, '', 'x'.repeat(513)]) {
      await expectCode(h.policy.finalize(owner as never, 'a'.repeat(26)), 'ERR_INVALID_ARGUMENT');
    }
    await expectCode(h.policy.startDirect(null as never), 'ERR_INVALID_ARGUMENT');
  });
});
