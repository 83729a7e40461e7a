/**
 * Output helpers on real pages: the Relay connection, JSON:API links and RFC 8288 `Link` headers for
 * both page kinds, at both ends; the request's own query kept, the page position replaced, and hostile
 * URLs (quotes, angle brackets, spaces, CRLF) unable to break out of `<...>`.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  jsonApiLinks,
  linkHeader,
  pageLinks,
  parseQueryString,
  toConnection,
} from '../../src/search/index.js';
import { memoryPaginator, products } from './paginator-helpers.js';

const rows = products(25);
const { paginator } = memoryPaginator(rows);

describe('toConnection', () => {
  it('has edges and pageInfo, and totalCount only with a total', async () => {
    const page = await paginator.cursorPage({ first: 3 });
    expect(toConnection(page)).toEqual({ edges: page.edges, pageInfo: page.pageInfo });
    const counted = await paginator.cursorPage({ first: 3, total: 'exact' });
    expect(toConnection(counted).totalCount).toBe(25);
    expect(counted.edges.map((e) => e.node)).toEqual(counted.items);
  });
});

describe('links of keyset pages', () => {
  it('first page: next and first, no prev; the request query is kept', async () => {
    const page = await paginator.cursorPage({ first: 10, sort: 'price' });
    const url = 'https://api.example.com/items?sort=price&page[size]=10&page[before]=old#frag';
    const links = pageLinks(page, { url });
    expect(links.prev).toBeNull();
    const next = new URL(links.next ?? '');
    expect(next.searchParams.get('page[after]')).toBe(page.pageInfo.endCursor);
    expect(next.searchParams.get('page[before]')).toBeNull();
    expect(next.searchParams.get('sort')).toBe('price');
    expect(next.searchParams.get('page[size]')).toBe('10');
    expect(next.hash).toBe('');
    expect(linkHeader(page, { url })).toBe(`<${links.next}>; rel="next", <${links.first}>; rel="first"`);
  });

  it('following next links walks every row; the last page has prev but no next', async () => {
    let url = '/items?sort=price&page[size]=10';
    const seen: number[] = [];
    for (;;) {
      const request = parseQueryString(new URL(url, 'http://x').searchParams);
      const page = await paginator.cursorPage(request);
      seen.push(...page.items.map((r) => r.id));
      const links = jsonApiLinks(page, url);
      if (links.next === null) {
        expect(links.prev).not.toBeNull();
        break;
      }
      expect(links.next.startsWith('/items?')).toBe(true);
      url = links.next;
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
  });
});

describe('links of offset pages', () => {
  it('first, prev, next and last with an exact total', async () => {
    const page = await paginator.offsetPage({ page: 2, limit: 10 });
    const links = pageLinks(page, { url: 'https://x.test/items?filter[status]=open' });
    const number = (href: string | null | undefined) => new URL(href ?? '').searchParams.get('page[number]');
    expect([number(links.first), number(links.prev), number(links.next), number(links.last)]).toEqual([
      '1',
      '1',
      '3',
      '3',
    ]);
    expect(new URL(links.first).searchParams.get('filter[status]')).toBe('open');
    expect(new URL(links.first).searchParams.get('page[size]')).toBe('10');
    const header = linkHeader(page, { url: 'https://x.test/items' });
    expect(header.split(', ').map((p) => p.split('; ')[1])).toEqual([
      'rel="next"',
      'rel="prev"',
      'rel="first"',
      'rel="last"',
    ]);
  });

  it('no last without an exact total; no next on the last page', async () => {
    const noTotal = await paginator.offsetPage({ limit: 10, total: 'none' });
    expect(pageLinks(noTotal, { url: 'https://x.test/' }).last).toBeUndefined();
    const last = await paginator.offsetPage({ page: 3, limit: 10 });
    expect(pageLinks(last, { url: 'https://x.test/' }).next).toBeNull();
    const empty = await paginator.offsetPage({ filter: { id: { gt: 999 } } });
    expect(
      new URL(pageLinks(empty, { url: 'https://x.test/' }).last ?? '').searchParams.get('page[number]'),
    ).toBe('1');
  });
});

describe('hostile URLs', () => {
  it('cannot break out of the link target', async () => {
    const page = await paginator.offsetPage({ page: 2, limit: 10 });
    const header = linkHeader(page, {
      url: 'https://x.test/a b/"q"?x=<script>&y=">; rel="evil"\r\nSet-Cookie: a=b',
      params: { extra: '>, <https://evil.test>; rel="next"' },
    });
    for (const part of header.split(', '))
      expect(part).toMatch(/^<[^<>"\s]+>; rel="(next|prev|first|last)"$/);
    expect(header).not.toMatch(/[\r\n]/);
  });

  it('refuses what is not an absolute URL or an absolute path', async () => {
    const page = await paginator.offsetPage({});
    for (const url of ['items?x=1', '//evil.test/x', '', 42]) {
      expect(() => pageLinks(page, { url: url as string })).toThrow(InvalidArgumentError);
    }
  });
});
