/**
 * The stale-flag report on real configs and a real temporary source tree: each reason, the kinds that
 * are exempt, the scan's skipping rules (node_modules, .git, dist, links, other extensions, large files),
 * a custom pattern, and refused input (a config that does not validate, a missing directory, a malformed
 * usage report, a pattern that matches the empty string).
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlagConfig, type FlagDefinition, staleFlagReport } from '../../src/flags/index.js';
import { booleanFlag } from './evaluator-helpers.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const daysAgo = (days: number) => iso(NOW - days * DAY);

function only(flags: Record<string, FlagDefinition>) {
  return { flags } satisfies FlagConfig;
}

async function reasonsOf(flags: Record<string, FlagDefinition>, extra: Record<string, unknown> = {}) {
  const report = await staleFlagReport({ config: only(flags), nowMs: NOW, ...extra });
  return Object.fromEntries(report.entries.map((e) => [e.flag, e.reasons]));
}

const split = (on: number): FlagDefinition['fallthrough'] => ({
  rollout: {
    variations: [
      { variation: 'on', weight: on },
      { variation: 'off', weight: 100_000 - on },
    ],
  },
});

describe('fully on, fully off', () => {
  it('lists flags serving one variation for fullRolloutDays, by updatedAt', async () => {
    const report = await staleFlagReport({
      config: only({
        old: booleanFlag(true, { updatedAt: daysAgo(40) }),
        recent: booleanFlag(true, { updatedAt: daysAgo(10) }),
        undated: booleanFlag(true),
        disabled: booleanFlag(true, { enabled: false, updatedAt: daysAgo(31) }),
        servesFalse: booleanFlag(false, { updatedAt: daysAgo(31) }),
      }),
      nowMs: NOW,
    });
    expect(report.flags).toBe(5);
    expect(report.entries).toEqual([
      {
        flag: 'disabled',
        kind: undefined,
        reasons: ['fully-off'],
        servedVariation: 'off',
        changedAtMs: NOW - 31 * DAY,
      },
      {
        flag: 'old',
        kind: undefined,
        reasons: ['fully-on'],
        servedVariation: 'on',
        changedAtMs: NOW - 40 * DAY,
      },
      {
        flag: 'servesFalse',
        kind: undefined,
        reasons: ['fully-off'],
        servedVariation: 'off',
        changedAtMs: NOW - 31 * DAY,
      },
      { flag: 'undated', kind: undefined, reasons: ['fully-on'], servedVariation: 'on' },
    ]);
  });

  it('a rollout at 100 % of one variation is fully on; a real split is not', async () => {
    expect(
      await reasonsOf({
        full: booleanFlag(true, { fallthrough: split(100_000) }),
        half: booleanFlag(true, { fallthrough: split(50_000) }),
        none: booleanFlag(true, { fallthrough: split(0) }),
      }),
    ).toEqual({ full: ['fully-on'], none: ['fully-off'] });
  });

  it('rules and targets count: all serving the same variation is still one variation', async () => {
    const rule = (variation: string) => ({
      id: `r-${variation}`,
      clauses: [{ attribute: 'plan', op: 'eq' as const, values: ['pro'] }],
      serve: { variation },
    });
    expect(
      await reasonsOf({
        sameRule: booleanFlag(true, { rules: [rule('on')] }),
        otherRule: booleanFlag(true, { rules: [rule('off')] }),
        otherTarget: booleanFlag(true, { targets: [{ variation: 'off', values: ['u1'] }] }),
        emptyTarget: booleanFlag(true, { targets: [{ variation: 'off', values: [] }] }),
        prereq: booleanFlag(true, { prerequisites: [{ flag: 'sameRule', variation: 'on' }] }),
      }),
    ).toEqual({ sameRule: ['fully-on'], emptyTarget: ['fully-on'] });
  });

  it('a string flag with one served value is fully on', async () => {
    const flag: FlagDefinition = {
      type: 'string',
      variations: { a: 'x', b: 'y' },
      enabled: true,
      offVariation: 'b',
      fallthrough: { variation: 'a' },
    };
    expect(await reasonsOf({ theme: flag })).toEqual({ theme: ['fully-on'] });
  });

  it('scheduled changes: one still to come keeps a flag off the list; one that took effect dates it', async () => {
    const report = await staleFlagReport({
      config: only({
        upcoming: booleanFlag(true, { schedule: [{ at: iso(NOW + DAY), enabled: false }] }),
        switchedOff: booleanFlag(true, {
          updatedAt: daysAgo(90),
          schedule: [{ at: daysAgo(45), enabled: false }],
        }),
        switchedRecently: booleanFlag(true, {
          updatedAt: daysAgo(90),
          schedule: [{ at: daysAgo(5), fallthrough: { variation: 'off' } }],
        }),
      }),
      nowMs: NOW,
    });
    expect(report.entries).toEqual([
      {
        flag: 'switchedOff',
        kind: undefined,
        reasons: ['fully-off'],
        servedVariation: 'off',
        changedAtMs: NOW - 45 * DAY,
      },
    ]);
  });

  it('kill switches and permissions are exempt from fully-on/off and not-evaluated, not from expired', async () => {
    const usage = { sinceMs: NOW - 100 * DAY, flags: {} };
    expect(
      await reasonsOf(
        {
          kill: booleanFlag(true, { kind: 'kill-switch', updatedAt: daysAgo(400) }),
          perm: booleanFlag(false, { kind: 'permission', expiresAt: daysAgo(1) }),
          release: booleanFlag(true, { kind: 'release', updatedAt: daysAgo(400) }),
        },
        { usage },
      ),
    ).toEqual({ perm: ['expired'], release: ['fully-on', 'not-evaluated'] });
  });

  it('fullRolloutDays 0 lists every flag serving one variation', async () => {
    expect(
      await reasonsOf({ today: booleanFlag(true, { updatedAt: iso(NOW) }) }, { fullRolloutDays: 0 }),
    ).toEqual({ today: ['fully-on'] });
  });
});

describe('not evaluated, expired', () => {
  const flags = {
    quiet: booleanFlag(true, { fallthrough: split(50_000) }),
    busy: booleanFlag(true, { fallthrough: split(50_000) }),
    never: booleanFlag(true, { fallthrough: split(50_000) }),
  };
  const record = (atMs: number) => ({ evaluations: 3, lastEvaluatedAtMs: atMs, variants: {} });

  it('uses the last evaluation, or the start of the usage window for a flag never evaluated', async () => {
    const usage = {
      sinceMs: NOW - 60 * DAY,
      flags: { quiet: record(NOW - 31 * DAY), busy: record(NOW - DAY) },
    };
    const report = await staleFlagReport({ config: only(flags), usage, nowMs: NOW });
    expect(report.entries.map((e) => [e.flag, e.reasons, e.lastEvaluatedAtMs])).toEqual([
      ['never', ['not-evaluated'], undefined],
      ['quiet', ['not-evaluated'], NOW - 31 * DAY],
    ]);
  });

  it('a usage window shorter than unusedDays lists nothing never evaluated', async () => {
    const usage = { sinceMs: NOW - DAY, flags: {} };
    expect(await reasonsOf(flags, { usage })).toEqual({});
  });

  it('expired: expiresAt at or before now', async () => {
    expect(
      await reasonsOf({
        past: booleanFlag(true, { fallthrough: split(1), expiresAt: '2026-05-01' }),
        exact: booleanFlag(true, { fallthrough: split(1), expiresAt: iso(NOW) }),
        future: booleanFlag(true, { fallthrough: split(1), expiresAt: '2027-01-01' }),
      }),
    ).toEqual({ past: ['expired'], exact: ['expired'] });
  });
});

describe('unreferenced: the source-tree scan', () => {
  let root: string;
  let outside: string;
  const varied = { fallthrough: split(50_000) };
  const FLAGS = {
    checkout: booleanFlag(true, varied),
    'new-ui': booleanFlag(true, varied),
    'beta.search': booleanFlag(true, varied),
    vendored: booleanFlag(true, varied),
    built: booleanFlag(true, varied),
    documented: booleanFlag(true, varied),
    huge: booleanFlag(true, varied),
    linked: booleanFlag(true, varied),
    dead: booleanFlag(true, varied),
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'flags-stale-'));
    outside = await mkdtemp(join(tmpdir(), 'flags-outside-'));
    await mkdir(join(root, 'src/deep/er'), { recursive: true });
    await mkdir(join(root, 'node_modules/pkg'), { recursive: true });
    await mkdir(join(root, 'dist'), { recursive: true });
    await mkdir(join(root, '.git'), { recursive: true });
    await writeFile(
      join(root, 'src/a.ts'),
      "if (flags.boolean('checkout', ctx, false)) {}\nconst x = 'new-checkout';\n",
    );
    await writeFile(join(root, 'src/deep/er/b.tsx'), 'useFlag("new-ui"); useFlag(`beta.search`);');
    await writeFile(join(root, 'node_modules/pkg/index.js'), "'vendored'");
    await writeFile(join(root, 'dist/index.js'), "'built'");
    await writeFile(join(root, '.git/x.js'), "'dead'");
    await writeFile(join(root, 'src/README.md'), "'documented'");
    await writeFile(join(root, 'src/big.ts'), `'huge'\n${'/'.repeat(2_000)}`);
    await writeFile(join(outside, 'c.ts'), "'linked'");
    await symlink(outside, join(root, 'src/link'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('finds string literal references; skips node_modules, .git, dist, links, other extensions, large files', async () => {
    const report = await staleFlagReport({
      config: only(FLAGS),
      nowMs: NOW,
      scan: { dir: root, maxFileBytes: 1_000 },
    });
    expect(report.entries.map((e) => e.flag)).toEqual([
      'built',
      'dead',
      'documented',
      'huge',
      'linked',
      'vendored',
    ]);
    expect(report.entries.every((e) => e.reasons.join() === 'unreferenced')).toBe(true);
    expect(report.scan).toEqual({ files: 2, skipped: 1, truncated: false });
  });

  it('extensions widen the scan', async () => {
    const report = await staleFlagReport({
      config: only(FLAGS),
      nowMs: NOW,
      scan: { dir: root, extensions: ['.ts', '.md'] },
    });
    expect(report.entries.map((e) => e.flag)).not.toContain('documented');
    expect(report.entries.map((e) => e.flag)).toContain('new-ui'); // .tsx not scanned now
  });

  it('a custom pattern names the key by its first group (a non-global pattern is fine)', async () => {
    const report = await staleFlagReport({
      config: only(FLAGS),
      nowMs: NOW,
      scan: { dir: root, pattern: /useFlag\(["`]([^"`]+)["`]\)/ },
    });
    const listed = report.entries.map((e) => e.flag);
    expect(listed).not.toContain('new-ui');
    expect(listed).not.toContain('beta.search');
    expect(listed).toContain('checkout'); // referenced, but not through useFlag
  });

  it('a pattern that can match the empty string still terminates', async () => {
    const report = await staleFlagReport({
      config: only(FLAGS),
      nowMs: NOW,
      scan: { dir: root, pattern: /x*/g },
    });
    expect(report.entries).toHaveLength(9);
  });

  it('maxFiles stops the walk and says so', async () => {
    const report = await staleFlagReport({
      config: only(FLAGS),
      nowMs: NOW,
      scan: { dir: root, maxFiles: 1 },
    });
    expect(report.scan).toMatchObject({ truncated: true, files: 1 });
  });

  it('a directory that does not exist is ERR_INVALID_OPTION', async () => {
    await expect(
      staleFlagReport({ config: only(FLAGS), nowMs: NOW, scan: { dir: join(root, 'nope') } }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/scan.dir/) });
  });
});

