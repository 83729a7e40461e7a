/**
 * The cursor codec on its own: round trips, key rotation, expiry, mismatch, and every way a cursor can
 * be wrong (each with its `reason`), then fast-check fuzzing: random strings and mutations of real
 * cursors (bit flips, truncation, re-signing with another key, swapped payloads) end in a value or one of
 * our typed errors, never another exception.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import {
  type CursorTermType,
  canonicalJson,
  createCursorCodec,
  MAX_CURSOR_LENGTH,
  queryHash,
} from '../../src/search/cursor.js';
import { SearchInputError } from '../../src/search/errors.js';
import type { SortTerm } from '../../src/search/types.js';

const key1 = { id: 'k1', secret: Buffer.from('0123456789abcdef0123456789abcdef') };
const key2 = { id: 'k2', secret: Buffer.from('fedcba9876543210fedcba9876543210') };
const sort: SortTerm[] = [
  { field: 'createdAt', direction: 'desc', nulls: 'last' },
  { field: 'price', direction: 'asc', nulls: 'last' },
  { field: 'id', direction: 'desc', nulls: 'last' },
];
const types: CursorTermType[] = [
  { type: 'timestamp', nullable: false },
  { type: 'number', nullable: true },
  { type: 'integer', nullable: false },
];
const q = queryHash(sort, [], undefined, 'default');
const values = ['2026-01-01T00:00:00.123456Z', null, 42];

function codec(keys = [key1], ttlMs?: number) {
  const clock = createManualClock(1_000_000);
  return { clock, codec: createCursorCodec({ keys, ttlMs, clock }) };
}

const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    const e = error as { code?: string; reason?: string };
    return e.reason ?? e.code;
  }
  return 'ok';
};

/** Re-signs a payload JSON with `secret`, as a forger who knows the format would. */
function forge(payloadJson: string, secret: Buffer = key1.secret): string {
  const payload = Buffer.from(payloadJson).toString('base64url');
  const sig = createHmac('sha256', secret).update(`v1.${payload}`).digest('base64url');
  return `v1.${payload}.${sig}`;
}

