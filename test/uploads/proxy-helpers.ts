/**
 * A proxied-upload harness on the memory ObjectStore (S3's rules, small limits) and memory QuotaStore,
 * with a manual clock: `proxy(request)` runs `proxyUpload` on a context resolved from the options, and the
 * store is wrapped to count multipart uploads opened and parts written (so "no part ever reached the
 * store" is asserted, not inferred from an empty listing after the abort).
 */
import { expect } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import { createManualClock, type ManualClock } from '../../src/core/manual-clock.js';
import { createMemoryMetrics, type MemoryMetrics } from '../../src/core/memory-metrics.js';
import { createFileTypeDetector } from '../../src/uploads/file-type.js';
import { createMemoryObjectStore, type MemoryObjectStore } from '../../src/uploads/memory-store.js';
import { resolvePolicyOptions } from '../../src/uploads/policy-options.js';
import type {
  ProxiedUploadRequest,
  StoredFile,
  UploadPolicyOptions,
} from '../../src/uploads/policy-types.js';
import { proxyUpload } from '../../src/uploads/proxy.js';
import { createMemoryQuotaStore } from '../../src/uploads/quota-memory.js';
import type { ObjectStore, QuotaStore } from '../../src/uploads/types.js';
import { KiB, OWNER, SMALL_LIMITS } from './policy-fixtures.js';

export { KiB, OWNER, pdf, png, text } from './policy-fixtures.js';

/** What the wrapped store saw. */
export interface StoreCounts {
  writersOpened: number;
  partsWritten: number;
  /** Fail writePart number n (1-based, over the whole store) with a StoreError. */
  failPart?: number;
}

export interface ProxyHarness {
  readonly storage: MemoryObjectStore;
  readonly quota: QuotaStore;
  readonly clock: ManualClock;
  readonly metrics: MemoryMetrics;
  readonly counts: StoreCounts;
  proxy(request: Partial<ProxiedUploadRequest>): Promise<StoredFile>;
  usage(owner?: string): Promise<{ usedBytes: number; reservedBytes: number }>;
  keys(prefix: string): Promise<string[]>;
}

/** A store that counts writers and parts, and can fail a part. */
export function countingStore(storage: ObjectStore, counts: StoreCounts): ObjectStore {
  return Object.assign(Object.create(storage) as ObjectStore, {
    async openMultipartWriter(key: string, contentType: string, metadata?: Record<string, string>) {
      const writer = await storage.openMultipartWriter(key, contentType, metadata);
      counts.writersOpened += 1;
      return {
        key: writer.key,
        uploadId: writer.uploadId,
        writePart: async (bytes: Uint8Array) => {
          counts.partsWritten += 1;
          if (counts.failPart === counts.partsWritten) throw new StoreError('memory: part refused (test)');
          return writer.writePart(bytes);
        },
        complete: () => writer.complete(),
        abort: () => writer.abort(),
      };
    },
  });
}

/** A proxy harness; `options` override the defaults (1 KiB parts, 100 KiB max, 1 MiB quota). */
export function proxyHarness(
  options: Partial<UploadPolicyOptions> = {},
  quotaBytes = 1024 * KiB,
): ProxyHarness {
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const storage = createMemoryObjectStore({ clock, multipartLimits: SMALL_LIMITS });
  const quota = createMemoryQuotaStore();
  const metrics = createMemoryMetrics({ clock });
  const counts: StoreCounts = { writersOpened: 0, partsWritten: 0 };
  const ctx = resolvePolicyOptions({
    storage: countingStore(storage, counts),
    types: { 'text/plain': {}, 'image/png': {}, 'application/pdf': { maxBytes: 20 * KiB } },
    detector: createFileTypeDetector(),
    maxBytes: 100 * KiB,
    partSizeBytes: KiB,
    multipartThresholdBytes: 16 * KiB,
    quota: { store: quota, limitBytes: quotaBytes },
    metrics,
    clock,
    ...options,
  });
  return {
    storage,
    quota,
    clock,
    metrics,
    counts,
    proxy: (request) =>
      proxyUpload(ctx, {
        owner: OWNER,
        filename: 'upload.bin',
        contentType: 'image/png',
        ...request,
      } as ProxiedUploadRequest),
    usage: (owner = OWNER) => quota.usage(owner, clock.now()),
    keys: async (prefix) => (await storage.list(prefix)).map((o) => o.key),
  };
}

/** Nothing left behind: only `finalKeys` under the final prefix, no quarantine object or open multipart upload. */
export async function expectNothingLeft(
  h: ProxyHarness,
  usedBytes = 0,
  finalKeys: readonly string[] = [],
): Promise<void> {
  expect(await h.keys('files/')).toEqual(finalKeys);
  expect(await h.keys('quarantine/')).toEqual([]);
  expect(await h.storage.listMultipartUploads('')).toEqual([]);
  expect(await h.usage()).toEqual({ usedBytes, reservedBytes: 0 });
}

/** A body of `chunks`, optionally waiting for `gate` before each chunk after the first. */
export async function* bodyOf(chunks: readonly Uint8Array[], gate?: () => Promise<void>) {
  let first = true;
  for (const chunk of chunks) {
    if (!first && gate) await gate();
    first = false;
    yield chunk;
  }
}

/** `bytes` cut into `chunkBytes` pieces. */
export function cut(bytes: Uint8Array, chunkBytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunkBytes) out.push(bytes.subarray(i, i + chunkBytes));
  return out;
}
