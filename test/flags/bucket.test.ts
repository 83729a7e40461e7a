/**
 * Bucketing: MurmurHash3 x86_32 against published vectors (SMHasher's verification value, the usual
 * edge-case vectors), the split distribution over 100,000 ids (chi-square, p > 0.001), stickiness when
 * a rollout grows, and the same buckets in another process.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { murmur3, murmur3String } from '../../src/flags/bucket.js';
import { BUCKET_COUNT, bucketOf, type CompiledConfig, compileConfig } from '../../src/flags/index.js';
import { spawnTracked } from '../support/processes.js';
import { configOf } from './fixtures.js';

const bytes = (...b: number[]) => new Uint8Array(b);

describe('murmur3 x86_32', () => {
  it.each([
    [bytes(), 0, 0],
    [bytes(), 1, 0x514e28b7],
    [bytes(), 0xffffffff, 0x81f16f39],
    [bytes(0xff, 0xff, 0xff, 0xff), 0, 0x76293b50],
    [bytes(0x21, 0x43, 0x65, 0x87), 0, 0xf55b516b],
    [bytes(0x21, 0x43, 0x65, 0x87), 0x5082edee, 0x2362f9de],
    [bytes(0x21, 0x43, 0x65), 0, 0x7e4a8634],
    [bytes(0x21, 0x43), 0, 0xa0f7b07a],
    [bytes(0x21), 0, 0x72661cf4],
    [bytes(0, 0, 0, 0), 0, 0x2362f9de],
    [bytes(0, 0, 0), 0, 0x85f0b427],
    [bytes(0, 0), 0, 0x30f4c306],
    [bytes(0), 0, 0x514e28b7],
  ])('bytes %o seed %d', (input, seed, expected) => {
    expect(murmur3(input, input.length, seed)).toBe(expected);
  });

  it.each([
    ['', 0, 0],
    ['test', 0, 0xba6bd213],
    ['Hello, world!', 0, 0xc0363e43],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ['ππππππππ', 0x9747b28c, 0xd58063c1],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['aaa', 0x9747b28c, 0x283e0130],
    ['aa', 0x9747b28c, 0x5d211726],
    ['a', 0x9747b28c, 0x7fa09ea6],
    ['abc', 0, 0xb3dd93fa],
    ['a'.repeat(256), 0x9747b28c, 0x37405bdc],
  ])('string %j seed %d (UTF-8)', (input, seed, expected) => {
    expect(murmur3String(input, seed)).toBe(expected);
  });

  it("matches SMHasher's verification value 0xB0F57EE3", () => {
    // Hash keys {0}, {0,1}, ..., {0..254} with seed 256 - length, concatenate the hashes little-endian,
    // hash that with seed 0: the reference implementation's self-test.
    const key = new Uint8Array(256);
    const hashes = new Uint8Array(1024);
    const view = new DataView(hashes.buffer);
    for (let i = 0; i < 256; i++) {
      key[i] = i;
      view.setUint32(i * 4, murmur3(key, i, 256 - i), true);
    }
    expect(murmur3(hashes)).toBe(0xb0f57ee3);
  });

  it('hashes non-ASCII, lone surrogates and long strings as their UTF-8 encoding', () => {
    const encoder = new TextEncoder();
    for (const text of [
      'ünïcødé',
      '日本語',
      '😀 emoji',
      'lone \ud800 surrogate',
      'x'.repeat(5000) + 'é',
      'é'.repeat(20_000),
    ]) {
      expect(murmur3String(text)).toBe(murmur3(encoder.encode(text)));
    }
  });
});

describe('bucketOf', () => {
  it('is murmur3(utf8(salt + ":" + value)) mod 100,000, pinned', () => {
    expect(bucketOf('new-checkout', 'user-1')).toBe(40631);
    expect(bucketOf('new-checkout', 'user-2')).toBe(10789);
    expect(bucketOf('', '')).toBe(37430);
    expect(bucketOf('exp', 'ünïcødé')).toBe(86727);
    expect(bucketOf('exp', '42')).toBe(murmur3String('exp:42') % BUCKET_COUNT);
  });

  it('stays in 0..99,999', () => {
    for (let i = 0; i < 10_000; i++) {
      const b = bucketOf('range', `u${i}`);
      expect(Number.isInteger(b) && b >= 0 && b < BUCKET_COUNT).toBe(true);
    }
  });
});

/** ln Γ(a) for a positive integer or half-integer (what chi-square degrees of freedom need). */
function lnGamma(a: number): number {
  let value = 0;
  let x = a;
  while (x > 1) {
    x -= 1;
    value += Math.log(x);
  }
  return x === 1 ? value : value + 0.5 * Math.log(Math.PI); // Γ(1) = 1, Γ(1/2) = √π
}

