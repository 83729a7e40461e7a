/**
 * The sweeper on the memory stores: expired reservations (their objects and multipart uploads go),
 * stale multipart uploads and quarantine objects by age, and nothing young or final touched.
 */
import { describe, expect, it } from 'vitest';
import { expectClean, harness, KiB, OWNER, send, text } from './policy-fixtures.js';

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
      abortedMultipartUploads: 0,
      deletedQuarantineObjects: 0,
    });
    s.clock.advance(2 * 3_600_000);
    const report = await s.policy.sweep();
    expect(report.expiredReservations).toBe(2);
    await expectClean(s);
    expect(await s.policy.sweep()).toEqual({
      expiredReservations: 0,
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
      abortedMultipartUploads: 0,
      deletedQuarantineObjects: 0,
    });
    s.clock.advance(60_001);
    expect(await s.policy.sweep({ olderThanMs: 60_000 })).toEqual({
      expiredReservations: 0,
      abortedMultipartUploads: 1,
      deletedQuarantineObjects: 1,
    });
    expect(await s.keys('quarantine/')).toEqual([]);
    expect(await s.keys('files/')).toEqual(['files/keep']);
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