describe('refused input', () => {
  it.each([
    ['no config', { nowMs: NOW }, 'ERR_INVALID_OPTION'],
    [
      'a config that does not validate',
      { config: { flags: { x: { type: 'boolean' } } }, nowMs: NOW },
      'ERR_FLAGS_INVALID_CONFIG',
    ],
    [
      'a __proto__ flag key',
      { config: JSON.parse('{"flags":{"__proto__":{}}}'), nowMs: NOW },
      'ERR_FLAGS_INVALID_CONFIG',
    ],
    ['no nowMs', { config: { flags: {} } }, 'ERR_INVALID_OPTION'],
    ['a malformed usage', { config: { flags: {} }, nowMs: NOW, usage: { flags: [] } }, 'ERR_INVALID_OPTION'],
    ['negative days', { config: { flags: {} }, nowMs: NOW, unusedDays: -1 }, 'ERR_INVALID_OPTION'],
    [
      'a pattern that is a string',
      { config: { flags: {} }, nowMs: NOW, scan: { dir: '.', pattern: 'x' } },
      'ERR_INVALID_OPTION',
    ],
    ['an unknown option', { config: { flags: {} }, nowMs: NOW, scna: {} }, 'ERR_INVALID_OPTION'],
  ])('%s is %s', async (_, options, code) => {
    await expect(staleFlagReport(options as never)).rejects.toMatchObject({ code });
  });
});