/** P(X ≥ x) for X chi-square with `df` degrees of freedom (the series of the lower incomplete gamma). */
function chiSquareTail(x: number, df: number): number {
  const a = df / 2;
  const h = x / 2;
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 1000 && term > sum * 1e-15; n++) {
    term *= h / (a + n);
    sum += term;
  }
  return 1 - Math.exp(a * Math.log(h) - h - lnGamma(a)) * sum;
}

function chiSquare(observed: readonly number[], expected: readonly number[]): number {
  return observed.reduce((acc, o, i) => acc + (o - expected[i]!) ** 2 / expected[i]!, 0);
}

function rollout(weights: readonly number[], salt?: string): CompiledConfig {
  const variations = Object.fromEntries(weights.map((_, i) => [`v${i}`, i]));
  return compileConfig(
    configOf({
      f: {
        type: 'number',
        variations,
        enabled: true,
        offVariation: 'v0',
        ...(salt === undefined ? {} : { salt }),
        fallthrough: {
          rollout: { variations: weights.map((weight, i) => ({ variation: `v${i}`, weight })) },
        },
      },
    }),
  );
}

const IDS = Array.from({ length: 100_000 }, (_, i) => `user-${i}`);

function counts(compiled: CompiledConfig, shares: number): number[] {
  const out = new Array<number>(shares).fill(0);
  for (const id of IDS) {
    const r = compiled.evaluate('f', { targetingKey: id }, 0);
    if (!('variant' in r) || r.reason !== 'SPLIT') throw new Error('expected a split');
    out[r.value as number]! += 1;
  }
  return out;
}

describe('distribution over 100,000 ids', () => {
  it('the chi-square tail of the test itself is right (df 2 and 9 at p = 0.001)', () => {
    expect(chiSquareTail(-2 * Math.log(0.001), 2)).toBeCloseTo(0.001, 6);
    expect(chiSquareTail(27.877, 9)).toBeCloseTo(0.001, 4);
    expect(chiSquareTail(0, 5)).toBeCloseTo(1, 9);
  });

  it('a 25/25/50 split: p > 0.001', () => {
    const observed = counts(rollout([25_000, 25_000, 50_000]), 3);
    const stat = chiSquare(observed, [25_000, 25_000, 50_000]);
    expect(chiSquareTail(stat, 2)).toBeGreaterThan(0.001);
  });

  it('ten equal shares: p > 0.001', () => {
    const observed = counts(rollout(new Array(10).fill(10_000)), 10);
    const stat = chiSquare(observed, new Array(10).fill(10_000));
    expect(chiSquareTail(stat, 9)).toBeGreaterThan(0.001);
  });

  it('a 0.001 % share gets about 1 in 100,000 (one bucket)', () => {
    const observed = counts(rollout([1, 99_999]), 2);
    expect(observed[0]).toBeLessThan(10);
  });
});

describe('stickiness', () => {
  it('raising on from 10 % to 30 %: every id that had on keeps it', () => {
    const before = rollout([10_000, 90_000], 'sticky');
    const after = rollout([30_000, 70_000], 'sticky');
    const onBefore = IDS.filter((id) => value(before, id) === 0);
    const onAfter = new Set(IDS.filter((id) => value(after, id) === 0));
    expect(onBefore.length).toBeGreaterThan(9_000);
    expect(onBefore.every((id) => onAfter.has(id))).toBe(true);
    expect(onAfter.size).toBeGreaterThan(29_000);
    expect(onAfter.size).toBeLessThan(31_000);
  });

  it('another salt reshuffles: the on sets of two salts overlap about as chance says', () => {
    const a = rollout([50_000, 50_000], 'salt-a');
    const b = rollout([50_000, 50_000], 'salt-b');
    const both = IDS.filter((id) => value(a, id) === 0 && value(b, id) === 0).length;
    expect(both).toBeGreaterThan(24_000);
    expect(both).toBeLessThan(26_000);
  });
});

function value(compiled: CompiledConfig, id: string): unknown {
  const r = compiled.evaluate('f', { targetingKey: id }, 0);
  return 'value' in r ? r.value : undefined;
}

describe('across processes', () => {
  it('a child process computes the same buckets for 1,000 ids', async () => {
    const worker = resolve(import.meta.dirname, 'fixtures/bucket-worker.ts');
    const child = spawnTracked(process.execPath, ['--import', 'tsx', worker, 'cross-process', '1000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      err += d;
    });
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect(err).toBe('');
    expect(code).toBe(0);
    const theirs = JSON.parse(out) as number[];
    const ours = Array.from({ length: 1000 }, (_, i) => bucketOf('cross-process', `id-${i}`));
    expect(theirs).toEqual(ours);
  });
});
