/**
 * Search and pagination end to end: a catalogue of 2,000 products paged with cursors forward and back
 * while rows are inserted (nothing skipped, nothing repeated), an offset page with a total and facets, a
 * full-text search ranked by relevance, a tampered and a foreign cursor refused, and a derived in-memory
 * index fed by a change feed that reports how stale it is. In memory by default; `--postgres` runs the
 * same paginator on PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) in a
 * throwaway schema, with the indexes made by the migration helper.
 *
 *   npm run example -- search [--postgres]
 */
import { randomBytes } from 'node:crypto';
import {
  createMemorySource,
  createPaginator,
  type FieldMap,
  linkHeader,
  parseQueryString,
  SearchInputError,
  type SearchSource,
} from 'backend-patterns/search';
import { createPostgresSource, searchIndexStatements } from 'backend-patterns/search/postgres';
import pg from 'pg';

interface Product {
  id: number;
  created_at: string;
  category: string | null;
  price: number;
  title: string;
}

const WORDS = ['red', 'blue', 'fox', 'lamp', 'desk', 'chair', 'oak', 'steel', 'soft', 'quiet'];
const CATEGORIES = ['books', 'garden', 'kitchen', null];

/** 2,000 products; every 7th shares its timestamp with the one before (ties the key must break). */
function catalogue(count: number): Product[] {
  const start = Date.UTC(2026, 0, 1);
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    created_at: new Date(start + (i - (i % 7 === 0 ? 1 : 0)) * 60_000).toISOString(),
    category: CATEGORIES[i % CATEGORIES.length] ?? null,
    price: ((i * 37) % 500) + 0.99,
    title: `${WORDS[i % WORDS.length]} ${WORDS[(i * 3) % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]}`,
  }));
}

const fields: FieldMap = {
  id: { type: 'integer' },
  createdAt: { type: 'timestamp', column: 'created_at', filter: ['range'] },
  category: { type: 'string', nullable: true, filter: ['eq', 'in'], facet: true },
  price: { type: 'number', filter: ['range'] },
  title: { type: 'string', text: 'A', filter: ['prefix'] },
};
const sorts = ['-createdAt', 'price', 'category,-createdAt', 'relevance'];

async function postgresSource(rows: Product[]) {
  const pool = new pg.Pool({
    connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    max: 4,
  });
  const schema = `example_${randomBytes(4).toString('hex')}`;
  await pool.query(`CREATE SCHEMA ${schema}`);
  await pool.query(
    `CREATE TABLE ${schema}.products (id bigint PRIMARY KEY, created_at timestamptz NOT NULL,
       category text, price double precision NOT NULL, title text NOT NULL)`,
  );
  await pool.query(
    `INSERT INTO ${schema}.products SELECT * FROM json_populate_recordset(null::${schema}.products, $1)`,
    [JSON.stringify(rows)],
  );
  for (const sql of searchIndexStatements({ schema, table: 'products', fields, key: 'id', sorts })) {
    await pool.query(sql);
  }
  await pool.query(`ANALYZE ${schema}.products`);
  const insert = async (row: Product) => {
    await pool.query(`INSERT INTO ${schema}.products VALUES ($1, $2, $3, $4, $5)`, [
      row.id,
      row.created_at,
      row.category,
      row.price,
      row.title,
    ]);
  };
  const close = async () => {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  };
  return { source: createPostgresSource<Product>({ pool, schema, table: 'products' }), insert, close };
}

function memorySource(rows: Product[]) {
  const source = createMemorySource<Product>({ rows });
  return {
    source: source as SearchSource<Product>,
    insert: async (row: Product) => void source.apply({ upsert: [row] }),
    close: async () => {},
  };
}

async function main() {
  const rows = catalogue(2000);
  const usePostgres = process.argv.includes('--postgres');
  const backend = usePostgres ? await postgresSource(rows) : memorySource(rows);
  const cursorKeys = [{ id: 'example', secret: randomBytes(32) }];
  const products = createPaginator<Product>({ source: backend.source, fields, sorts, cursorKeys });
  console.log(`search example on ${usePostgres ? 'PostgreSQL' : 'memory'} (${rows.length} products)`);
  try {
    await walkWhileInserting(products, backend.insert);
    await offsetWithFacets(products);
    await fullText(products);
    await refusedCursors(products);
    await staleIndex(rows, cursorKeys);
  } finally {
    await backend.close();
  }
}

type Products = ReturnType<typeof createPaginator<Product>>;

