/**
 * A policy on the memory ObjectStore and memory QuotaStore with a manual clock, small store limits (so
 * multipart runs on kilobytes), a file-type detector, and helpers that play the client's side of the
 * presigned requests (the memory store enforces what S3 enforces).
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { createManualClock, type ManualClock } from '../../src/core/manual-clock.js';
import { createMemoryMetrics, type MemoryMetrics } from '../../src/core/memory-metrics.js';
import { createFileTypeDetector } from '../../src/uploads/file-type.js';
import { createMemoryObjectStore, type MemoryObjectStore } from '../../src/uploads/memory-store.js';
import { createUploadPolicy } from '../../src/uploads/policy.js';
import type {
  DirectUploadTicket,
  UploadPolicy,
  UploadPolicyOptions,
} from '../../src/uploads/policy-types.js';
import { createMemoryQuotaStore } from '../../src/uploads/quota-memory.js';
import type { QuotaStore, ScanVerdict, VirusScanner } from '../../src/uploads/types.js';

export const KiB = 1024;
export const OWNER = 'user-1';
export const LIMIT_BYTES = 64 * KiB;

/** Store limits scaled down 5,120 times: 1 KiB minimum part, 100 parts, 32 KiB single PUT. */
export const SMALL_LIMITS = {
  minPartBytes: KiB,
  maxPartBytes: 64 * KiB,
  maxParts: 100,
  maxSinglePutBytes: 32 * KiB,
};

/** The smallest PNG head file-type recognises (signature + IHDR), padded to `size` bytes. */
export function png(size = 200): Uint8Array {
  const head = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
  const out = new Uint8Array(size);
  out.set(head.subarray(0, Math.min(size, head.length)));
  return out;
}

/** A PDF head, padded to `size` bytes. */
export function pdf(size = 200): Uint8Array {
  const out = new Uint8Array(size).fill(0x20);
  out.set(Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'));
  return out;
}

/** Plain UTF-8 text of `size` bytes. */
export function text(size = 100): Uint8Array {
  return new Uint8Array(size).fill(0x61);
}

/**
 * A scanner on the port (not a clamd stand-in: the e2e file runs the real one): `infected` when the
 * bytes hold `EVIL`, or whatever `verdict` says.
 */
export function markerScanner(
  verdict?: () => ScanVerdict,
  maxScanBytes = 32 * KiB,
): VirusScanner & { scans: number } {
  const scanner = {
    name: 'marker',
    maxScanBytes,
    scans: 0,
    async scan(source: AsyncIterable<Uint8Array>): Promise<ScanVerdict> {
      scanner.scans += 1;
      const chunks: Uint8Array[] = [];
      for await (const chunk of source) chunks.push(chunk);
      if (verdict) return verdict();
      return Buffer.concat(chunks).includes('EVIL')
        ? { status: 'infected', signature: 'Marker.EVIL' }
        : { status: 'clean' };
    },
  };
  return scanner;
}

export interface Harness {
  readonly policy: UploadPolicy;
  readonly storage: MemoryObjectStore;
  readonly quota: QuotaStore;
  readonly clock: ManualClock;
  readonly metrics: MemoryMetrics;
  /** Usage of OWNER now. */
  usage(owner?: string): Promise<{ usedBytes: number; reservedBytes: number }>;
  /** Keys under a prefix. */
  keys(prefix: string): Promise<string[]>;
  /** Open multipart uploads under the quarantine prefix. */
  listMultipart(): Promise<readonly { key: string }[]>;
}

/** A policy with defaults for tests; `options` override them. */
export function harness(options: Partial<UploadPolicyOptions> = {}): Harness {
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const storage = createMemoryObjectStore({ clock, multipartLimits: SMALL_LIMITS });
  const quota = createMemoryQuotaStore();
  const metrics = createMemoryMetrics({ clock });
  const policy = createUploadPolicy({
    storage,
    types: { 'text/plain': {}, 'image/png': {}, 'application/pdf': {} },
    detector: createFileTypeDetector(),
    maxBytes: 100 * KiB,
    partSizeBytes: KiB,
    multipartThresholdBytes: 16 * KiB,
    quota: { store: quota, limitBytes: LIMIT_BYTES },
    metrics,
    clock,
    ...options,
  });
  return {
    policy,
    storage,
    quota,
    clock,
    metrics,
    usage: (owner = OWNER) => quota.usage(owner, clock.now()),
    keys: async (prefix) => (await storage.list(prefix)).map((o) => o.key),
    listMultipart: () => storage.listMultipartUploads('quarantine/'),
  };
}

/** The client's PUT (or POST) of `body` with the ticket; returns the store's answer. */
export function send(h: Harness, ticket: DirectUploadTicket, body: Uint8Array, contentType?: string) {
  if (ticket.mode === 'put') {
    const headers = { ...ticket.put.headers, ...(contentType ? { 'content-type': contentType } : {}) };
    return h.storage.receivePut(ticket.put.url, headers, body);
  }
  if (ticket.mode === 'post') {
    const fields = { ...ticket.post.fields, ...(contentType ? { 'Content-Type': contentType } : {}) };
    return h.storage.receivePost(ticket.post.url, fields, body);
  }
  throw new Error('send() is for put and post tickets');
}

/** Base64 SHA-256 of `bytes`. */
export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64');

/** Nothing left behind: no final or quarantine object, no reservation, usage as given. */
export async function expectClean(h: Harness, usedBytes = 0, owner = OWNER): Promise<void> {
  expect(await h.keys('files/')).toEqual([]);
  expect(await h.keys('quarantine/')).toEqual([]);
  expect(await h.listMultipart()).toEqual([]);
  expect(await h.usage(owner)).toEqual({ usedBytes, reservedBytes: 0 });
}
