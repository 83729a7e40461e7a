/**
 * `createPaginator` options: every field spec checked against its type, the key, the sorts (resolved,
 * key appended, no duplicates, `relevance`), the cursor keys, the limits and their defaults, the
 * source's capabilities; each refusal an `InvalidOptionError` naming the option.
 */
import { describe, expect, it } from 'vitest';
import { createMemorySource, createPaginator, type PaginatorOptions } from '../../src/search/index.js';
import { FIELDS, KEYS, type Product, STRONG, scriptedSource } from './paginator-helpers.js';

const base = (): PaginatorOptions<Product> => ({
  source: createMemorySource<Product>(),
  fields: FIELDS,
  sorts: ['-createdAt'],
  cursorKeys: [...KEYS],
});

const messageOf = (patch: Record<string, unknown>) => {
  try {
    createPaginator({ ...base(), ...patch } as PaginatorOptions<Product>);
  } catch (error) {
    expect((error as { code?: string }).code).toBe('ERR_INVALID_OPTION');
    return (error as Error).message;
  }
  return 'accepted';
};

describe('createPaginator options', () => {
  it('accepts the minimal options and binds the source with defaults filled in', async () => {
    const source = scriptedSource(async () => ({ rows: [], freshness: STRONG, degraded: [] }));
    let bound: unknown;
    source.bind = (schema) => {
      bound = schema;
    };
    const paginator = createPaginator({ ...base(), source });
    expect(bound).toMatchObject({
      key: 'id',
      textWeights: { A: 1, B: 0.4, C: 0.2, D: 0.1 },
      fields: {
        price: {
          type: 'number',
          column: 'price',
          nullable: true,
          facet: false,
          filter: ['eq', 'in', 'range'],
        },
      },
    });
    await paginator.cursorPage();
    expect(source.queries[0]).toMatchObject({
      sort: [
        { field: 'createdAt', direction: 'desc', nulls: 'last' },
        { field: 'id', direction: 'desc', nulls: 'last' },
      ],
      page: { kind: 'keyset', after: null, direction: 'forward', limit: 20 },
      total: 'none',
      facets: [],
      filters: [],
      text: undefined,
      timeoutMs: 2000,
    });
  });

  it('refuses bad field specs, naming them', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ fields: {} }, /`fields` must be an object of 1\.\.256 fields/],
      [{ fields: [] }, /`fields`/],
      [{ fields: { ...FIELDS, 'bad-name': { type: 'string' } } }, /keyed by field names/],
      [{ fields: { ...FIELDS, _x: { type: 'string' } } }, /keyed by field names/],
      [{ fields: { ...FIELDS, relevance: { type: 'number' } } }, /`fields\.relevance`/],
      [{ fields: { ...FIELDS, x: { type: 'date' } } }, /`fields\.x\.type`/],
      [
        { fields: { ...FIELDS, x: { type: 'string', column: 'X' } } },
        /`fields\.x\.column` must be a column identifier/,
      ],
      [{ fields: { ...FIELDS, x: { type: 'string', column: 'a; drop table' } } }, /`fields\.x\.column`/],
      [
        { fields: { ...FIELDS, x: { type: 'number', filter: ['prefix'] } } },
        /`fields\.x\.filter` must be free of 'prefix'/,
      ],
      [
        { fields: { ...FIELDS, x: { type: 'boolean', filter: ['range'] } } },
        /`fields\.x\.filter` must be free of 'range'/,
      ],
      [
        { fields: { ...FIELDS, x: { type: 'string', filter: ['eq', 'eq'] } } },
        /`fields\.x\.filter` must be without repeats/,
      ],
      [{ fields: { ...FIELDS, x: { type: 'string', filter: ['like'] } } }, /`fields\.x\.filter\[0\]`/],
      [{ fields: { ...FIELDS, x: { type: 'integer', text: 'A' } } }, /`fields\.x\.text`/],
      [{ fields: { ...FIELDS, x: { type: 'string', text: 'E' } } }, /`fields\.x\.text`/],
      [
        { fields: { ...FIELDS, x: { type: 'string', sortable: true } } },
        /unknown option `fields\.x\.sortable`/,
      ],
    ];
    for (const [patch, message] of cases) expect(messageOf(patch)).toMatch(message);
  });

  it('refuses a key that is missing, nullable or of the wrong type', () => {
    expect(messageOf({ key: 'nope' })).toMatch(/`key` must be a declared field/);
    expect(messageOf({ key: 'tag' })).toMatch(/`key` must be a field that is not nullable/);
    expect(messageOf({ key: 'createdAt' })).toMatch(/`key` must be a string or integer field/);
    expect(messageOf({ key: 'title', sorts: ['-createdAt'] })).toBe('accepted');
  });

  it('resolves sorts and refuses bad ones', () => {
    const cases: [unknown, RegExp | string][] = [
      [[], /`sorts` must be an array of 1\.\.64 items/],
      [['nope'], /`sorts\[0\]` must be a valid sort: it names `nope`/],
      [['-id,-id'], /`sorts\[0\]`.*twice|nothing may follow/],
      [['price,price'], /names `price` twice/],
      [['id,price'], /must end with the key/],
      [['__proto__'], /names `__proto__`/],
      [['-relevance'], /always descending/],
      [['relevance'], /at least one sort without `relevance`/],
      [['-createdAt', '-createdAt,-id'], /`sorts\[1\]` must be different from `-createdAt,-id`/],
      [[''], /`sorts\[0\]`/],
      [['price,'], /`sorts\[0\]`/],
      [['title,status,price,stock,active,createdAt,tag'], 'accepted'],
      [['relevance,-createdAt', 'title'], 'accepted'],
    ];
    for (const [sorts, expected] of cases) {
      const message = messageOf({ sorts });
      if (typeof expected === 'string') expect(message).toBe(expected);
      else expect(message).toMatch(expected);
    }
  });

  it('needs text search from the source when a field has a text weight', () => {
    const source = scriptedSource(async () => ({ rows: [], freshness: STRONG, degraded: [] }), {
      text: false,
    });
    expect(messageOf({ source })).toMatch(/no full-text search/);
    const plain = { id: { type: 'integer' }, createdAt: { type: 'timestamp' } };
    expect(messageOf({ source, fields: plain })).toBe('accepted');
    expect(messageOf({ source, fields: plain, sorts: ['relevance', '-createdAt'] })).toMatch(
      /free of `relevance`/,
    );
  });

  it('checks cursor keys', () => {
    const cases: [unknown, RegExp][] = [
      [[], /`cursorKeys` must be an array of 1\.\.16 items/],
      [undefined, /`cursorKeys` is required/],
      [
        [{ id: 'k', secret: 'short' }],
        /`cursorKeys\[0\]\.secret` must be a string or Uint8Array of at least 32 bytes/,
      ],
      [[{ id: 'k', secret: new Uint8Array(31) }], /at least 32 bytes/],
      [[{ id: 'k', secret: 12345 }], /`cursorKeys\[0\]\.secret`/],
      [[{ id: 'bad id', secret: 'x'.repeat(32) }], /`cursorKeys\[0\]\.id`/],
      [[{ id: 'x'.repeat(33), secret: 'x'.repeat(32) }], /`cursorKeys\[0\]\.id`/],
      [[{ id: 'k', secret: 'x'.repeat(32), alg: 'none' }], /unknown option `cursorKeys\[0\]\.alg`/],
      [
        [
          { id: 'k', secret: 'x'.repeat(32) },
          { id: 'k', secret: 'y'.repeat(32) },
        ],
        /distinct ids/,
      ],
    ];
    for (const [cursorKeys, message] of cases) expect(messageOf({ cursorKeys })).toMatch(message);
    expect(messageOf({ cursorKeys: [{ id: 'k', secret: new Uint8Array(32) }] })).toBe('accepted');
    expect(messageOf({ cursorKeys: [{ id: 'k', secret: 'é'.repeat(16) }] })).toBe('accepted');
  });

  it('checks limits and their relations', () => {
    expect(messageOf({ defaultPageSize: 200 })).toMatch(
      /`defaultPageSize` must be at most `maxPageSize` \(100\)/,
    );
    expect(messageOf({ maxPageSize: 0 })).toMatch(/`maxPageSize`/);
    expect(messageOf({ pageSizePolicy: 'truncate' })).toMatch(/`pageSizePolicy`/);
    expect(messageOf({ timeoutMs: 0 })).toMatch(/`timeoutMs`/);
    expect(messageOf({ onTimeout: 'retry' })).toMatch(/`onTimeout`/);
    expect(messageOf({ facetLimit: 101 })).toMatch(/`facetLimit`/);
    expect(messageOf({ textWeights: { A: 2 } })).toMatch(/`textWeights\.A`/);
    expect(messageOf({ textWeights: { E: 1 } })).toMatch(/unknown option `textWeights\.E`/);
    expect(messageOf({ name: 'has space' })).toMatch(/`name`/);
    expect(messageOf({ cursorTtlMs: -1 })).toMatch(/`cursorTtlMs`/);
    expect(messageOf({ maxOffset: -1 })).toMatch(/`maxOffset`/);
    expect(messageOf({ defaultTotal: 'some' })).toMatch(/`defaultTotal`/);
    expect(messageOf({ timeoutMS: 5 })).toMatch(/unknown option `timeoutMS`/);
    expect(messageOf({ source: {} })).toMatch(/`source`/);
  });

  it('lowers maxOffset to the source capability', async () => {
    const source = scriptedSource(async () => ({ rows: [], freshness: STRONG, degraded: [] }), {
      maxOffset: 100,
    });
    const paginator = createPaginator({ ...base(), source, maxOffset: 10_000 });
    await expect(paginator.offsetPage({ page: 5, limit: 20 })).resolves.toBeDefined();
    await expect(paginator.offsetPage({ page: 6, limit: 20 })).rejects.toMatchObject({
      code: 'ERR_SEARCH_TOO_DEEP',
      maxOffset: 100,
    });
    const bad = scriptedSource(async () => ({ rows: [], freshness: STRONG, degraded: [] }), {
      maxOffset: -5,
    });
    expect(messageOf({ source: bad })).toMatch(/capabilities\.maxOffset/);
  });
});
