/**
 * The JSON file flag source against the real filesystem: load (and its hostile files), then watch
 * (atomic renames, in-place writes, half-written and malformed files, deletion, a ConfigMap-style
 * symlink swap, polling when the directory cannot be watched).
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import { createFileFlagSource, type FileFlagSource } from '../../src/flags/index.js';
import { eventually, record, rejectsWith, sampleConfig, served, tick } from './source-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'bp-flags-file-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const fresh = (name = 'flags.json') => {
  const dir = join(root, `case-${++counter}`);
  mkdirSync(dir);
  return join(dir, name);
};
const text = (value: boolean, version?: string) => JSON.stringify(sampleConfig(value, version));
/** Writes the way deploy tools should: a temporary file in the same directory, renamed over the config. */
const writeAtomic = (path: string, content: string) => {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
};
const fastWatch = (path: string): FileFlagSource =>
  createFileFlagSource({ path, pollIntervalMs: 50, debounceMs: 20 });

describe('createFileFlagSource: load', () => {
  it('reads and parses a config file, a leading byte-order mark included', async () => {
    const path = fresh();
    writeFileSync(path, text(true, 'v1'));
    const source = createFileFlagSource({ path });
    expect(source.kind).toBe('file');
    expect((await source.load()).version).toBe('v1');
    writeFileSync(path, `\ufeff${text(false)}`);
    expect(served(await source.load())).toBe('off');
  });

  it('reports a missing file, a directory, a symlink loop and a parent that is a file', async () => {
    const path = fresh();
    await rejectsWith(createFileFlagSource({ path }).load(), 'ERR_FLAGS_SOURCE', /does not exist/);
    mkdirSync(path);
    await rejectsWith(
      createFileFlagSource({ path }).load(),
      'ERR_FLAGS_SOURCE',
      /is a directory, not a file/,
    );
    const a = fresh('a.json');
    symlinkSync(`${a}.b`, a);
    symlinkSync(a, `${a}.b`);
    await rejectsWith(createFileFlagSource({ path: a }).load(), 'ERR_FLAGS_SOURCE', /symbolic links/);
    const file = fresh('plain');
    writeFileSync(file, '{}');
    await rejectsWith(
      createFileFlagSource({ path: join(file, 'x.json') }).load(),
      'ERR_FLAGS_SOURCE',
      /not a directory/,
    );
  });

  it('refuses a FIFO without blocking on it, and a device', async () => {
    const fifo = fresh('fifo.json');
    execFileSync('mkfifo', [fifo]);
    await rejectsWith(
      createFileFlagSource({ path: fifo }).load(),
      'ERR_FLAGS_SOURCE',
      /is a FIFO, not a file/,
    );
    if (existsSync('/dev/zero')) {
      await rejectsWith(
        createFileFlagSource({ path: '/dev/zero' }).load(),
        'ERR_FLAGS_SOURCE',
        /is a device/,
      );
    }
  });

  it('refuses files over maxBytes (default 5 MiB) before reading them', async () => {
    const path = fresh();
    writeFileSync(path, text(true));
    await rejectsWith(
      createFileFlagSource({ path, maxBytes: 100 }).load(),
      'ERR_FLAGS_SOURCE',
      /is \d+ bytes, over the 100-byte cap/,
    );
    const huge = fresh();
    writeFileSync(huge, `{"flags": {}, "pad": "${'x'.repeat(5 * 1024 * 1024)}"}`);
    await rejectsWith(
      createFileFlagSource({ path: huge }).load(),
      'ERR_FLAGS_SOURCE',
      /over the 5242880-byte cap/,
    );
  });

  it('hostile contents are FlagSourceErrors naming the file and the reason', async () => {
    const cases: [string | Uint8Array, RegExp][] = [
      ['', /not valid JSON/],
      ['{"flags": {', /not valid JSON/],
      ['not json at all', /not valid JSON/],
      ['{"flags": {}} trailing', /not valid JSON/],
      ['[]', /got an array/],
      ['[{"flags": {}}]', /got an array/],
      ['"flags"', /got string/],
      ['42', /got number/],
      ['null', /got null/],
      ['true', /got boolean/],
      ['{}', /a `flags` object/],
      ['{"flags": []}', /a `flags` object/],
      ['{"flags": null}', /a `flags` object/],
      ['{"flags": "all"}', /a `flags` object/],
      ['{"__proto__": {"flags": {}}}', /a `flags` object/],
      ['{"flags": {}\u0000}', /not valid JSON/],
      [Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), /not valid UTF-8/],
      [Uint8Array.from([0xc3, 0x28]), /not valid UTF-8/],
    ];
    for (const [content, reason] of cases) {
      const path = fresh();
      writeFileSync(path, content);
      const error = await rejectsWith(createFileFlagSource({ path }).load(), 'ERR_FLAGS_SOURCE', reason);
      expect(error.message).toContain(path);
    }
  });

  it('deeply nested JSON either parses or is a FlagSourceError, never a crash', async () => {
    const path = fresh();
    const depth = 200_000;
    writeFileSync(path, `{"flags": {"deep": ${'['.repeat(depth)}${']'.repeat(depth)}}}`);
    const outcome = await createFileFlagSource({ path })
      .load()
      .then(
        () => 'parsed',
        (e: { code?: string }) => e.code,
      );
    expect(['parsed', 'ERR_FLAGS_SOURCE']).toContain(outcome);
  });

  it('keeps `__proto__` keys as plain data and pollutes no prototype', async () => {
    const path = fresh();
    writeFileSync(path, '{"flags": {"__proto__": {"polluted": true}}, "__proto__": {"polluted": true}}');
    const config = await createFileFlagSource({ path }).load();
    expect(Object.hasOwn(config.flags, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
  });

  it('rejects bad options at construction', () => {
    const bad: unknown[] = [
      undefined,
      {},
      { path: '' },
      { path: 42 },
      { path: 'flags\0.json' },
      { path: 'x'.repeat(4097) },
      { path: 'x', maxBytes: 0 },
      { path: 'x', maxBytes: 1.5 },
      { path: 'x', pollIntervalMs: 0 },
      { path: 'x', debounceMs: -1 },
      { path: 'x', clock: {} },
      { path: 'x', pathh: 'typo' },
    ];
    for (const options of bad) {
      expect(() => createFileFlagSource(options as { path: string }), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });

  it('rejects load once closed, and with `aborted` on an aborted signal', async () => {
    const path = fresh();
    writeFileSync(path, text(true));
    const source = createFileFlagSource({ path });
    await rejectsWith(source.load(AbortSignal.abort()), 'ERR_FLAGS_SOURCE', /aborted/);
    await source.close();
    await rejectsWith(source.load(), 'ERR_FLAGS_SOURCE', /closed/);
  });
});

describe('createFileFlagSource: watch', () => {
  it('delivers the current config, then atomic renames and in-place writes', async () => {
    const path = fresh();
    writeFileSync(path, text(true, 'v1'));
    const source = fastWatch(path);
    const rec = record(source);
    await eventually(() => rec.configs().length === 1, { what: 'initial config' });
    writeAtomic(path, text(false, 'v2'));
    await eventually(() => rec.configs().length === 2, { what: 'renamed file' });
    writeFileSync(path, text(true, 'v3'));
    await eventually(() => rec.configs().length === 3, { what: 'in-place write' });
    expect(rec.configs().map((c) => c.version)).toEqual(['v1', 'v2', 'v3']);
    expect(rec.errors()).toEqual([]);
    await source.close();
  });

  it('an identical rewrite is not delivered again', async () => {
    const path = fresh();
    writeFileSync(path, text(true, 'v1'));
    const source = fastWatch(path);
    const rec = record(source);
    await eventually(() => rec.configs().length === 1);
    writeAtomic(path, text(true, 'v1'));
    writeFileSync(path, text(true, 'v1'));
    await tick();
    writeAtomic(path, text(true, 'v2'));
    await eventually(() => rec.configs().length >= 2);
    expect(rec.configs().map((c) => c.version)).toEqual(['v1', 'v2']);
    await source.close();
  });

  it('a malformed write is reported and the watch goes on; the next good write is delivered', async () => {
    const path = fresh();
    writeFileSync(path, text(true, 'v1'));
    const source = fastWatch(path);
    const rec = record(source);
    await eventually(() => rec.configs().length === 1);
    writeAtomic(path, '{"flags": {"broken": ');
    await eventually(() => rec.errors().length === 1, { what: 'error for bad JSON' });
    expect(rec.errors()[0]?.message).toMatch(/not valid JSON/);
    expect((rec.errors()[0] as { code?: string }).code).toBe('ERR_FLAGS_SOURCE');
    writeAtomic(path, '[1, 2, 3]');
    await eventually(() => rec.errors().length === 2, { what: 'error for an array' });
    expect(rec.errors()[1]?.message).toMatch(/got an array/);
    writeAtomic(path, text(false, 'v2'));
    await eventually(() => rec.configs().length === 2, { what: 'good write after errors' });
    expect(rec.configs()[1]?.version).toBe('v2');
    await source.close();
  });

  it('a half-written file is an error, and finishing the write delivers the config', async () => {
    const path = fresh();
    writeFileSync(path, text(true, 'v1'));
    const source = fastWatch(path);
    const rec = record(source);
    await eventually(() => rec.configs().length === 1);
    const full = text(false, 'v2');
    const fd = openSync(path, 'w');
    writeSync(fd, full.slice(0, 40));
    await eventually(() => rec.errors().length >= 1, { what: 'error for the half' });
    writeSync(fd, full.slice(40));
    closeSync(fd);
    await eventually(() => rec.configs().length === 2, { what: 'the whole file' });
    expect(rec.configs()[1]?.version).toBe('v2');
    await source.close();
  });

  it('a deleted file is an error; a recreated one is delivered, even when unchanged', async () => {
    const path = fresh();
    writeFileSync(path, text(true, 'v1'));
    const source = fastWatch(path);
    const rec = record(source);
    await eventually(() => rec.configs().length === 1);
    unlinkSync(path);
    await eventually(() => rec.errors().length === 1, { what: 'error for deletion' });
    expect(rec.errors()[0]?.message).toMatch(/does not exist/);
    writeAtomic(path, text(true, 'v1'));
    await eventually(() => rec.configs().length === 2, { what: 'recreated file' });
    await source.close();
  });

  it('follows a ConfigMap-style symlink swap (the event names another entry of the directory)', async () => {
    const path = fresh();
    const dir = join(path, '..');
    for (const [name, version] of [
      ['..v1', 'v1'],
      ['..v2', 'v2'],
    ] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'flags.json'), text(version === 'v1', version));
    }
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync('..data/flags.json', path);
    const source = fastWatch(path);
    const rec = record(source);
    await eventually(() => rec.configs().length === 1);
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await eventually(() => rec.configs().length === 2, { what: 'swapped config' });
    expect(rec.configs()[1]?.version).toBe('v2');
    await source.close();
  });

  it('polls when the directory cannot be watched (it does not exist yet)', async () => {
    const clock = createManualClock(0);
    const dir = join(root, `later-${++counter}`);
    const path = join(dir, 'flags.json');
    const source = createFileFlagSource({ path, pollIntervalMs: 1000, debounceMs: 0, clock });
    const rec = record(source);
    await eventually(() => rec.errors().length === 1, { what: 'missing at start' });
    mkdirSync(dir);
    writeFileSync(path, text(true, 'v1'));
    await eventually(() => rec.configs().length === 1, {
      step: () => clock.advance(1000),
      what: 'poll pickup',
    });
    expect(rec.errors()).toHaveLength(1); // the unchanged missing file was not reported again
    await source.close();
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('the last unsubscribe stops the watch; a new watcher starts afresh', async () => {
    const path = fresh();
    writeFileSync(path, text(true, 'v1'));
    const source = fastWatch(path);
    const first = record(source);
    const second = record(source);
    await eventually(() => first.configs().length === 1 && second.configs().length === 1);
    first.stop();
    second.stop();
    writeAtomic(path, text(false, 'v2'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(first.updates).toHaveLength(1);
    const third = record(source);
    await eventually(() => third.configs().length === 1);
    expect(third.configs()[0]?.version).toBe('v2');
    await source.close();
    const afterClose = record(source);
    await tick();
    expect(afterClose.updates).toEqual([]);
  });
});