/** Walks every page of books under 100, newest first, while newer and older rows are inserted. */
async function walkWhileInserting(products: Products, insert: (row: Product) => Promise<void>) {
  const seen = new Set<number>();
  let repeated = 0;
  let after: string | undefined;
  let pages = 0;
  for (;;) {
    const query = parseQueryString(
      `sort=-createdAt&filter[category]=books&filter[price][lt]=100&page[size]=25${after ? `&page[after]=${after}` : ''}`,
    );
    const page = await products.cursorPage(query);
    for (const row of page.items) {
      if (seen.has(row.id)) repeated += 1;
      seen.add(row.id);
    }
    pages += 1;
    // A new newest row (before the cursor: not shown) and an old one (after it: shown when reached).
    await insert({
      ...template,
      id: 100_000 + pages,
      created_at: new Date(Date.UTC(2027, 0, pages)).toISOString(),
    });
    await insert({
      ...template,
      id: 200_000 + pages,
      created_at: new Date(Date.UTC(2025, 0, pages)).toISOString(),
    });
    if (pages === 1)
      console.log(
        `first page Link header: ${linkHeader(page, { url: '/products?sort=-createdAt' }).slice(0, 90)}...`,
      );
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) break;
    after = page.pageInfo.endCursor;
  }
  console.log(
    `walked ${pages} cursor pages while inserting 2 rows per page: ${seen.size} rows, ${repeated} repeated`,
  );
  let before: string | undefined = after;
  let back = 0;
  while (before) {
    const page = await products.cursorPage({
      sort: '-createdAt',
      filter: { category: 'books', price: { lt: 100 } },
      last: 25,
      before,
    });
    back += page.items.length;
    before = page.pageInfo.hasPreviousPage ? (page.pageInfo.startCursor ?? undefined) : undefined;
  }
  console.log(`walked back with last/before: ${back} rows`);
}

const template: Product = { id: 0, created_at: '', category: 'books', price: 9.99, title: 'new arrival' };

async function offsetWithFacets(products: Products) {
  const page = await products.offsetPage({
    page: 3,
    limit: 20,
    sort: 'price',
    facets: ['category'],
    total: 'exact',
  });
  const facets = page.facets?.[0]?.values.map((v) => `${v.value ?? 'null'}=${v.count}`).join(' ');
  console.log(
    `offset page 3 by price: ${page.items.length} rows from ${page.items[0]?.price}, total ${page.total?.value} (exact: ${page.total?.exact}), ${page.pageCount} pages; facets ${facets}`,
  );
  try {
    await products.offsetPage({ page: 600, limit: 20 });
  } catch (error) {
    if (error instanceof SearchInputError) console.log(`offset page 600 → ${error.code}: ${error.message}`);
    else throw error;
  }
}

async function fullText(products: Products) {
  const page = await products.cursorPage({ search: 'oak desk', sort: 'relevance', first: 5 });
  console.log(`"oak desk" by relevance: ${page.items.map((r) => `#${r.id} ${r.title}`).join('; ')}`);
}

async function refusedCursors(products: Products) {
  const page = await products.cursorPage({ sort: '-createdAt', first: 2 });
  const cursor = page.pageInfo.endCursor ?? '';
  const tampered = `${cursor.slice(0, -2)}${cursor.endsWith('A') ? 'B' : 'A'}A`;
  for (const [label, input] of [
    ['tampered', { sort: '-createdAt', after: tampered }],
    ['foreign (other sort)', { sort: 'price', after: cursor }],
  ] as const) {
    try {
      await products.cursorPage(input);
    } catch (error) {
      if (!(error instanceof SearchInputError)) throw error;
      console.log(`${label} cursor → ${error.code} (HTTP ${error.httpStatus})`);
    }
  }
}

/** A derived index a change feed keeps up to date: it says how far behind the source of truth it is. */
async function staleIndex(rows: Product[], cursorKeys: { id: string; secret: Uint8Array }[]) {
  const sourceNewestMs = Date.UTC(2026, 5, 1);
  const index = createMemorySource<Product & { updated_at: number }>({
    rows: rows.map((r) => ({ ...r, updated_at: Date.UTC(2026, 4, 1) })),
    updatedAtField: 'updated_at',
    sourceWatermark: () => sourceNewestMs,
    watermarkRefreshMs: 0,
  });
  const paginator = createPaginator({ source: index, fields, sorts, cursorKeys });
  const before = await paginator.cursorPage({ first: 1 });
  console.log(
    `derived index: ${before.freshness.consistency}, lag ${before.freshness.lagMs} ms behind the source`,
  );
  index.apply({
    upsert: [{ ...template, id: 5, created_at: rows[4]?.created_at ?? '', updated_at: sourceNewestMs }],
  });
  const after = await paginator.cursorPage({ first: 1 });
  console.log(`after the change feed caught up: lag ${after.freshness.lagMs} ms`);
}

await main();
