/**
 * Regression tests for the adversarial review of the upload flows, on the memory stores: the bytes
 * promoted are the bytes checked, an abandoned scan read is released, one policy never finalizes
 * another's upload through a shared quota store, and a direct multipart upload may outlast the ordinary
 * reservation TTL.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryQuotaStore } from '../../src/uploads/quota-memory.js';
import type { ByteSource, ScanVerdict, VirusScanner } from '../../src/uploads/types.js';
import { harness, KiB, markerScanner, OWNER, send, text } from './policy-fixtures.js';

const start = (h: ReturnType<typeof harness>, sizeBytes = 10) =>
  h.policy.startDirect({
    owner: OWNER,
    filename: 'a.txt',
    contentType: 'text/plain',
    sizeBytes,
    mode: 'put',
  });

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'stored',
    (e: { code?: string }) => e.code ?? String(e),
  );

describe('review: the flows', () => {
  it('a PUT of other bytes to the same URL while the scan runs does not get promoted', async () => {
    let resend: (() => void) | undefined;
    const scanner: VirusScanner = {
      name: 'swapping',
      maxScanBytes: 32 * KiB,
      async scan(source: ByteSource): Promise<ScanVerdict> {
        for await (const _ of source) {
          // the bytes being scanned are clean
        }
        resend?.(); // ...and meanwhile the client sends other bytes of the same length to its URL
        return { status: 'clean' };
      },
    };
    const h = harness({ scan: { scanner } });
    const ticket = await start(h);
    expect(send(h, ticket, text(10)).ok).toBe(true);
    resend = () => {
      expect(send(h, ticket, new TextEncoder().encode('EVILEVILEV')).ok).toBe(true);
      resend = undefined;
    };
    expect(await code(h.policy.finalize(OWNER, ticket.uploadId))).toBe('ERR_UPLOAD_INCOMPLETE');
    expect(await h.keys('files/')).toEqual([]);
    // Still pending: the client may finalize again, and the bytes there now are what gets checked.
    expect(await h.usage()).toMatchObject({ reservedBytes: 10 });
    expect(h.metrics.counterValue('uploads.call_failures', { op: 'finalize', reason: 'incomplete' })).toBe(1);
    expect(h.metrics.counterValue('uploads.failures')).toBe(0);
  });

  it('a scanner that gives up without reading (clamd down) still releases the read', async () => {
    const signals: AbortSignal[] = [];
    const h = harness({
      scan: {
        scanner: {
          name: 'down',
          maxScanBytes: 32 * KiB,
          scan: async () => ({ status: 'unavailable', reason: 'down' }),
        },
      },
    });
    const read = h.storage.read.bind(h.storage);
    h.storage.read = (key, signal, ifMatch) => {
      if (signal) signals.push(signal);
      return read(key, signal, ifMatch);
    };
    for (let i = 0; i < 3; i += 1) {
      const ticket = await start(h);
      send(h, ticket, text(10));
      expect(await code(h.policy.finalize(OWNER, ticket.uploadId))).toBe('ERR_UPLOAD_SCAN_UNAVAILABLE');
    }
    expect(signals).toHaveLength(3);
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  it('two policies on one quota store: an upload is finalized only by the policy that admitted it', async () => {
    const quota = { store: createMemoryQuotaStore(), limitBytes: 64 * KiB };
    const docs = harness({ name: 'docs', quota, scan: { scanner: markerScanner() } });
    const notes = harness({ name: 'notes', quota });
    const ticket = await start(docs);
    send(docs, ticket, new TextEncoder().encode('EVILEVILEV'));
    expect(await code(notes.policy.finalize(OWNER, ticket.uploadId))).toBe('ERR_UPLOAD_NOT_FOUND');
    expect(await code(notes.policy.abort(OWNER, ticket.uploadId))).toBe('ERR_UPLOAD_NOT_FOUND');
    expect(await code(docs.policy.finalize(OWNER, ticket.uploadId))).toBe('ERR_UPLOAD_INFECTED');
  });

  it('a direct multipart upload outlasts the ordinary reservation TTL (multipartTtlMs, 24 h)', async () => {
    const h = harness();
    const ticket = await h.policy.startDirect({
      owner: OWNER,
      filename: 'big.txt',
      contentType: 'text/plain',
      sizeBytes: 20 * KiB,
      mode: 'multipart',
    });
    h.clock.advance(80 * 60_000); // past the 75 min reservation of PUT/POST uploads
    const parts = await h.policy.presignParts(OWNER, ticket.uploadId, [11, 12]);
    expect(parts.map((p) => p.partNumber)).toEqual([11, 12]);
    // and the sweep's default age leaves it alone
    expect((await h.policy.sweep()).abortedMultipartUploads).toBe(0);
    expect(await h.listMultipart()).toHaveLength(1);
    h.clock.advance(24 * 3_600_000);
    expect(await code(h.policy.presignParts(OWNER, ticket.uploadId, [13]))).toBe('ERR_UPLOAD_NOT_FOUND');
  });

  it('an explicit multipartTtlMs under the reservation TTL is refused', () => {
    expect(() => harness({ multipartTtlMs: 60_000 })).toThrow(/multipartTtlMs/);
  });
});

describe('review: policies sharing one bucket and one quota store', () => {
  it("a call on the wrong policy leaves the other policy's live upload alone", async () => {
    const docs = harness({ name: 'docs' });
    const avatars = harness({
      name: 'avatars',
      storage: docs.storage,
      clock: docs.clock,
      quota: { store: docs.quota, limitBytes: 64 * KiB },
    });
    const ticket = await start(docs);
    expect(send(docs, ticket, text(10)).ok).toBe(true);
    expect(await code(avatars.policy.finalize(OWNER, ticket.uploadId))).toBe('ERR_UPLOAD_NOT_FOUND');
    expect(await code(avatars.policy.abort(OWNER, ticket.uploadId))).toBe('ERR_UPLOAD_NOT_FOUND');
    expect(await docs.keys('quarantine/')).toHaveLength(1);
    expect(await code(docs.policy.finalize(OWNER, ticket.uploadId))).toBe('stored');
  });
});

describe('review: hooks that throw are typed', () => {
  it('a quota.limitBytes function that throws is ERR_STORE with the cause; nothing is reserved', async () => {
    const h = harness({
      quota: {
        store: createMemoryQuotaStore(),
        limitBytes: () => {
          throw new TypeError('plan service down');
        },
      },
    });
    const error = await start(h).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_STORE', cause: { message: 'plan service down' } });
  });

  it('a body whose iterator throws when created is a typed refusal, cleaned up', async () => {
    const h = harness();
    const body = {
      [Symbol.asyncIterator]() {
        throw new TypeError('sync boom');
      },
    } as unknown as AsyncIterable<Uint8Array>;
    const error = await h.policy
      .proxy({ owner: OWNER, filename: 'a.txt', contentType: 'text/plain', body })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: expect.stringMatching(/^ERR_/) });
    expect(error).not.toBeInstanceOf(TypeError);
    expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: 0 });
  });
});
