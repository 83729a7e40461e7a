/**
 * The file snapshot store: atomic writes (temporary file, fsync, rename; nothing left behind, the old
 * snapshot kept when a write fails), reads that never throw, and corrupt snapshots of every kind read as
 * undefined with the reason.
 */
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import { createFileSnapshotStore, type FlagConfig } from '../../src/flags/index.js';
import { sampleConfig, served } from './source-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'bp-flags-snap-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = () => {
  const dir = join(root, `case-${++counter}`);
  mkdirSync(dir);
  return dir;
};

describe('createFileSnapshotStore', () => {
  it('writes atomically and reads back what it wrote', async () => {
    const dir = freshDir();
    const path = join(dir, 'flags.snapshot');
    const store = createFileSnapshotStore({ path, clock: createManualClock(1_700_000_000_000) });
    expect(store.kind).toBe('file');
    await store.write(sampleConfig(true, 'v1'));
    expect(readdirSync(dir)).toEqual(['flags.snapshot']); // no temporary file left
    const [header, body] = readFileSync(path, 'utf8').split('\n');
    expect(JSON.parse(header ?? '')).toMatchObject({
      format: 'backend-patterns/flags-snapshot',
      formatVersion: 1,
      savedAtMs: 1_700_000_000_000,
    });
    expect(JSON.parse(body ?? '')).toEqual(sampleConfig(true, 'v1'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await store.read())?.version).toBe('v1');
    expect(store.lastReadError()).toBeUndefined();
    await store.write(sampleConfig(false, 'v2'));
    expect(served(await store.read())).toBe('off');
  });

  it('a missing snapshot reads as undefined without a reason', async () => {
    const store = createFileSnapshotStore({ path: join(freshDir(), 'none') });
    expect(await store.read()).toBeUndefined();
    expect(store.lastReadError()).toBeUndefined();
  });

  it('concurrent writes run one at a time and the last one wins', async () => {
    const dir = freshDir();
    const store = createFileSnapshotStore({ path: join(dir, 's') });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.write(sampleConfig(i % 2 === 0, `v${i}`))));
    expect((await store.read())?.version).toBe('v19');
    expect(readdirSync(dir)).toEqual(['s']);
  });

  it('two stores on one path (two processes) never leave a torn snapshot', async () => {
    const path = join(freshDir(), 's');
    const a = createFileSnapshotStore({ path });
    const b = createFileSnapshotStore({ path });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).write(sampleConfig(true, `v${i}`))),
    );
    expect((await a.read())?.version).toMatch(/^v\d$/);
    expect(a.lastReadError()).toBeUndefined();
  });

  it('corrupt snapshots read as undefined, with the reason, and never throw', async () => {
    const good = () => {
      const path = join(freshDir(), 's');
      return { path, store: createFileSnapshotStore({ path }) };
    };
    const { path: goodPath, store: goodStore } = good();
    await goodStore.write(sampleConfig(true, 'v1'));
    const valid = readFileSync(goodPath);
    const [headerLine, bodyText] = valid.toString('utf8').split('\n') as [string, string];
    const header = JSON.parse(headerLine);
    const cases: [string, string | Uint8Array, RegExp][] = [
      ['empty', '', /no header line/],
      ['truncated', valid.subarray(0, valid.length - 10), /truncated/],
      ['extended', Buffer.concat([valid, Buffer.from('  ')]), /the header says/],
      ['edited', `${headerLine}\n${bodyText.replace('"on"', '"of"')}`, /checksum does not match/],
      ['a plain config', JSON.stringify(sampleConfig(true)), /no header line/],
      ['plain config with newline', `${JSON.stringify(sampleConfig(true))}\n{}`, /not a flags snapshot/],
      ['header not JSON', `garbage\n${bodyText}`, /header line is not JSON/],
      ['header an array', `[]\n${bodyText}`, /not a flags snapshot/],
      [
        'future format',
        `${JSON.stringify({ ...header, formatVersion: 2 })}\n${bodyText}`,
        /unknown snapshot format version/,
      ],
      [
        'no checksum',
        `${JSON.stringify({ ...header, sha256: undefined })}\n${bodyText}`,
        /lacks `bytes` or `sha256`/,
      ],
      [
        'binary',
        Uint8Array.from([0, 1, 2, 0xff, 0x0a, 0xfe]),
        /header line is not JSON|not a flags snapshot/,
      ],
      ['long first line', 'x'.repeat(5000), /no header line/],
    ];
    const body = (text: string) => {
      const bytes = Buffer.from(text);
      const sha = createHash('sha256').update(bytes).digest('hex');
      return `${JSON.stringify({ ...header, bytes: bytes.length, sha256: sha })}\n${text}`;
    };
    cases.push(['checksummed non-JSON', body('{"flags": '), /not valid JSON/]);
    cases.push(['checksummed array', body('[1]'), /got an array/]);
    for (const [name, content, reason] of cases) {
      const { path, store } = good();
      writeFileSync(path, content);
      expect(await store.read(), name).toBeUndefined();
      expect(store.lastReadError()?.message, name).toMatch(reason);
      expect((store.lastReadError() as { code?: string }).code).toBe('ERR_FLAGS_SOURCE');
    }
  });

  it('a directory, a symlink loop or an oversized file at the path reads as undefined with the reason', async () => {
    const dirPath = join(freshDir(), 's');
    mkdirSync(dirPath);
    const atDir = createFileSnapshotStore({ path: dirPath });
    expect(await atDir.read()).toBeUndefined();
    expect(atDir.lastReadError()?.message).toMatch(/is a directory/);
    const loop = join(freshDir(), 'loop');
    symlinkSync(`${loop}.b`, loop);
    symlinkSync(loop, `${loop}.b`);
    const looped = createFileSnapshotStore({ path: loop });
    expect(await looped.read()).toBeUndefined();
    expect(looped.lastReadError()?.message).toMatch(/symbolic links/);
    const big = join(freshDir(), 'big');
    writeFileSync(big, 'x'.repeat(3000));
    const capped = createFileSnapshotStore({ path: big, maxBytes: 100 });
    expect(await capped.read()).toBeUndefined();
    expect(capped.lastReadError()?.message).toMatch(/over the \d+-byte cap/);
  });

  it('a good read after a bad one clears the reason', async () => {
    const path = join(freshDir(), 's');
    const store = createFileSnapshotStore({ path });
    writeFileSync(path, 'junk');
    await store.read();
    expect(store.lastReadError()).toBeDefined();
    await store.write(sampleConfig(true));
    expect(await store.read()).toBeDefined();
    expect(store.lastReadError()).toBeUndefined();
  });

  it('a leftover temporary file from a crashed write does not disturb reads or writes', async () => {
    const dir = freshDir();
    const path = join(dir, 's');
    const store = createFileSnapshotStore({ path });
    await store.write(sampleConfig(true, 'v1'));
    writeFileSync(join(dir, '.s.deadbeef0000.tmp'), 'half a snap');
    expect((await store.read())?.version).toBe('v1');
    await store.write(sampleConfig(true, 'v2'));
    expect((await store.read())?.version).toBe('v2');
  });

  it('a failed write rejects with a FlagSourceError, leaves no temporary file and keeps the old snapshot', async () => {
    const missing = createFileSnapshotStore({ path: join(root, 'no-such-dir', 's') });
    await expect(missing.write(sampleConfig(true))).rejects.toMatchObject({
      code: 'ERR_FLAGS_SOURCE',
      message: expect.stringMatching(/cannot be written \(its directory does not exist\)/),
    });
    const dir = freshDir();
    const target = join(dir, 's');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'x'); // a non-empty directory cannot be renamed over
    const atDir = createFileSnapshotStore({ path: target });
    await expect(atDir.write(sampleConfig(true))).rejects.toMatchObject({ code: 'ERR_FLAGS_SOURCE' });
    expect(readdirSync(dir)).toEqual(['s']);
  });

  it('refuses hostile configs with InvalidArgumentError, writing nothing', async () => {
    const dir = freshDir();
    const path = join(dir, 's');
    const store = createFileSnapshotStore({ path, maxBytes: 1000 });
    await store.write(sampleConfig(true, 'kept'));
    const cyclic: Record<string, unknown> = { flags: {} };
    cyclic.self = cyclic;
    const hostile: unknown[] = [
      null,
      undefined,
      [],
      'x',
      {},
      { flags: [] },
      { flags: { n: 1n } },
      cyclic,
      { flags: { big: 'x'.repeat(2000) } },
    ];
    for (const config of hostile) {
      await expect(store.write(config as FlagConfig)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
    expect((await store.read())?.version).toBe('kept');
    expect(readdirSync(dir)).toEqual(['s']);
  });

  it('rejects bad options at construction', () => {
    for (const options of [
      undefined,
      {},
      { path: '' },
      { path: 'a\0b' },
      { path: 'x', maxBytes: 0 },
      { path: 'x', dir: '/tmp' },
    ]) {
      expect(() => createFileSnapshotStore(options as { path: string })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });
});
