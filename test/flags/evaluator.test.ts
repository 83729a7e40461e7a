/**
 * The evaluator: each fallback layer one by one (source down at start → snapshot → bootstrap → none),
 * the source going down mid-run (last-known-good, stale), a config that does not validate, the init
 * timeout, refresh without a watch, events to listeners, and the option checks.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createFileSnapshotStore,
  createFlagEvaluator,
  createMemoryFlagSource,
  type FlagEvaluator,
  type FlagEvaluatorEvent,
} from '../../src/flags/index.js';
import { createManualClock, createMemoryMetrics } from '../../src/testing/index.js';
import {
  booleanFlag,
  config,
  memorySnapshot,
  scriptedSource,
  settle,
  stringFlag,
} from './evaluator-helpers.js';

const open: FlagEvaluator[] = [];
function track(evaluator: FlagEvaluator): FlagEvaluator {
  open.push(evaluator);
  return evaluator;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

const LIVE = config('live-1', { checkout: booleanFlag(true), banner: stringFlag('live') });
const SNAPSHOT = config('snap-1', { checkout: booleanFlag(false), banner: stringFlag('snapshot') });
const BOOTSTRAP = config('boot-1', { checkout: booleanFlag(false), banner: stringFlag('bootstrap') });

describe('layers at start, one by one', () => {
  it('live: the source answers, the snapshot is written', async () => {
    const clock = createManualClock(1_000);
    const snapshot = memorySnapshot(SNAPSHOT);
    const flags = track(
      createFlagEvaluator({ source: scriptedSource(LIVE), snapshot, bootstrap: BOOTSTRAP, clock }),
    );
    const status = await flags.ready();
    expect(status).toMatchObject({ layer: 'live', version: 'live-1', stale: false, sinceMs: 1_000 });
    expect(flags.stringDetails('banner', {}, 'x')).toEqual({
      value: 'live',
      variant: 'v1',
      reason: 'DEFAULT',
      flagMetadata: { layer: 'live', version: 'live-1' },
    });
    await settle();
    expect(snapshot.saved?.version).toBe('live-1');
  });

  it('snapshot: the source is down at start', async () => {
    const source = scriptedSource(LIVE);
    source.mode = 'fail';
    const flags = track(
      createFlagEvaluator({
        source,
        snapshot: memorySnapshot(SNAPSHOT),
        bootstrap: BOOTSTRAP,
        clock: createManualClock(),
      }),
    );
    const status = await flags.ready();
    expect(status).toMatchObject({ layer: 'snapshot', version: 'snap-1', stale: true });
    expect(status.lastError).toMatchObject({ kind: 'source', message: 'connection refused' });
    expect(flags.stringDetails('banner', {}, 'x')).toMatchObject({
      value: 'snapshot',
      reason: 'DEFAULT',
      flagMetadata: { layer: 'snapshot', version: 'snap-1' },
    });
  });

  it('bootstrap: the source is down and there is no snapshot', async () => {
    const source = scriptedSource(LIVE);
    source.mode = 'fail';
    const flags = track(
      createFlagEvaluator({
        source,
        snapshot: memorySnapshot(),
        bootstrap: BOOTSTRAP,
        clock: createManualClock(),
      }),
    );
    expect(flags.status().layer).toBe('bootstrap'); // answering at once, before ready
    expect((await flags.ready()).layer).toBe('bootstrap');
    expect(flags.string('banner', {}, 'x')).toBe('bootstrap');
  });

  it('bootstrap: a snapshot that does not validate is reported and skipped', async () => {
    const source = scriptedSource(LIVE);
    source.mode = 'fail';
    const broken = { flags: { checkout: { type: 'boolean' } } } as unknown as typeof SNAPSHOT;
    const flags = track(
      createFlagEvaluator({
        source,
        snapshot: memorySnapshot(broken),
        bootstrap: BOOTSTRAP,
        clock: createManualClock(),
      }),
    );
    const status = await flags.ready();
    expect(status.layer).toBe('bootstrap');
    expect(status.lastError).toMatchObject({ kind: 'snapshot', code: 'ERR_FLAGS_INVALID_CONFIG' });
  });

  it('bootstrap: a snapshot store that cannot read is reported (lastReadError) and skipped', async () => {
    const store = {
      kind: 'broken',
      read: async () => undefined,
      write: async () => {},
      lastReadError: () => new Error('snapshot.json is corrupt'),
    };
    const flags = track(
      createFlagEvaluator({ snapshot: store, bootstrap: BOOTSTRAP, clock: createManualClock() }),
    );
    const status = await flags.ready();
    expect(status).toMatchObject({ layer: 'bootstrap', lastError: { kind: 'snapshot' } });
  });

  it('none: nothing answers; every evaluation is the default with PROVIDER_NOT_READY', async () => {
    const source = scriptedSource(LIVE);
    source.mode = 'fail';
    const flags = track(createFlagEvaluator({ source, clock: createManualClock() }));
    expect((await flags.ready()).layer).toBe('none');
    expect(flags.config()).toBeUndefined();
    expect(flags.booleanDetails('checkout', { targetingKey: 'u1' }, true)).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: 'PROVIDER_NOT_READY',
    });
  });

  it('none with code defaults: the declared default answers (reason DEFAULT, layer code-defaults)', async () => {
    const flags = track(
      createFlagEvaluator({ defaults: { checkout: true, limits: { max: 3 } }, clock: createManualClock() }),
    );
    await flags.ready();
    expect(flags.booleanDetails('checkout', {}, false)).toEqual({
      value: true,
      reason: 'DEFAULT',
      flagMetadata: { layer: 'code-defaults' },
    });
    expect(flags.json('limits', {}, {})).toEqual({ max: 3 });
    expect(flags.stringDetails('checkout', {}, 'x')).toMatchObject({
      value: 'x',
      errorCode: 'TYPE_MISMATCH',
    });
    expect(flags.booleanDetails('other', {}, false)).toMatchObject({ errorCode: 'PROVIDER_NOT_READY' });
  });

  it('code defaults also answer for a flag the live config lacks; an unknown flag is FLAG_NOT_FOUND', async () => {
    const flags = track(
      createFlagEvaluator({
        source: scriptedSource(LIVE),
        defaults: { legacy: 'x' },
        clock: createManualClock(),
      }),
    );
    await flags.ready();
    expect(flags.stringDetails('legacy', {}, 'y')).toMatchObject({ value: 'x', reason: 'DEFAULT' });
    expect(flags.stringDetails('nope', {}, 'y')).toMatchObject({
      value: 'y',
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
      flagMetadata: { layer: 'live', version: 'live-1' },
    });
  });

  it('no source: the snapshot answers', async () => {
    const flags = track(
      createFlagEvaluator({ snapshot: memorySnapshot(SNAPSHOT), clock: createManualClock() }),
    );
    expect((await flags.ready()).layer).toBe('snapshot');
  });
});

describe('results', () => {
  it('a served result is shared and frozen (evaluation allocates nothing for it); an error result is fresh', () => {
    const flags = track(createFlagEvaluator({ bootstrap: BOOTSTRAP, clock: createManualClock() }));
    const first = flags.stringDetails('banner', { plan: 'beta' }, 'x');
    expect(flags.stringDetails('banner', { plan: 'beta', targetingKey: 'other' }, 'x')).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.flagMetadata)).toBe(true);
    expect(first.flagMetadata).toEqual({ layer: 'bootstrap', version: 'boot-1', ruleId: 'beta-rule' });
    expect(flags.stringDetails('nope', {}, 'x')).not.toBe(flags.stringDetails('nope', {}, 'x'));
  });
});

describe('init timeout', () => {
  it('ready resolves after initTimeoutMs with the fallback; a late answer still becomes live', async () => {
    const clock = createManualClock();
    const source = scriptedSource(LIVE, { watch: false });
    let answer: (value: typeof LIVE) => void = () => {};
    source.load = () =>
      new Promise((resolve) => {
        answer = resolve;
      });
    const flags = track(
      createFlagEvaluator({ source, snapshot: memorySnapshot(SNAPSHOT), clock, initTimeoutMs: 500 }),
    );
    let resolved = false;
    const ready = flags.ready().then((status) => {
      resolved = true;
      return status;
    });
    await settle();
    expect(resolved).toBe(false);
    clock.advance(499);
    await settle();
    expect(resolved).toBe(false);
    clock.advance(1);
    expect((await ready).layer).toBe('snapshot');
    answer(LIVE);
    await settle();
    expect(flags.status()).toMatchObject({ layer: 'live', version: 'live-1' });
  });
});

describe('the source mid-run', () => {
  it('a watch error keeps the last good config: layer last-known-good, stale, the reason as evaluated', async () => {
    const clock = createManualClock(0);
    const source = scriptedSource(LIVE);
    const flags = track(createFlagEvaluator({ source, clock }));
    await flags.ready();
    clock.advance(60_000);
    source.push({ error: new Error('redis down') });
    expect(flags.status()).toMatchObject({
      layer: 'last-known-good',
      stale: true,
      sinceMs: 60_000,
      version: 'live-1',
      lastError: { kind: 'source', message: 'redis down', atMs: 60_000 },
    });
    expect(flags.stringDetails('banner', { plan: 'beta' }, 'x')).toEqual({
      value: 'beta-value',
      variant: 'beta',
      reason: 'TARGETING_MATCH',
      flagMetadata: { layer: 'last-known-good', version: 'live-1', ruleId: 'beta-rule' },
    });
    source.push({ error: new Error('still down') });
    expect(flags.status()).toMatchObject({ layer: 'last-known-good', sinceMs: 60_000 });
    clock.advance(1_000);
    source.push({ config: config('live-2', { checkout: booleanFlag(false) }) });
    expect(flags.status()).toMatchObject({ layer: 'live', stale: false, sinceMs: 61_000, version: 'live-2' });
    expect(flags.boolean('checkout', {}, true)).toBe(false);
  });

  it('a config that does not validate is never applied: the previous answers, the error is everywhere', async () => {
    const metrics = createMemoryMetrics();
    const source = scriptedSource(LIVE);
    const flags = track(createFlagEvaluator({ source, clock: createManualClock(), metrics }));
    await flags.ready();
    const events: FlagEvaluatorEvent[] = [];
    flags.onChange((e) => events.push(e));
    source.push({ config: { flags: { checkout: { type: 'boolean', variations: 'nope' } } } as never });
    expect(flags.boolean('checkout', {}, false)).toBe(true);
    expect(flags.status()).toMatchObject({
      layer: 'last-known-good',
      version: 'live-1',
      lastError: { kind: 'config', code: 'ERR_FLAGS_INVALID_CONFIG' },
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'status', previous: 'live', errorKind: 'config' });
    expect(metrics.counterValue('flags.source.errors', { kind: 'config' })).toBe(1);
    expect(metrics.gaugeValue('flags.layer')).toBe(1);
  });

  it('listeners hear status then config changes with the flags that changed; a throwing one is ignored', async () => {
    const source = scriptedSource(LIVE);
    const flags = track(createFlagEvaluator({ source, clock: createManualClock() }));
    await flags.ready();
    const events: FlagEvaluatorEvent[] = [];
    flags.onChange(() => {
      throw new Error('listener bug');
    });
    const off = flags.onChange((e) => events.push(e));
    source.push({ error: new Error('down') });
    source.push({ config: config('live-2', { checkout: booleanFlag(false), banner: stringFlag('live') }) });
    source.push({ config: config('live-2', { checkout: booleanFlag(false), banner: stringFlag('live') }) });
    expect(
      events.map((e) => (e.type === 'status' ? `status:${e.status.layer}` : `config:${e.flagsChanged}`)),
    ).toEqual(['status:last-known-good', 'status:live', 'config:checkout']);
    off();
    source.push({ error: new Error('down') });
    expect(events).toHaveLength(3);
  });

  it('a source without watch is re-loaded every refreshIntervalMs', async () => {
    const clock = createManualClock();
    const source = scriptedSource(LIVE, { watch: false });
    const snapshot = memorySnapshot();
    const flags = track(createFlagEvaluator({ source, snapshot, clock, refreshIntervalMs: 1_000 }));
    await flags.ready();
    expect(source.loads).toBe(1);
    source.config = config('live-2', { checkout: booleanFlag(false) });
    clock.advance(1_000);
    await settle();
    expect(source.loads).toBe(2);
    expect(flags.boolean('checkout', {}, true)).toBe(false);
    source.mode = 'fail';
    clock.advance(1_000);
    await settle();
    expect(flags.status().layer).toBe('last-known-good');
    source.mode = 'ok';
    clock.advance(1_000);
    await settle();
    expect(flags.status().layer).toBe('live');
    expect(snapshot.writes).toBe(2); // live-1, then live-2; the unchanged re-load is not written again
  });

  it('a snapshot write failure is reported without changing the layer', async () => {
    const snapshot = memorySnapshot();
    snapshot.failWrites = true;
    const flags = track(
      createFlagEvaluator({ source: scriptedSource(LIVE), snapshot, clock: createManualClock() }),
    );
    await flags.ready();
    await settle();
    expect(flags.status()).toMatchObject({
      layer: 'live',
      lastError: { kind: 'snapshot', message: 'disk full' },
    });
  });

  it('after close, updates are ignored and the watch is dropped', async () => {
    const source = scriptedSource(LIVE);
    const flags = createFlagEvaluator({ source, clock: createManualClock() });
    await flags.ready();
    expect(source.watchers()).toBe(1);
    await flags.close();
    expect(source.watchers()).toBe(0);
    source.push({ config: config('live-2', { checkout: booleanFlag(false) }) });
    expect(flags.boolean('checkout', {}, false)).toBe(true);
  });
});

describe('timers', () => {
  it('nothing to push and no source: no timer at all; with a sink: one, gone after close', async () => {
    const clock = createManualClock();
    const quiet = track(createFlagEvaluator({ bootstrap: BOOTSTRAP, clock }));
    await quiet.ready();
    expect(clock.pendingSleepers()).toBe(0);
    const busy = createFlagEvaluator({
      source: scriptedSource(LIVE, { watch: false }),
      refreshIntervalMs: 1_000,
      sink: { kind: 'null', send: async () => {} },
      clock,
    });
    await busy.ready();
    await settle();
    expect(clock.pendingSleepers()).toBe(2); // the flush tick and the refresh loop
    await busy.close();
    expect(clock.pendingSleepers()).toBe(0);
  });
});

describe('options', () => {
  it.each([
    [{ initTimeoutMs: 0 }, /initTimeoutMs/],
    [{ analytics: { batchSize: 20, maxBuffered: 10 } }, /analytics.batchSize/],
    [{ analytics: { maxBufered: 1 } }, /unknown option `analytics.maxBufered`/],
    [{ defaults: { f: () => true } }, /defaults.f/],
    [{ defaults: { f: Number.NaN } }, /defaults.f/],
    [{ defaults: [] }, /defaults/],
    [{ bootstrap: { nope: 1 } }, /bootstrap/],
    [{ source: { kind: 'x' } }, /source/],
    [{ sink: { send: 1 } }, /sink/],
    [{ refreshIntervalMs: -1 }, /refreshIntervalMs/],
    [{ sourse: {} }, /unknown option `sourse`/],
  ])('%j is ERR_INVALID_OPTION', (options, message) => {
    expect(() => createFlagEvaluator(options as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(message) }),
    );
  });

  it('bootstrap data that does not validate is ERR_FLAGS_INVALID_CONFIG at construction', () => {
    expect(() => createFlagEvaluator({ bootstrap: { flags: { x: { type: 'boolean' } } } as never })).toThrow(
      expect.objectContaining({ code: 'ERR_FLAGS_INVALID_CONFIG' }),
    );
  });
});

describe('with the memory source and the file snapshot store', () => {
  it('a restart during an outage answers from the snapshot the previous process wrote', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flags-eval-'));
    try {
      const path = join(dir, 'snapshot.json');
      const source = createMemoryFlagSource(LIVE);
      const first = createFlagEvaluator({
        source,
        snapshot: createFileSnapshotStore({ path }),
        clock: createManualClock(),
      });
      expect((await first.ready()).layer).toBe('live');
      source.set(config('live-2', { checkout: booleanFlag(false) }));
      await settle();
      await first.close(); // waits for the snapshot writes

      const down = createMemoryFlagSource();
      down.fail('redis down');
      const second = track(
        createFlagEvaluator({
          source: down,
          snapshot: createFileSnapshotStore({ path }),
          clock: createManualClock(),
        }),
      );
      expect(await second.ready()).toMatchObject({ layer: 'snapshot', version: 'live-2', stale: true });
      expect(second.boolean('checkout', {}, true)).toBe(false);
      down.set(LIVE);
      await settle();
      expect(second.status()).toMatchObject({ layer: 'live', version: 'live-1' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('memory source fail() mid-run is last-known-good; a corrupt snapshot file is reported at start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flags-eval-'));
    try {
      const path = join(dir, 'snapshot.json');
      await writeFile(path, '{"format":"backend-patterns/flags-snapshot"\nnot json');
      const source = createMemoryFlagSource();
      const flags = track(
        createFlagEvaluator({
          source,
          snapshot: createFileSnapshotStore({ path }),
          bootstrap: BOOTSTRAP,
          clock: createManualClock(),
        }),
      );
      expect(await flags.ready()).toMatchObject({ layer: 'bootstrap', lastError: { kind: 'snapshot' } });
      source.set(LIVE);
      await settle();
      expect(flags.status().layer).toBe('live');
      source.fail('maintenance');
      expect(flags.status()).toMatchObject({
        layer: 'last-known-good',
        lastError: { message: 'memory: maintenance' },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
