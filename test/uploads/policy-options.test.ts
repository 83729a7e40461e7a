/**
 * createUploadPolicy validates every option at construction: each bad value is ERR_INVALID_OPTION
 * naming the option, never a TypeError on the first upload.
 */
import { describe, expect, it } from 'vitest';
import { createFileTypeDetector } from '../../src/uploads/file-type.js';
import { createMemoryObjectStore } from '../../src/uploads/memory-store.js';
import { createUploadPolicy } from '../../src/uploads/policy.js';
import { createMemoryQuotaStore } from '../../src/uploads/quota-memory.js';
import { KiB, markerScanner, SMALL_LIMITS } from './policy-fixtures.js';

const storage = createMemoryObjectStore({ multipartLimits: SMALL_LIMITS });
const base = {
  storage,
  types: { 'text/plain': {} },
  maxBytes: 100 * KiB,
  partSizeBytes: KiB,
  multipartThresholdBytes: 16 * KiB,
};

/** Expects construction with `change` applied to fail naming `name`. */
function refuses(change: Record<string, unknown>, name: string) {
  let error: unknown;
  try {
    createUploadPolicy({ ...base, ...change } as never);
  } catch (e) {
    error = e;
  }
  expect(error, `expected a refusal naming ${name}`).toMatchObject({ code: 'ERR_INVALID_OPTION' });
  expect((error as Error).message).toContain(name);
}

