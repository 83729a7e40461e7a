/**
 * Verify-then-promote on the memory stores: concurrent finalizers (exactly one wins, one copy, one
 * charge), scan verdicts and their fallbacks, thumbnails (refused images vs thumbnailer failures), store
 * failures (the upload stays pending), deleteFile.
 */
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import { UploadRejectedError } from '../../src/uploads/errors.js';
import type { UploadPolicyOptions } from '../../src/uploads/policy-types.js';
import type { ObjectStore, Thumbnailer } from '../../src/uploads/types.js';
import {
  expectClean,
  type Harness,
  harness,
  KiB,
  markerScanner,
  OWNER,
  png,
  send,
  text,
} from './policy-fixtures.js';

const expectCode = async (promise: Promise<unknown>, code: string) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toMatchObject({ code });
  return error as UploadRejectedError;
};

async function uploaded(h: Harness, body: Uint8Array, contentType = 'text/plain') {
  const t = await h.policy.startDirect({
    owner: OWNER,
    filename: 'f',
    contentType,
    sizeBytes: body.length,
    mode: 'put',
  });
  expect(send(h, t, body)).toMatchObject({ ok: true });
  return t.uploadId;
}

describe('concurrent finalize', () => {
  it('five at once: exactly one file, one charge, the others NOT_FOUND', async () => {
    const h = harness({ scan: { scanner: markerScanner() } });
    const id = await uploaded(h, text(2000));
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => h.policy.finalize(OWNER, id)));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    for (const r of lost)
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_UPLOAD_NOT_FOUND' });
    const file = (won[0] as PromiseFulfilledResult<{ key: string }>).value;
    expect(await h.keys('files/')).toEqual([file.key]);
    expect(await h.keys('quarantine/')).toEqual([]);
    expect(await h.usage()).toEqual({ usedBytes: 2000, reservedBytes: 0 });
    expect((await h.storage.head(file.key))?.sizeBytes).toBe(2000);
  });

  it('a finalizer that resumes after another committed gets NOT_FOUND, and the winner keeps its file', async () => {
    const base = harness();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let heads = 0;
    const gated = new Proxy(base.storage, {
      get(target, prop, receiver) {
        if (prop === 'readRange') {
          return async (...args: Parameters<ObjectStore['readRange']>) => {
            heads += 1;
            if (heads === 2) await gate; // the second finalizer stalls after its HEAD
            return target.readRange(...args);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const h = harness({ storage: gated });
    const id = await uploaded({ ...h, storage: base.storage } as Harness, text(100));
    const first = h.policy.finalize(OWNER, id);
    const second = h.policy.finalize(OWNER, id);
    const file = await first;
    release();
    await expectCode(second, 'ERR_UPLOAD_NOT_FOUND');
    expect(await base.keys('files/')).toEqual([file.key]);
    expect(await h.usage()).toEqual({ usedBytes: 100, reservedBytes: 0 });
  });
});

describe('scanning', () => {
  it('infected → ERR_UPLOAD_INFECTED with the signature, cleaned', async () => {
    const h = harness({ scan: { scanner: markerScanner() } });
    const id = await uploaded(h, new TextEncoder().encode('hello EVIL world'));
    const error = await expectCode(h.policy.finalize(OWNER, id), 'ERR_UPLOAD_INFECTED');
    expect(error.details.signature).toBe('Marker.EVIL');
    await expectClean(h);
    expect(h.metrics.counterValue('uploads.failures', { reason: 'infected' })).toBe(1);
  });

  it('unavailable → rejected by default, accepted when configured', async () => {
    const down = () => ({ status: 'unavailable', reason: 'refused' }) as const;
    const h = harness({ scan: { scanner: markerScanner(down) } });
    await expectCode(h.policy.finalize(OWNER, await uploaded(h, text(10))), 'ERR_UPLOAD_SCAN_UNAVAILABLE');
    await expectClean(h);
    const lax = harness({ scan: { scanner: markerScanner(down), onUnavailable: 'accept' } });
    const file = await lax.policy.finalize(OWNER, await uploaded(lax, text(10)));
    expect(file.scan).toBe('accepted_unavailable');
  });

  it('a scanner that throws counts as unavailable, never clean', async () => {
    const scanner = {
      name: 'broken',
      maxScanBytes: 1000,
      scan: async () => Promise.reject(new Error('boom')),
    };
    const h = harness({ scan: { scanner } });
    await expectCode(h.policy.finalize(OWNER, await uploaded(h, text(10))), 'ERR_UPLOAD_SCAN_UNAVAILABLE');
    await expectClean(h);
  });

  it('over the scan limit → SCAN_TOO_LARGE without reading, or accepted_too_large', async () => {
    const scanner = markerScanner(undefined, 100);
    const h = harness({ scan: { scanner } });
    const error = await expectCode(
      h.policy.finalize(OWNER, await uploaded(h, text(101))),
      'ERR_UPLOAD_SCAN_TOO_LARGE',
    );
    expect(error.details.limitBytes).toBe(100);
    expect(scanner.scans).toBe(0);
    await expectClean(h);
    const lax = harness({ scan: { scanner: markerScanner(undefined, 100), onTooLarge: 'accept' } });
    expect((await lax.policy.finalize(OWNER, await uploaded(lax, text(101)))).scan).toBe(
      'accepted_too_large',
    );
  });
});

function thumbnailer(behaviour: 'ok' | 'refuse' | 'crash'): Thumbnailer {
  return {
    name: 'fake',
    accepts: ['image/png'],
    async thumbnails(_source, specs) {
      if (behaviour === 'refuse') throw new UploadRejectedError('ERR_UPLOAD_IMAGE', 'pixel bomb');
      if (behaviour === 'crash') throw new Error('libvips fell over');
      return specs.map((s) => ({
        name: s.name,
        width: 1,
        height: 1,
        contentType: 'image/webp',
        bytes: new Uint8Array(10),
      }));
    },
  };
}

const withThumbs = (b: 'ok' | 'refuse' | 'crash'): Partial<UploadPolicyOptions> => ({
  thumbnails: { thumbnailer: thumbnailer(b), sizes: [{ name: 'small', maxWidth: 64, maxHeight: 64 }] },
});

describe('thumbnails', () => {
  it('made and stored next to the file; deleteFile removes both and frees the bytes', async () => {
    const h = harness(withThumbs('ok'));
    const file = await h.policy.finalize(OWNER, await uploaded(h, png(500), 'image/png'));
    expect(file.thumbnails).toHaveLength(1);
    const thumb = file.thumbnails[0] as { key: string };
    expect(thumb.key.startsWith(file.key.replace(/\.png$/, '/'))).toBe(true);
    expect((await h.keys('files/')).sort()).toEqual([file.key, thumb.key].sort());
    await h.policy.deleteFile(file);
    expect(await h.keys('files/')).toEqual([]);
    expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: 0 });
    await h.policy.deleteFile(file); // again: nothing more is freed
    expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: 0 });
  });

  it('an image the thumbnailer refuses (ERR_UPLOAD_IMAGE) refuses the upload', async () => {
    const h = harness(withThumbs('refuse'));
    await expectCode(h.policy.finalize(OWNER, await uploaded(h, png(500), 'image/png')), 'ERR_UPLOAD_IMAGE');
    await expectClean(h);
  });

  it('a thumbnailer crash keeps the file, without thumbnails, counted', async () => {
    const h = harness(withThumbs('crash'));
    const file = await h.policy.finalize(OWNER, await uploaded(h, png(500), 'image/png'));
    expect(file.thumbnails).toEqual([]);
    expect(h.metrics.counterValue('uploads.thumbnail_failures', { reason: 'error' })).toBe(1);
  });
});

