/**
 * Regressions from an adversarial review of the flags module: shapes that passed the checks and cost
 * seconds per evaluation, and reports that told the wrong story. Costs are counted (attribute reads),
 * never timed.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  compileConfig,
  createFlagEvaluator,
  createHttpFlagSource,
  type FlagConfig,
  type FlagSource,
  staleFlagReport,
  validateConfig,
} from '../../src/flags/index.js';

const flag = (extra: object) => ({
  type: 'boolean',
  variations: { on: true, off: false },
  enabled: true,
  offVariation: 'off',
  fallthrough: { variation: 'off' },
  ...extra,
});

describe('regular expressions: separate ambiguous pairs multiply, and are refused', () => {
  for (const pattern of [
    '^a*a*b*b*$',
    '^\\d*\\d*x*x*$',
    '^\\w*\\w*-\\w*\\w*$',
    '^a*a*b*b*c*c*$',
    '^[a-z]*[a-z]*@[a-z]*[a-z]*\\.[a-z]*[a-z]*$',
  ]) {
    it(`refuses ${pattern}`, () => {
      const config = {
        flags: {
          f: flag({
            rules: [
              {
                id: 'r',
                clauses: [{ attribute: 'x', op: 'matches', values: [pattern] }],
                serve: { variation: 'on' },
              },
            ],
          }),
        },
      };
      expect(() => validateConfig(config)).toThrow(
        expect.objectContaining({ code: 'ERR_FLAGS_INVALID_CONFIG' }),
      );
    });
  }

  it('still accepts one ambiguous pair and ordinary patterns', () => {
    for (const pattern of ['^a*a*$', '^[a-z]+@[a-z]+\\.com$', '^user-[0-9]{1,6}$']) {
      const config = {
        flags: {
          f: flag({
            rules: [
              {
                id: 'r',
                clauses: [{ attribute: 'x', op: 'matches', values: [pattern] }],
                serve: { variation: 'on' },
              },
            ],
          }),
        },
      };
      expect(() => validateConfig(config), pattern).not.toThrow();
    }
  });
});

describe('segments are decided once per evaluation', () => {
  it('a fan-out chain of segments named by 100 negated clauses reads the leaf attribute a bounded number of times', () => {
    const depth = 15;
    const segments: Record<string, object> = {};
    for (let i = 0; i < depth; i++) {
      const next = { attribute: 'x', op: 'inSegment', values: [`s${i + 1}`] };
      segments[`s${i}`] = { rules: [[next], [next]] };
    }
    segments[`s${depth}`] = { rules: [[{ attribute: 'leaf', op: 'eq', values: ['never'] }]] };
    const clauses = Array.from({ length: 100 }, () => ({
      attribute: 'x',
      op: 'inSegment',
      values: ['s0'],
      negate: true,
    }));
    const compiled = compileConfig({
      flags: { f: flag({ rules: [{ id: 'r', clauses, serve: { variation: 'on' } }] }) },
      segments,
    } as unknown as FlagConfig);
    let reads = 0;
    const context = {
      targetingKey: 'u',
      get leaf() {
        reads++;
        return 'nope';
      },
    };
    const result = compiled.evaluate('f', context, 0);
    expect(result).toMatchObject({ variant: 'on' });
    // Without the per-evaluation memo: 2^15 leaf reads per clause, 100 clauses (3.3 M).
    expect(reads).toBeLessThanOrEqual(2);
    reads = 0;
    compiled.evaluate('f', context, 0);
    expect(reads).toBeLessThanOrEqual(2); // a new evaluation decides again (no stale memo)
  });

  it("an evaluation re-entered from a context getter does not read the outer one's segment answers", () => {
    const compiled = compileConfig({
      flags: {
        outer: flag({
          rules: [
            {
              id: 'r',
              clauses: [{ attribute: 'x', op: 'inSegment', values: ['pro'] }],
              serve: { variation: 'on' },
            },
          ],
        }),
        inner: flag({
          rules: [
            {
              id: 'r',
              clauses: [{ attribute: 'x', op: 'inSegment', values: ['pro'] }],
              serve: { variation: 'on' },
            },
          ],
        }),
      },
      segments: { pro: { rules: [[{ attribute: 'plan', op: 'eq', values: ['pro'] }]] } },
    } as unknown as FlagConfig);
    const outerContext = {
      targetingKey: 'a',
      get plan() {
        compiled.evaluate('inner', { targetingKey: 'b', plan: 'pro' }, 0);
        return 'free';
      },
    };
    expect(compiled.evaluate('outer', outerContext, 0)).toMatchObject({ variant: 'off' });
  });
});

describe('context arrays are bounded', () => {
  it('looks at the first 100 elements only', () => {
    const compiled = compileConfig({
      flags: {
        f: flag({
          rules: [
            {
              id: 'r',
              clauses: [{ attribute: 'tags', op: 'eq', values: ['vip'] }],
              serve: { variation: 'on' },
            },
          ],
        }),
      },
    } as unknown as FlagConfig);
    const tags = Array.from({ length: 10_000 }, () => 'x');
    tags[50] = 'vip';
    expect(compiled.evaluate('f', { targetingKey: 'u', tags }, 0)).toMatchObject({ variant: 'on' });
    tags[50] = 'x';
    tags[5_000] = 'vip';
    expect(compiled.evaluate('f', { targetingKey: 'u', tags }, 0)).toMatchObject({ variant: 'off' });
  });
});

describe('stale report: off is the off variation', () => {
  it('an enabled flag serving only its off variation is fully-off, whatever its type and value', async () => {
    const old = '2020-01-01T00:00:00Z';
    const config = {
      flags: {
        text: {
          type: 'string',
          variations: { a: 'a', b: 'b' },
          enabled: true,
          offVariation: 'a',
          fallthrough: { variation: 'a' },
          updatedAt: old,
        },
        inverted: {
          type: 'boolean',
          variations: { yes: true, no: false },
          enabled: true,
          offVariation: 'yes',
          fallthrough: { variation: 'yes' },
          updatedAt: old,
        },
        shipped: {
          type: 'boolean',
          variations: { on: true, off: false },
          enabled: true,
          offVariation: 'off',
          fallthrough: { variation: 'on' },
          updatedAt: old,
        },
      },
    } as unknown as FlagConfig;
    const report = await staleFlagReport({ config, nowMs: Date.parse('2026-01-01T00:00:00Z') });
    const reasons = Object.fromEntries(report.entries.map((e) => [e.flag, e.reasons]));
    expect(reasons.text).toContain('fully-off');
    expect(reasons.inverted).toContain('fully-off');
    expect(reasons.shipped).toContain('fully-on');
  });
});

describe('a load overtaken by a watch update is dropped', () => {
  it('the watch delivered v2 while the first load was still reading v1: v2 stays', async () => {
    const v = (version: string): FlagConfig => ({
      version,
      flags: { f: flag({}) as FlagConfig['flags'][string] },
    });
    let listener: ((u: { config: FlagConfig }) => void) | undefined;
    let finishLoad: ((c: FlagConfig) => void) | undefined;
    const source: FlagSource = {
      kind: 'race',
      load: () => new Promise<FlagConfig>((resolve) => (finishLoad = resolve)),
      watch(l) {
        listener = l as (u: { config: FlagConfig }) => void;
        return () => {};
      },
    };
    const flags = createFlagEvaluator({ source, initTimeoutMs: 1000 });
    try {
      await new Promise((r) => setTimeout(r, 10));
      listener?.({ config: v('v2') });
      finishLoad?.(v('v1'));
      await flags.ready();
      await new Promise((r) => setTimeout(r, 10));
      expect(flags.status()).toMatchObject({ layer: 'live', version: 'v2' });
    } finally {
      await flags.close();
    }
  });
});

describe('a long ETag cannot make the HTTP config invalid', () => {
  it('an ETag of 1,000 characters becomes a short version, and the config is live', async () => {
    const body = JSON.stringify({ flags: { f: flag({}) } });
    const etag = `"${'e'.repeat(1000)}"`;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', etag });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const source = createHttpFlagSource({ url: `http://127.0.0.1:${port}/flags` });
    const flags = createFlagEvaluator({ source });
    try {
      const status = await flags.ready();
      expect(status.layer).toBe('live');
      expect(status.version?.length).toBeLessThanOrEqual(128);
    } finally {
      await flags.close();
      await source.close?.();
      await new Promise((r) => server.close(r));
    }
  });
});
