/**
 * Analytics: per-flag usage (counts, last evaluation, variants), the metric counters pushed on the
 * flush tick, and the event pipeline (bounded buffer with drop counting, batches, sink failures and
 * timeouts, the hashed context key computed in the flush).
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createFlagEvaluator, type FlagEvaluator, type FlagEvaluatorOptions } from '../../src/flags/index.js';
import { createManualClock, createMemoryMetrics } from '../../src/testing/index.js';
import { booleanFlag, config, recordingSink, settle, stringFlag } from './evaluator-helpers.js';

const open: FlagEvaluator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

const BOOT = config('b1', { checkout: booleanFlag(true), banner: stringFlag('hello') });

function build(options: FlagEvaluatorOptions = {}) {
  const clock = createManualClock(5_000);
  const metrics = createMemoryMetrics();
  const flags = createFlagEvaluator({ bootstrap: BOOT, clock, metrics, ...options });
  open.push(flags);
  return { flags, clock, metrics };
}

describe('usage', () => {
  it('counts evaluations, the last evaluation time and the variants served', () => {
    const { flags, clock } = build();
    flags.string('banner', { plan: 'beta' }, 'd');
    clock.advance(10);
    flags.string('banner', {}, 'd');
    flags.string('banner', {}, 'd');
    flags.number('banner', {}, 0); // TYPE_MISMATCH: counted, no variant
    expect(flags.usage()).toEqual({
      sinceMs: 5_000,
      flags: expect.objectContaining({
        banner: { evaluations: 4, lastEvaluatedAtMs: 5_010, variants: { beta: 1, v1: 2 } },
      }),
    });
  });

  it('is a copy: later evaluations do not change a report already taken', () => {
    const { flags } = build();
    flags.boolean('checkout', {}, false);
    const before = flags.usage();
    flags.boolean('checkout', {}, false);
    expect(before.flags.checkout?.evaluations).toBe(1);
    expect(flags.usage().flags.checkout?.evaluations).toBe(2);
  });

  it('keys no layer knows (typos, keys from input) share one (unknown) record and cannot crowd out real flags', () => {
    const { flags } = build();
    for (let i = 0; i < 10_050; i++) flags.boolean(`junk-${i}`, {}, false);
    flags.string('banner', {}, 'd');
    const usage = flags.usage().flags;
    expect(Object.keys(usage).sort()).toEqual(['(unknown)', 'banner']);
    expect(usage['(unknown)']?.evaluations).toBe(10_050);
    expect(usage.banner?.evaluations).toBe(1);
  });
});

describe('metrics', () => {
  it('flags.evaluations{flag, reason} and flags.evaluation.errors{flag, code} are pushed on flush, not before', async () => {
    const { flags, metrics } = build();
    flags.string('banner', { plan: 'beta' }, 'd');
    flags.string('banner', {}, 'd');
    flags.boolean('banner', {}, false);
    flags.boolean('missing', {}, false);
    expect(metrics.counterValue('flags.evaluations', { flag: 'banner', reason: 'DEFAULT' })).toBe(0);
    await flags.flush();
    expect(metrics.counterValue('flags.evaluations', { flag: 'banner', reason: 'TARGETING_MATCH' })).toBe(1);
    expect(metrics.counterValue('flags.evaluations', { flag: 'banner', reason: 'DEFAULT' })).toBe(1);
    expect(metrics.counterValue('flags.evaluations', { flag: 'banner', reason: 'ERROR' })).toBe(1);
    expect(metrics.counterValue('flags.evaluation.errors', { flag: 'banner', code: 'TYPE_MISMATCH' })).toBe(
      1,
    );
    // An unknown key is one `(unknown)` series, whatever its spelling (no label per typo).
    expect(
      metrics.counterValue('flags.evaluation.errors', { flag: '(unknown)', code: 'FLAG_NOT_FOUND' }),
    ).toBe(1);
    await flags.flush(); // deltas were reset: nothing counted twice
    expect(metrics.counterValue('flags.evaluations', { flag: 'banner', reason: 'DEFAULT' })).toBe(1);
  });

  it('the flush timer pushes them every flushIntervalMs', async () => {
    const { flags, clock, metrics } = build({ analytics: { flushIntervalMs: 1_000 } });
    flags.boolean('checkout', {}, false);
    clock.advance(1_000);
    await settle();
    expect(metrics.counterValue('flags.evaluations', { flag: 'checkout', reason: 'DEFAULT' })).toBe(1);
  });
});

describe('events', () => {
  it('batches events to the sink with the hashed targeting key (salted SHA-256, 16 chars)', async () => {
    const sink = recordingSink();
    const salt = new Uint8Array([1, 2, 3]);
    const { flags } = build({ sink, analytics: { batchSize: 2, contextKeySalt: salt } });
    flags.string('banner', { targetingKey: 'user-1', plan: 'beta' }, 'd');
    flags.boolean('checkout', {}, false);
    flags.number('checkout', { targetingKey: 'user-1' }, 0);
    await flags.flush();
    const expected = createHash('sha256').update(salt).update('user-1').digest('base64url').slice(0, 16);
    expect(sink.batches).toEqual([
      [
        { flag: 'banner', variant: 'beta', reason: 'TARGETING_MATCH', contextKeyHash: expected, atMs: 5_000 },
        { flag: 'checkout', variant: 'on', reason: 'DEFAULT', atMs: 5_000 },
      ],
      [
        {
          flag: 'checkout',
          variant: undefined,
          reason: 'ERROR',
          errorCode: 'TYPE_MISMATCH',
          contextKeyHash: expected,
          atMs: 5_000,
        },
      ],
    ]);
    expect(flags.eventStats()).toMatchObject({ buffered: 0, sent: 3 });
  });

  it('reaching batchSize starts a flush without waiting for the timer', async () => {
    const sink = recordingSink();
    const { flags } = build({ sink, analytics: { batchSize: 3 } });
    for (let i = 0; i < 3; i++) flags.boolean('checkout', {}, false);
    expect(sink.batches).toHaveLength(0); // never inside evaluate
    await settle();
    expect(sink.batches.map((b) => b.length)).toEqual([3]);
  });

  it('the buffer is bounded: beyond maxBuffered events are dropped and counted', async () => {
    const sink = recordingSink();
    sink.mode = 'hang';
    const { flags, metrics, clock } = build({
      sink,
      analytics: { maxBuffered: 5, batchSize: 5, sendTimeoutMs: 100 },
    });
    for (let i = 0; i < 12; i++) flags.boolean('checkout', {}, false);
    expect(flags.eventStats()).toMatchObject({ buffered: 5, droppedOverflow: 7 });
    const flushed = flags.flush();
    await settle();
    clock.advance(100); // the hung send times out: that batch is lost
    await flushed;
    expect(flags.eventStats()).toMatchObject({
      buffered: 0,
      droppedOverflow: 7,
      droppedSink: 5,
      failedBatches: 1,
    });
    expect(metrics.counterValue('flags.events.dropped', { cause: 'overflow' })).toBe(7);
    expect(metrics.counterValue('flags.events.dropped', { cause: 'sink' })).toBe(5);
    expect(flags.usage().flags.checkout?.evaluations).toBe(12); // usage counts every evaluation
  });

  it('a sink failure loses that batch only, counted; the next batches go through', async () => {
    const sink = recordingSink();
    const { flags, metrics } = build({ sink, analytics: { batchSize: 2 } });
    sink.mode = 'fail';
    flags.boolean('checkout', {}, false);
    await flags.flush();
    sink.mode = 'ok';
    flags.boolean('checkout', {}, false);
    await flags.flush();
    expect(flags.eventStats()).toMatchObject({ sent: 1, droppedSink: 1, failedBatches: 1 });
    expect(metrics.counterValue('flags.events.dropped', { cause: 'sink' })).toBe(1);
    expect(metrics.counterValue('flags.events.sent')).toBe(1);
  });

  it('a sink that throws synchronously counts as a failure too', async () => {
    const sink = {
      kind: 'sync-throw',
      send(): Promise<void> {
        throw new Error('sync');
      },
    };
    const { flags } = build({ sink });
    flags.boolean('checkout', {}, false);
    await flags.flush();
    expect(flags.eventStats()).toMatchObject({ droppedSink: 1, failedBatches: 1 });
  });

  it('close() flushes what is buffered; events after close are not buffered', async () => {
    const sink = recordingSink();
    const { flags } = build({ sink });
    flags.boolean('checkout', { targetingKey: 'u' }, false);
    await flags.close();
    expect(sink.batches.flat()).toHaveLength(1);
    flags.boolean('checkout', {}, false);
    expect(flags.eventStats()).toMatchObject({ buffered: 0, sent: 1 });
  });

  it('without a sink nothing is buffered', () => {
    const { flags } = build();
    flags.boolean('checkout', {}, false);
    expect(flags.eventStats()).toEqual({
      buffered: 0,
      sent: 0,
      droppedOverflow: 0,
      droppedSink: 0,
      failedBatches: 0,
    });
  });
});
