/**
 * The in-memory flag source: set, fail, watch (the current state first, then every change), copies,
 * and hostile configs given to `set`.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryFlagSource, type FlagConfig } from '../../src/flags/index.js';
import { eventually, record, rejectsWith, sampleConfig, served, tick } from './source-helpers.js';

describe('createMemoryFlagSource', () => {
  it('rejects load before any config is set, then serves what set gave', async () => {
    const source = createMemoryFlagSource();
    expect(source.kind).toBe('memory');
    await rejectsWith(source.load(), 'ERR_FLAGS_SOURCE', /no config has been set/);
    source.set(sampleConfig(true));
    expect(served(await source.load())).toBe('on');
  });

  it('copies the config: later changes to the caller object do not leak in', async () => {
    const config = structuredClone(sampleConfig(true)) as { flags: Record<string, unknown> };
    const source = createMemoryFlagSource(config as FlagConfig);
    config.flags.checkout = 'mutated';
    expect(served(await source.load())).toBe('on');
  });

  it('a new watcher hears the current config, then every set and fail', async () => {
    const source = createMemoryFlagSource(sampleConfig(true, 'v1'));
    const rec = record(source);
    await eventually(() => rec.updates.length === 1);
    source.set(sampleConfig(false, 'v2'));
    source.fail('upstream down');
    await rejectsWith(source.load(), 'ERR_FLAGS_SOURCE', /upstream down/);
    source.set(sampleConfig(true, 'v3'));
    expect(rec.configs().map((c) => c.version)).toEqual(['v1', 'v2', 'v3']);
    expect(rec.errors().map((e) => e.message)).toEqual(['memory: upstream down']);
    rec.stop();
    source.set(sampleConfig(true, 'v4'));
    expect(rec.updates).toHaveLength(4);
  });

  it('a watcher added before any config hears nothing until the first set', async () => {
    const source = createMemoryFlagSource();
    const rec = record(source);
    await tick();
    expect(rec.updates).toEqual([]);
    source.set(sampleConfig(false));
    expect(rec.configs()).toHaveLength(1);
  });

  it('a throwing listener does not stop the others', async () => {
    const source = createMemoryFlagSource();
    source.watch(() => {
      throw new Error('listener bug');
    });
    const rec = record(source);
    source.set(sampleConfig(true));
    expect(rec.configs()).toHaveLength(1);
  });

  it('an unsubscribe before the first delivery means no delivery', async () => {
    const source = createMemoryFlagSource(sampleConfig(true));
    const rec = record(source);
    rec.stop();
    rec.stop(); // twice is harmless
    await tick();
    expect(rec.updates).toEqual([]);
  });

  it('hostile configs given to set throw InvalidArgumentError and change nothing', async () => {
    const source = createMemoryFlagSource(sampleConfig(true, 'kept'));
    const rec = record(source);
    await eventually(() => rec.updates.length === 1);
    const hostile: unknown[] = [
      null,
      undefined,
      'flags',
      42,
      [],
      [sampleConfig(true)],
      {},
      { flags: null },
      { flags: [] },
      { flags: 'x' },
      JSON.parse('{"__proto__": {"flags": {}}}'),
      { flags: { fn: () => 1 } },
      { flags: {}, version: Symbol('v') },
    ];
    for (const value of hostile) {
      expect(() => source.set(value as FlagConfig), String(value)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
    expect((await source.load()).version).toBe('kept');
    expect(rec.updates).toHaveLength(1);
  });

  it('keeps `__proto__` keys as plain data and pollutes no prototype', async () => {
    const config = JSON.parse(
      '{"flags": {"__proto__": {"type": "boolean"}, "ok": {}}, "__proto__": {"polluted": true}}',
    );
    const source = createMemoryFlagSource(config);
    const loaded = await source.load();
    expect(Object.keys(loaded.flags)).toEqual(['__proto__', 'ok']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(loaded.flags)).toBe(Object.prototype);
  });

  it('close drops the watchers and makes load reject', async () => {
    const source = createMemoryFlagSource(sampleConfig(true));
    const rec = record(source);
    await source.close();
    source.set(sampleConfig(false));
    await tick();
    expect(rec.updates).toEqual([]);
    await rejectsWith(source.load(), 'ERR_FLAGS_SOURCE', /closed/);
    const after = record(source);
    source.set(sampleConfig(true));
    expect(after.updates).toEqual([]);
  });
});