/** The memory store with `copy` failing the first `n` times (a store outage, on the port). */
function flakyCopy(h: Harness, n: number): ObjectStore {
  let left = n;
  return new Proxy(h.storage, {
    get(target, prop, receiver) {
      if (prop === 'copy') {
        return (...args: Parameters<ObjectStore['copy']>) =>
          left-- > 0 ? Promise.reject(new StoreError('copy failed')) : target.copy(...args);
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

describe('store failures', () => {
  it('a failed copy leaves the upload pending; a retry promotes it', async () => {
    const base = harness();
    const h = harness({ storage: flakyCopy(base, 1) });
    const shared = { ...h, storage: base.storage, keys: base.keys };
    const id = await uploaded(shared as Harness, text(10));
    await expectCode(h.policy.finalize(OWNER, id), 'ERR_STORE');
    expect(await base.keys('files/')).toEqual([]);
    expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: 10 });
    const file = await h.policy.finalize(OWNER, id);
    expect(await base.keys('files/')).toEqual([file.key]);
    // The upload went on (and was stored on retry): a refused call, not an upload's end.
    expect(h.metrics.counterValue('uploads.failures')).toBe(0);
    expect(h.metrics.counterValue('uploads.call_failures', { op: 'finalize', reason: 'store' })).toBe(1);
  });

  it('cleanup failures do not hide the refusal and are counted', async () => {
    const base = harness();
    const broken = new Proxy(base.storage, {
      get(target, prop, receiver) {
        if (prop === 'delete') return () => Promise.reject(new StoreError('delete failed'));
        return Reflect.get(target, prop, receiver);
      },
    });
    const h = harness({ storage: broken });
    const id = await uploaded({ ...h, storage: base.storage } as Harness, png(300));
    await expectCode(h.policy.finalize(OWNER, id), 'ERR_UPLOAD_TYPE_MISMATCH');
    expect(h.metrics.counterValue('uploads.cleanup_failures', { step: 'delete' })).toBeGreaterThan(0);
    expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: 0 });
    // What the failed delete left is the sweeper's, by age.
    h.clock.advance(3 * 3_600_000);
    base.clock.advance(3 * 3_600_000);
    expect(await base.keys('quarantine/')).toHaveLength(1);
  });
});

describe('limits seen only at finalize', () => {
  it('a POST smaller than declared settles its real size; the multipart total check uses the reservation', async () => {
    const h = harness();
    const t = await h.policy.startDirect({
      owner: OWNER,
      filename: 'a.txt',
      contentType: 'text/plain',
      sizeBytes: 5 * KiB,
      mode: 'post',
    });
    send(h, t, text(KiB));
    expect((await h.policy.finalize(OWNER, t.uploadId)).sizeBytes).toBe(KiB);
    expect(await h.usage()).toEqual({ usedBytes: KiB, reservedBytes: 0 });
  });
});