describe('cursor codec', () => {
  it('round-trips values at full precision', () => {
    const { codec: c } = codec();
    const cursor = c.encode({ s: values, d: 'a', q, n: 5 });
    expect(cursor).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const payload = c.decode(cursor, 'after', q, types);
    expect(payload.s).toEqual(values);
    expect(payload).toMatchObject({ k: 'k1', d: 'a', n: 5, t: 1_000_000 });
  });

  it('rotates keys: signs with the first, verifies with any listed; a dropped key is refused', () => {
    const old = codec([key1]).codec.encode({ s: values, d: 'a', q, n: 0 });
    const rotated = codec([key2, key1]).codec;
    expect(rotated.decode(old, 'after', q, types).k).toBe('k1');
    expect(rotated.decode(rotated.encode({ s: values, d: 'a', q, n: 0 }), 'after', q, types).k).toBe('k2');
    expect(reasonOf(() => codec([key2]).codec.decode(old, 'after', q, types))).toBe('key');
  });

  it('expires with the ttl, including cursors issued before a ttl was configured', () => {
    const { clock, codec: c } = codec([key1], 60_000);
    const cursor = c.encode({ s: values, d: 'a', q, n: 0 });
    clock.advance(59_999);
    expect(reasonOf(() => c.decode(cursor, 'after', q, types))).toBe('ok');
    clock.advance(1);
    expect(reasonOf(() => c.decode(cursor, 'after', q, types))).toBe('ERR_SEARCH_CURSOR_EXPIRED');
    const eternal = codec([key1]).codec.encode({ s: values, d: 'a', q, n: 0 });
    expect(reasonOf(() => c.decode(eternal, 'after', q, types))).toBe('ERR_SEARCH_CURSOR_EXPIRED');
  });

  it('refuses a cursor of another query', () => {
    const { codec: c } = codec();
    const cursor = c.encode({ s: values, d: 'a', q, n: 0 });
    const other = queryHash(sort, [{ field: 'status', op: 'eq', value: 'open' }], undefined, 'default');
    expect(reasonOf(() => c.decode(cursor, 'after', other, types))).toBe('ERR_SEARCH_CURSOR_MISMATCH');
  });

  it('hashes queries canonically', () => {
    expect(canonicalJson({ b: 1, a: [-0, 'x', null], c: undefined })).toBe('{"a":[0,"x",null],"b":1}');
    expect(queryHash(sort, [], 'lamp', 'default')).not.toBe(queryHash(sort, [], undefined, 'default'));
    expect(queryHash(sort, [], undefined, 'default')).toBe(q);
    expect(queryHash(sort, [], undefined, 'other-list')).not.toBe(q);
    expect(q).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('names the reason of every kind of bad cursor', () => {
    const { codec: c } = codec();
    const good = c.encode({ s: values, d: 'a', q, n: 0 });
    const [, payload = '', sig = ''] = good.split('.');
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const cases: [unknown, string][] = [
      ['', 'malformed'],
      [42, 'malformed'],
      [null, 'malformed'],
      ['x'.repeat(MAX_CURSOR_LENGTH + 1), 'malformed'],
      ['v1.abc', 'malformed'],
      [`v2.${payload}.${sig}`, 'version'],
      [`V1.${payload}.${sig}`, 'malformed'],
      [`v1.${payload}.${sig}.x`, 'malformed'],
      [`v1.${payload}.${sig.slice(0, -1)}`, 'malformed'],
      [`v1.${payload}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`, 'signature'],
      [`v1.${payload}=.${sig}`, 'malformed'],
      [`v1.${payload}.${'A'.repeat(43)}`, 'signature'],
      [forge('[1,2]'), 'malformed'],
      [forge('not json'), 'malformed'],
      [forge(JSON.stringify({ ...body, k: 'nope' })), 'key'],
      [forge(JSON.stringify(body), key2.secret), 'signature'],
      [forge(JSON.stringify({ ...body, s: values.slice(0, 2) })), 'values'],
      [forge(JSON.stringify({ ...body, s: [...values, 1] })), 'values'],
      [forge(JSON.stringify({ ...body, s: ['2026-01-01T00:00:00.123Z', null, 42] })), 'values'],
      [forge(JSON.stringify({ ...body, s: ['2026-01-01T00:00:00.123456Z', 'x', 42] })), 'values'],
      [forge(JSON.stringify({ ...body, s: ['2026-01-01T00:00:00.123456Z', null, 1.5] })), 'values'],
      [forge(JSON.stringify({ ...body, s: ['2026-01-01T00:00:00.123456Z', null, null] })), 'values'],
      [forge(JSON.stringify({ ...body, s: ['2026-01-01T00:00:00.123456Z', { a: 1 }, 42] })), 'values'],
      [forge(JSON.stringify({ ...body, s: ['2026-01-01T00:00:00.123456Z', [1], 42] })), 'values'],
      [forge(JSON.stringify({ ...body, s: ['2026-01-01T00:00:00.123456Z', null, 2 ** 53] })), 'values'],
      [forge(JSON.stringify({ ...body, s: 'nope' })), 'values'],
      [forge(JSON.stringify({ ...body, d: 'x' })), 'values'],
      [forge(JSON.stringify({ ...body, n: -1 })), 'values'],
      [forge(JSON.stringify({ ...body, t: '1' })), 'values'],
      [forge(JSON.stringify({ ...body, q: 'short' })), 'values'],
      [forge(JSON.stringify({ ...body, extra: 1 })), 'values'],
      [forge(`{"__proto__":{"polluted":1},${JSON.stringify(body).slice(1)}`), 'values'],
    ];
    for (const [cursor, reason] of cases)
      expect([cursor, reasonOf(() => c.decode(cursor, 'after', q, types))]).toEqual([cursor, reason]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never echoes the cursor in its errors', () => {
    const { codec: c } = codec();
    const secret = `v1.${Buffer.from('{"k":"k1","password":"hunter2"}').toString('base64url')}.${'A'.repeat(43)}`;
    try {
      c.decode(secret, 'after', q, types);
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
      expect((error as Error).message).not.toContain(secret);
      expect((error as SearchInputError).parameter).toBe('after');
    }
  });
});

describe('cursor decoding under fuzzing', () => {
  const { codec: c } = codec([key1, key2]);
  const good = c.encode({ s: values, d: 'a', q, n: 3 });
  const decode = (cursor: unknown) => {
    try {
      c.decode(cursor, 'after', q, types);
      return 'ok';
    } catch (error) {
      if (error instanceof SearchInputError) return error.code;
      throw error;
    }
  };

  it('random strings are typed errors', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.base64String()), (s) => {
        expect(decode(s)).not.toBe('ok');
        expect(decode(`v1.${s}`)).not.toBe('ok');
        expect(decode(`v1.${s}.${s}`)).not.toBe('ok');
      }),
      { numRuns: 2000 },
    );
  });

  it('bit flips and truncations of a real cursor are refused', () => {
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 127 }), (at, bits) => {
        const flipped =
          good.slice(0, at) + String.fromCharCode(good.charCodeAt(at) ^ bits) + good.slice(at + 1);
        expect(decode(flipped)).not.toBe('ok');
        expect(decode(good.slice(0, at))).not.toBe('ok');
      }),
      { numRuns: 2000 },
    );
  });

  it('signed payloads of any shape are typed errors, never exceptions', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const outcome = decode(forge(JSON.stringify(json)));
        expect(outcome).not.toBe('ok');
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 4 }), (s) => {
        const forged = forge(JSON.stringify({ k: 'k1', s, d: 'a', q, n: 0, t: 0 }));
        expect(['ok', 'ERR_SEARCH_CURSOR_INVALID']).toContain(decode(forged));
      }),
      { numRuns: 1000 },
    );
  });

  it('payloads swapped between queries are mismatches or signature failures', () => {
    const other = c.encode({ s: values, d: 'a', q: queryHash(sort, [], 'other', 'default'), n: 0 });
    const [, p1 = '', s1 = ''] = good.split('.');
    const [, p2 = '', s2 = ''] = other.split('.');
    expect(decode(`v1.${p2}.${s1}`)).toBe('ERR_SEARCH_CURSOR_INVALID');
    expect(decode(`v1.${p1}.${s2}`)).toBe('ERR_SEARCH_CURSOR_INVALID');
    expect(decode(other)).toBe('ERR_SEARCH_CURSOR_MISMATCH');
  });

  it('a 1 MB cursor is refused at once', () => {
    expect(decode(`v1.${'A'.repeat(1_000_000)}.${'A'.repeat(43)}`)).toBe('ERR_SEARCH_CURSOR_INVALID');
  });
});
