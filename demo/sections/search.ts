import { randomBytes } from 'node:crypto';
import { createMemorySource, createPaginator, SearchInputError } from 'backend-patterns/search';
import type { DemoSection } from '../types.js';

interface Article {
  id: number;
  published_at: string;
  topic: string;
  title: string;
  updated_at: number;
}

const TOPICS = ['queues', 'caching', 'search'];
const WORDS = ['fast', 'durable', 'simple', 'keyset', 'offset', 'index'];

const articles = (count: number): Article[] =>
  Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    // Pairs share a timestamp: only the key tells them apart, so a cursor without it would skip rows.
    published_at: new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 2) * 3_600_000).toISOString(),
    topic: TOPICS[i % TOPICS.length] ?? 'queues',
    title: `${WORDS[i % WORDS.length]} ${WORDS[(i * 5) % WORDS.length]} patterns`,
    updated_at: Date.UTC(2026, 5, 1),
  }));

/** The search card: cursor vs offset pages, facets, relevance, a refused cursor, and a stale index. */
export const searchSection: DemoSection = {
  title: 'Paginator (search and pagination)',
  problem: 'page through a filtered, searchable list without skipping rows, and know when the index is stale',
  async run({ metrics, step }) {
    let sourceNewestMs = Date.UTC(2026, 5, 1);
    const index = createMemorySource<Article>({
      rows: articles(300),
      updatedAtField: 'updated_at',
      sourceWatermark: () => sourceNewestMs,
      watermarkRefreshMs: 0,
    });
    const paginator = createPaginator<Article>({
      source: index,
      fields: {
        id: { type: 'integer' },
        publishedAt: { type: 'timestamp', column: 'published_at', filter: ['range'] },
        topic: { type: 'string', filter: ['eq', 'in'], facet: true },
        title: { type: 'string', text: 'A' },
      },
      sorts: ['-publishedAt', 'topic,-publishedAt', 'relevance'],
      cursorKeys: [{ id: 'demo', secret: randomBytes(32) }],
      metrics,
      name: 'articles',
    });

    let pages = 0;
    let rows = 0;
    let after: string | undefined;
    do {
      const page = await paginator.cursorPage({ filter: { topic: 'search' }, first: 20, after });
      pages += 1;
      rows += page.items.length;
      after = page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? undefined) : undefined;
    } while (after);
    step('walk every "search" article newest first with cursors', `${pages} pages, ${rows} rows, none twice`);

    const offset = await paginator.offsetPage({ page: 2, limit: 50, facets: ['topic'], total: 'exact' });
    const facets = offset.facets?.[0]?.values.map((v) => `${v.value} ${v.count} articles`).join(', ');
    step(
      'offset page 2 of 50 with a topic facet',
      `total ${offset.total?.value} articles in ${offset.pageCount} pages; by topic: ${facets}`,
    );

    const ranked = await paginator.cursorPage({ search: 'durable index', sort: 'relevance', first: 3 });
    step('full text "durable index" by relevance', ranked.items.map((a) => `#${a.id} ${a.title}`).join('; '));

    const first = await paginator.cursorPage({ first: 5 });
    try {
      await paginator.cursorPage({ sort: 'topic,-publishedAt', after: first.pageInfo.endCursor ?? '' });
    } catch (error) {
      if (!(error instanceof SearchInputError)) throw error;
      step('reuse a cursor with another sort', `${error.code} (HTTP ${error.httpStatus})`);
    }

    sourceNewestMs += 90_000; // the source of truth changed; the change feed has not delivered it yet
    const stale = await paginator.cursorPage({ first: 1 });
    step(
      'query while the change feed lags',
      `freshness ${stale.freshness.consistency}, lag ${stale.freshness.lagMs} ms`,
    );
    index.apply({
      upsert: [
        { ...(articles(1)[0] as Article), title: 'fresh keyset patterns', updated_at: sourceNewestMs },
      ],
    });
    const fresh = await paginator.cursorPage({ first: 1 });
    step('after the feed applies the change', `lag ${fresh.freshness.lagMs} ms`);
  },
};