describe('createUploadPolicy options', () => {
  it('accepts the minimal options and the full set', () => {
    expect(() => createUploadPolicy(base)).not.toThrow();
    expect(() =>
      createUploadPolicy({
        ...base,
        name: 'avatars',
        types: { 'image/png': { maxBytes: 10 * KiB }, 'image/svg+xml': {} },
        svg: 'attachment',
        detector: createFileTypeDetector(),
        quota: {
          store: createMemoryQuotaStore(),
          limitBytes: (owner) => (owner === 'vip' ? 1e6 : 1e3),
          reservationTtlMs: 8 * 86_400_000,
        },
        scan: { scanner: markerScanner(), onUnavailable: 'accept', onTooLarge: 'reject' },
        serving: {
          cdnBaseUrl: 'https://cdn.example.com/',
          signedUrlTtlS: 60,
          cloudFront: { sign: (u) => u },
        },
        prefixes: { quarantine: 'q/', final: 'f/' },
        presignTtlS: 604_800,
        idleTimeoutMs: 1000,
        totalTimeoutMs: 2000,
      }),
    ).not.toThrow();
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ['no options', { storage: undefined }, 'storage'],
    ['storage without methods', { storage: {} }, 'storage'],
    [
      'storage with broken limits',
      { storage: { ...storage, multipartLimits: { minPartBytes: 0 } } },
      'storage.multipartLimits',
    ],
    ['no types', { types: {} }, 'types'],
    ['types not an object', { types: ['image/png'] }, 'types'],
    ['unknown MIME syntax', { types: { png: {} } }, 'types["png"]'],
    ['MIME with parameters', { types: { 'text/plain; charset=utf-8': {} } }, 'types'],
    ['a type listed twice', { types: { 'text/plain': {}, 'TEXT/PLAIN': {} } }, 'types'],
    ['markup type', { types: { 'text/html': {} } }, 'types["text/html"]'],
    ['type maxBytes 0', { types: { 'text/plain': { maxBytes: 0 } } }, 'maxBytes'],
    ['type maxBytes over the policy', { types: { 'text/plain': { maxBytes: 101 * KiB } } }, 'maxBytes'],
    ['type rule with a typo', { types: { 'text/plain': { maxbytes: 1 } } }, 'maxBytes'],
    ['binary type without a detector', { types: { 'image/png': {} } }, 'detector'],
    ['svg allowed under svg reject', { types: { 'image/svg+xml': {} } }, 'svg'],
    ['maxBytes 0', { maxBytes: 0 }, 'maxBytes'],
    ['maxBytes NaN', { maxBytes: Number.NaN }, 'maxBytes'],
    ['maxBytes Infinity', { maxBytes: Number.POSITIVE_INFINITY }, 'maxBytes'],
    ['maxBytes over the store limit', { maxBytes: 64 * KiB * 100 + 1, partSizeBytes: 64 * KiB }, 'maxBytes'],
    ['presignTtlS 0', { presignTtlS: 0 }, 'presignTtlS'],
    ['presignTtlS over 7 days', { presignTtlS: 604_801 }, 'presignTtlS'],
    ['partSizeBytes under the store minimum', { partSizeBytes: 1023 }, 'partSizeBytes'],
    ['partSizeBytes over the store maximum', { partSizeBytes: 64 * KiB + 1 }, 'partSizeBytes'],
    ['partSizeBytes needing too many parts', { maxBytes: 200 * KiB }, 'partSizeBytes'],
    [
      'threshold over the single-request limit',
      { multipartThresholdBytes: 32 * KiB + 1 },
      'multipartThresholdBytes',
    ],
    ['final inside quarantine', { prefixes: { quarantine: 'q/', final: 'q/files/' } }, 'prefixes'],
    ['quarantine inside final', { prefixes: { quarantine: 'f/q/', final: 'f/' } }, 'prefixes'],
    ['prefix without slash', { prefixes: { quarantine: 'q' } }, 'prefixes.quarantine'],
    ['prefix with traversal', { prefixes: { final: '../f/' } }, 'prefixes.final'],
    ['metrics {}', { metrics: {} }, 'metrics'],
    ['clock {}', { clock: {} }, 'clock'],
    ['random not a function', { random: 4 }, 'random'],
    ['unknown option', { maxBytez: 1 }, 'maxBytez'],
    ['svg value', { svg: 'inline' }, 'svg'],
    ['quota without a store', { quota: { limitBytes: 1 } }, 'quota.store'],
    ['quota without a limit', { quota: { store: createMemoryQuotaStore() } }, 'quota.limitBytes'],
    [
      'a CDN base URL with credentials',
      { serving: { cdnBaseUrl: 'https://user:pw@cdn.example' } },
      'cdnBaseUrl',
    ],
    [
      'a reservation shorter than the presign lifetime (it would expire mid-upload)',
      { quota: { store: createMemoryQuotaStore(), limitBytes: 1, reservationTtlMs: 60_000 } },
      'quota.reservationTtlMs',
    ],
    [
      'a reservation shorter than the proxied total deadline',
      {
        presignTtlS: 60,
        totalTimeoutMs: 7_200_000,
        quota: { store: createMemoryQuotaStore(), limitBytes: 1, reservationTtlMs: 3_600_000 },
      },
      'quota.reservationTtlMs',
    ],
    [
      'negative quota limit',
      { quota: { store: createMemoryQuotaStore(), limitBytes: -1 } },
      'quota.limitBytes',
    ],
    ['scan without a scanner', { scan: {} }, 'scan.scanner'],
    [
      'scan fallback value',
      { scan: { scanner: markerScanner(), onUnavailable: 'maybe' } },
      'scan.onUnavailable',
    ],
    [
      'scanner limit broken',
      { scan: { scanner: { ...markerScanner(), maxScanBytes: -1 } } },
      'scan.scanner.maxScanBytes',
    ],
    [
      'thumbnails without sizes',
      { thumbnails: { thumbnailer: { thumbnails() {}, accepts: [] }, sizes: [] } },
      'thumbnails.sizes',
    ],
    [
      'thumbnail names twice',
      {
        thumbnails: {
          thumbnailer: { thumbnails() {}, accepts: [] },
          sizes: [
            { name: 'a', maxWidth: 1, maxHeight: 1 },
            { name: 'a', maxWidth: 2, maxHeight: 2 },
          ],
        },
      },
      'thumbnails.sizes',
    ],
    ['cdnBaseUrl not a URL', { serving: { cdnBaseUrl: 'cdn' } }, 'serving.cdnBaseUrl'],
    ['cdnBaseUrl javascript:', { serving: { cdnBaseUrl: 'javascript:alert(1)' } }, 'serving.cdnBaseUrl'],
    [
      'cloudFront without a cdnBaseUrl',
      { serving: { cloudFront: { sign: (u: string) => u } } },
      'serving.cdnBaseUrl',
    ],
    ['idle longer than total', { idleTimeoutMs: 10, totalTimeoutMs: 5 }, 'idleTimeoutMs'],
  ];
  for (const [name, change, option] of cases) it(`refuses ${name}`, () => refuses(change, option));

  it('a limitBytes function answering garbage fails that upload with a typed error', async () => {
    const policy = createUploadPolicy({
      ...base,
      quota: { store: createMemoryQuotaStore(), limitBytes: () => Number.NaN },
    });
    await expect(
      policy.startDirect({
        owner: 'u',
        filename: 'a.txt',
        contentType: 'text/plain',
        sizeBytes: 1,
        mode: 'put',
      }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});
