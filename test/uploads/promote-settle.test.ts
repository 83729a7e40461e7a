/**
 * A settle whose answer is lost (it committed, then the store call threw): promote asks once more with
 * the same attempt id (its file id) and keeps the file, charged once. Other finalizers' commits, a second
 * lost answer and refusals keep their old outcomes.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, StoreError } from '../../src/core/errors.js';
import { createMemoryQuotaStore } from '../../src/uploads/quota-memory.js';
import type { QuotaStore } from '../../src/uploads/types.js';
import { type Harness, harness, LIMIT_BYTES, OWNER, send, text } from './policy-fixtures.js';

/** What the wrapped settle does on one call: pass, commit then throw, throw before, or let another commit. */
type Step = 'pass' | 'commit-then-throw' | 'throw' | 'other-commits-then-throw' | 'refuse';

/** A memory quota store whose `settle` follows `steps` (then passes), recording each call's attempt id. */
function scriptedSettle(steps: Step[]) {
  const base = createMemoryQuotaStore();
  const attempts: (string | undefined)[] = [];
  const store: QuotaStore = new Proxy(base, {
    get(target, prop, receiver) {
      if (prop !== 'settle') return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<QuotaStore['settle']>) => {
        attempts.push(args[4]);
        const step = steps.shift() ?? 'pass';
        if (step === 'pass') return target.settle(...args);
        if (step === 'refuse') throw new InvalidArgumentError('`actualBytes` exceeds the reservation');
        if (step === 'commit-then-throw') await target.settle(...args);
        if (step === 'other-commits-then-throw') {
          await target.settle(args[0], args[1], args[2], args[3], 'another-finalizer');
        }
        throw new StoreError('redis script uploads-quota-settle failed', { cause: new Error('timeout') });
      };
    },
  });
  const h = harness({ quota: { store, limitBytes: LIMIT_BYTES } });
  return { h, base, attempts, usage: () => base.usage(OWNER, h.clock.now()) };
}

async function uploaded(h: Harness, sizeBytes: number): Promise<string> {
  const t = await h.policy.startDirect({
    owner: OWNER,
    filename: 'f.txt',
    contentType: 'text/plain',
    sizeBytes,
    mode: 'put',
  });
  expect(send(h, t, text(sizeBytes))).toMatchObject({ ok: true });
  return t.uploadId;
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (e: { code?: string }) => e.code,
  );

describe('a lost settle answer', () => {
  it('committed, then threw once: finalize returns the file, charged once, nothing in quarantine', async () => {
    const s = scriptedSettle(['commit-then-throw']);
    const id = await uploaded(s.h, 2000);
    const file = await s.h.policy.finalize(OWNER, id);
    expect(await s.h.keys('files/')).toEqual([file.key]);
    expect((await s.h.storage.head(file.key))?.sizeBytes).toBe(2000);
    expect(await s.h.keys('quarantine/')).toEqual([]);
    expect(await s.usage()).toEqual({ usedBytes: 2000, reservedBytes: 0 });
    // Both settles carried the same attempt id: the file id in the final key.
    expect(s.attempts).toHaveLength(2);
    expect(s.attempts[0]).toMatch(/^[a-z2-7]{26}$/);
    expect(s.attempts[1]).toBe(s.attempts[0]);
    expect(file.key).toContain(`/${s.attempts[0]}.`);
    expect(s.h.metrics.counterValue('uploads.call_failures')).toBe(0);
    // The record is the file's: deleting it frees the bytes, once.
    await s.h.policy.deleteFile(file);
    await s.h.policy.deleteFile(file);
    expect(await s.usage()).toEqual({ usedBytes: 0, reservedBytes: 0 });
  });

  it('threw before committing: the retry commits, the file is kept, charged once', async () => {
    const s = scriptedSettle(['throw']);
    const file = await s.h.policy.finalize(OWNER, await uploaded(s.h, 300));
    expect(await s.h.keys('files/')).toEqual([file.key]);
    expect(await s.h.keys('quarantine/')).toEqual([]);
    expect(await s.usage()).toEqual({ usedBytes: 300, reservedBytes: 0 });
  });

  it('another finalizer committed and our settle threw: NOT_FOUND, our copy deleted', async () => {
    const s = scriptedSettle(['other-commits-then-throw']);
    const id = await uploaded(s.h, 500);
    expect(await codeOf(s.h.policy.finalize(OWNER, id))).toBe('ERR_UPLOAD_NOT_FOUND');
    expect(await s.h.keys('files/')).toEqual([]);
    expect(s.attempts).toHaveLength(2);
    expect(await s.usage()).toEqual({ usedBytes: 500, reservedBytes: 0 }); // the other's charge
  });

  it('two lost answers in a row: as before (copy deleted, NOT_FOUND); the documented residual', async () => {
    const s = scriptedSettle(['commit-then-throw', 'throw']);
    const id = await uploaded(s.h, 400);
    expect(await codeOf(s.h.policy.finalize(OWNER, id))).toBe('ERR_UPLOAD_NOT_FOUND');
    expect(await s.h.keys('files/')).toEqual([]);
    expect(s.attempts).toHaveLength(2);
    // The commit stands without a file: what docs/uploads.md says is left after two lost answers.
    expect(await s.usage()).toEqual({ usedBytes: 400, reservedBytes: 0 });
  });

  it('two throws before any commit: ERR_STORE, the upload stays pending and a later finalize stores it', async () => {
    const s = scriptedSettle(['throw', 'throw']);
    const id = await uploaded(s.h, 100);
    expect(await codeOf(s.h.policy.finalize(OWNER, id))).toBe('ERR_STORE');
    expect(await s.h.keys('files/')).toEqual([]);
    expect(await s.usage()).toEqual({ usedBytes: 0, reservedBytes: 100 });
    const file = await s.h.policy.finalize(OWNER, id);
    expect(await s.h.keys('files/')).toEqual([file.key]);
    expect(await s.usage()).toEqual({ usedBytes: 100, reservedBytes: 0 });
  });

  it('a refusal (invalid argument) is an answer: not asked again, nothing promoted', async () => {
    const s = scriptedSettle(['refuse']);
    const id = await uploaded(s.h, 100);
    expect(await codeOf(s.h.policy.finalize(OWNER, id))).toBe('ERR_STORE');
    expect(s.attempts).toHaveLength(1);
    expect(await s.h.keys('files/')).toEqual([]);
    expect(await s.usage()).toEqual({ usedBytes: 0, reservedBytes: 100 });
  });
});
