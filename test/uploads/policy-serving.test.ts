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
    await expect(h.policy.url(file, 'ftp' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    for (const key of ['quarantine/x/y', 'files/../quarantine/y', 'files//y', '', 'other/x']) {
      await expect(h.policy.url({ key })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
    await expect(h.policy.url(null as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});

describe('deleteFile', () => {
  /** The folder of a stored file's key (`files/<ownerHash>/<uploadId>/`) and its upload id. */
  const folderOf = (key: string) => {
    const parts = key.split('/');
    return {
      folder: `${parts.slice(0, 3).join('/')}/`,
      ownerDir: `${parts.slice(0, 2).join('/')}/`,
      uploadId: parts[2]!,
    };
  };

  it('frees what the settle recorded, whatever sizeBytes says (ignored, not trusted)', async () => {
    const h = harness();
    const a = await stored(h);
    const b = await stored(h);
    expect(await h.usage()).toEqual({ usedBytes: 20, reservedBytes: 0 });
    await h.policy.deleteFile({ ...a, sizeBytes: 1_000_000 });
    expect(await h.usage()).toEqual({ usedBytes: 10, reservedBytes: 0 });
    await h.policy.deleteFile({ ...b, sizeBytes: -1 });
    expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: 0 });
    expect(await h.keys('files/')).toEqual([]);
  });

  it('two concurrent deletes of one file free its bytes once; a repeated delete frees nothing', async () => {
    const h = harness();
    const a = await stored(h);
    const b = await stored(h);
    await Promise.all([h.policy.deleteFile(a), h.policy.deleteFile(a), h.policy.deleteFile(a)]);
    expect(await h.usage()).toEqual({ usedBytes: 10, reservedBytes: 0 });
    await h.policy.deleteFile(a);
    expect(await h.usage()).toEqual({ usedBytes: 10, reservedBytes: 0 });
    expect(await h.keys('files/')).toEqual([b.key]);
  });

  it("another attempt's key in the same upload folder (gone) frees nothing and deletes nothing", async () => {
    const h = harness();
    const file = await stored(h);
    const { folder } = folderOf(file.key);
    await h.policy.deleteFile({ ...file, key: `${folder}${'a'.repeat(26)}.txt` });
    expect(await h.usage()).toEqual({ usedBytes: 10, reservedBytes: 0 });
    expect(await h.keys('files/')).toEqual([file.key]);
  });

  it('refuses another owner, keys not <prefix><owner>/<uploadId>/<fileId>[.<ext>], bad thumbnails', async () => {
    const h = harness();
    const file = await stored(h);
    const { folder, ownerDir, uploadId } = folderOf(file.key);
    const name = file.key.slice(folder.length);
    const invalid = { code: 'ERR_INVALID_ARGUMENT' };
    await expect(h.policy.deleteFile({ ...file, owner: 'user-2' })).rejects.toMatchObject(invalid);
    const badKeys = [
      `${ownerDir}${name}`, // no upload folder
      `${ownerDir}${uploadId}`, // the folder's name as a file
      `${folder}${name.replace('.txt', '')}/thumb.webp`, // a thumbnail's key
      `${folder}${name.toUpperCase()}`,
      `${folder}${name}/`,
      `${ownerDir}NOT-AN-ID/${name}`,
      `${ownerDir}${uploadId}x/${name}`,
      `${folder}../${name}`,
      `quarantine/${file.key.slice('files/'.length)}`,
      `files/${'0'.repeat(32)}/${uploadId}/${name}`,
      '',
    ];
    for (const key of badKeys) {
      await expect(h.policy.deleteFile({ ...file, key }), key).rejects.toMatchObject(invalid);
    }
    await expect(h.policy.deleteFile({ ...file, key: 5 as never })).rejects.toMatchObject(invalid);
    await expect(h.policy.deleteFile(null as never)).rejects.toMatchObject(invalid);
    await expect(
      h.policy.deleteFile({
        ...file,
        thumbnails: [{ name: 'x', key: 'files/other/x', width: 1, height: 1 }],
      }),
    ).rejects.toMatchObject(invalid);
    expect(await h.keys('files/')).toEqual([file.key]);
    expect(await h.usage()).toEqual({ usedBytes: 10, reservedBytes: 0 });
    await h.policy.deleteFile(file);
    expect(await h.keys('files/')).toEqual([]);
    expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: 0 });
  });
});
