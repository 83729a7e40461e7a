/**
 * The sweeper on the memory stores: expired reservations (their objects and multipart uploads go),
 * stale multipart uploads and quarantine objects by age, and nothing young or final touched.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryQuotaStore, type QuotaStore } from '../../src/uploads/index.js';
import { expectClean, harness, KiB, OWNER, send, text } from './policy-fixtures.js';

/** A quota store whose `settle` never answers: the process "dies" between the copy and the commit. */
function crashingAtSettle(): QuotaStore & { reachedSettle: () => boolean } {
  const inner = createMemoryQuotaStore();
  let reached = false;
  return {
    ...inner,
    reserve: (input) => inner.reserve(input),
    get: (owner, id, nowMs) => inner.get(owner, id, nowMs),
    release: (owner, id, nowMs) => inner.release(owner, id, nowMs),
    free: (owner, bytes) => inner.free(owner, bytes),
    usage: (owner, nowMs) => inner.usage(owner, nowMs),
    sweepExpired: (nowMs, limit) => inner.sweepExpired(nowMs, limit),
    settle: () => {
      reached = true;
      return new Promise<boolean>(() => {});
    },
    reachedSettle: () => reached,
  };
}

describe('sweep', () => {
  it('expired reservations: quarantine objects deleted, multipart uploads aborted, bytes freed', async () => {
    const s = harness();
    const put = await s.policy.startDirect({
      owner: OWNER,
      filename: 'a.txt',
      contentType: 'text/plain',
      sizeBytes: 10,
      mode: 'put',
    });
    send(s, put, text(10));
    await s.policy.startDirect({
      owner: OWNER,
      filename: 'b.txt',
      contentType: 'text/plain',
      sizeBytes: 3 * KiB,
      mode: 'multipart',
    });
    expect(await s.usage()).toEqual({ usedBytes: 0, reservedBytes: 10 + 3 * KiB });
    const young = await s.policy.sweep();
    expect(young).toEqual({
      expiredReservations: 0,
      deletedUnsettledObjects: 0,
      abortedMultipartUploads: 0,
      deletedQuarantineObjects: 0,
    });
    s.clock.advance(25 * 3_600_000); // past the multipart reservation (24 h) too
    const report = await s.policy.sweep();
    expect(report.expiredReservations).toBe(2);
    await expectClean(s);
    expect(await s.policy.sweep()).toEqual({
      expiredReservations: 0,
      deletedUnsettledObjects: 0,
      abortedMultipartUploads: 0,
      deletedQuarantineObjects: 0,
    });
  });

  it('objects and multipart uploads with no reservation are removed by age only', async () => {
    const s = harness();
    await s.storage.put('quarantine/orphan', text(5), 'text/plain');
    await s.storage.createMultipart('quarantine/orphan-mp', 'text/plain');
    await s.storage.put('files/keep', text(5), 'text/plain');
    expect(await s.policy.sweep({ olderThanMs: 60_000 })).toEqual({
      expiredReservations: 0,
      deletedUnsettledObjects: 0,
      abortedMultipartUploads: 0,
      deletedQuarantineObjects: 0,
    });
    s.clock.advance(60_001);
    expect(await s.policy.sweep({ olderThanMs: 60_000 })).toEqual({
      expiredReservations: 0,
      deletedUnsettledObjects: 0,
      abortedMultipartUploads: 1,
      deletedQuarantineObjects: 1,
    });
    expect(await s.keys('quarantine/')).toEqual([]);
    expect(await s.keys('files/')).toEqual(['files/keep']);
  });

  it('a crash between the copy and the settle: the uncharged final copy goes with the expired reservation', async () => {
    const quota = crashingAtSettle();
    const s = harness({ quota: { store: quota, limitBytes: 64 * KiB } });
    await s.storage.put('files/other-owner-file', text(5), 'text/plain');
    const ticket = await s.policy.startDirect({
      owner: OWNER,
      filename: 'a.txt',
      contentType: 'text/plain',
      sizeBytes: 10,
      mode: 'put',
    });
    send(s, ticket, text(10));
    void s.policy.finalize(OWNER, ticket.uploadId); // never settles: the process is gone
    for (let i = 0; i < 50 && !quota.reachedSettle(); i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(quota.reachedSettle()).toBe(true);
    const copies = (await s.keys('files/')).filter((k) => k.includes(ticket.uploadId));
    expect(copies).toHaveLength(1);
    s.clock.advance(2 * 3_600_000);
    const report = await s.policy.sweep();
    expect(report).toMatchObject({ expiredReservations: 1, deletedUnsettledObjects: 1 });
    expect(await s.keys('files/')).toEqual(['files/other-owner-file']);
    expect(await s.keys('quarantine/')).toEqual([]);
    expect(await quota.usage(OWNER, s.clock.now())).toEqual({ usedBytes: 0, reservedBytes: 0 });
  });

  it('limit bounds each kind per run', async () => {
    const s = harness();
    for (let i = 0; i < 5; i += 1) await s.storage.put(`quarantine/o${i}`, text(1), 'text/plain');
    s.clock.advance(10_000);
    expect((await s.policy.sweep({ olderThanMs: 1, limit: 2 })).deletedQuarantineObjects).toBe(2);
    expect(await s.keys('quarantine/')).toHaveLength(3);
  });

  it('bad options are argument errors', async () => {
    const s = harness();
    for (const bad of [{ olderThanMs: -1 }, { olderThanMs: Number.NaN }, { limit: 0 }, { limit: 1.5 }]) {
      await expect(s.policy.sweep(bad)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
  });
});
