/**
 * Serving URLs and deleteFile: public CDN URLs percent-encoded per segment, signed store URLs (with the
 * attachment disposition), CloudFront signing, and refusals for quarantine or other owners' keys.
 */
import { describe, expect, it } from 'vitest';
import { harness, OWNER, send, text } from './policy-fixtures.js';

async function stored(h: ReturnType<typeof harness>) {
  const t = await h.policy.startDirect({
    owner: OWNER,
    filename: 'a b.txt',
    contentType: 'text/plain',
    sizeBytes: 10,
    mode: 'put',
  });
  send(h, t, text(10));
  return h.policy.finalize(OWNER, t.uploadId);
}

describe('url', () => {
  it('public: CDN base + key, each segment percent-encoded', async () => {
    const h = harness({ serving: { cdnBaseUrl: 'https://cdn.example.com/' } });
    const file = await stored(h);
    expect(await h.policy.url(file)).toBe(`https://cdn.example.com/${file.key}`);
    expect(await h.policy.url({ key: 'files/a b/c#d?.txt' }, 'public')).toBe(
      'https://cdn.example.com/files/a%20b/c%23d%3F.txt',
    );
  });

  it('signed: the store serves it, the disposition travels in the URL', async () => {
    const h = harness({ svg: 'attachment', types: { 'image/svg+xml': {}, 'text/plain': {} } });
    const file = await stored(h);
    const url = await h.policy.url(file);
    const got = h.storage.receiveGet(url);
    expect(got).toMatchObject({ ok: true, status: 200 });
    const forced = await h.policy.url(
      { key: file.key, contentDisposition: 'attachment; filename="x"' },
      'signed',
    );
    expect(h.storage.receiveGet(forced)).toMatchObject({
      ok: true,
      contentDisposition: 'attachment; filename="x"',
    });
    h.clock.advance(301_000);
    expect(h.storage.receiveGet(url)).toMatchObject({ ok: false });
  });

  it('cloudfront: the CDN URL signed with the expiry', async () => {
    const calls: [string, number][] = [];
    const h = harness({
      serving: {
        cdnBaseUrl: 'https://d1.cloudfront.net',
        cloudFront: {
          sign: (u, e) => {
            calls.push([u, e]);
            return `${u}?sig`;
          },
        },
        signedUrlTtlS: 60,
      },
    });
    const file = await stored(h);
    expect(await h.policy.url(file)).toBe(`https://d1.cloudfront.net/${file.key}?sig`);
    expect(calls[0]?.[1]).toBe(h.clock.now() + 60_000);
  });

  it('refuses modes not configured, quarantine keys, traversal and junk', async () => {
    const h = harness();
    const file = await stored(h);
    await expect(h.policy.url(file, 'public')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(h.policy.url(file, 'cloudfront')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    // biome-ignore lint/suspicious/noExplicitAny: hostile input on purpose
    await expect(h.policy.url(file, 'ftp' as any)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    for (const key of ['quarantine/x/y', 'files/../quarantine/y', 'files//y', '', 'other/x']) {
      await expect(h.policy.url({ key })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
    // biome-ignore lint/suspicious/noExplicitAny: hostile input on purpose
    await expect(h.policy.url(null as any)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});

describe('deleteFile', () => {
  it('frees the bytes once; refuses another owner, keys outside the owner, bad sizes', async () => {
    const h = harness();
    const file = await stored(h);
    await expect(h.policy.deleteFile({ ...file, owner: 'user-2' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(h.policy.deleteFile({ ...file, sizeBytes: -1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(
      h.policy.deleteFile({
        ...file,
        thumbnails: [{ name: 'x', key: 'files/other/x', width: 1, height: 1 }],
      }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(await h.keys('files/')).toEqual([file.key]);
    expect(await h.usage()).toEqual({ usedBytes: 10, reservedBytes: 0 });
    await h.policy.deleteFile(file);
    expect(await h.keys('files/')).toEqual([]);
    expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: 0 });
  });
});
