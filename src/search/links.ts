/**
 * Output helpers: the Relay connection shape, JSON:API `links`, and RFC 8288 `Link` headers. URLs are
 * rebuilt with the WHATWG URL serializer, which percent-encodes `<`, `>`, `"` and spaces, so a link
 * can never break out of its `<...>` in a header.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { CursorPage, Edge, OffsetPage } from './types.js';

/** A Relay connection. `totalCount` is there when the page has a total (see `total.exact`). */
export interface Connection<Row> {
  readonly edges: readonly Edge<Row>[];
  readonly pageInfo: CursorPage<Row>['pageInfo'];
  readonly totalCount?: number;
}

/** The Relay connection of a keyset page. */
export function toConnection<Row>(page: CursorPage<Row>): Connection<Row> {
  const connection = { edges: page.edges, pageInfo: page.pageInfo };
  return page.total === undefined ? connection : { ...connection, totalCount: page.total.value };
}

/** Where links point. */
export interface LinkOptions {
  /**
   * The URL of the current request, absolute (`https://api.example.com/items?sort=-id`) or path-absolute
   * (`/items?sort=-id`). Its query is kept, except the page position (`page[after]`, `page[before]`,
   * `page[number]`), which each link sets.
   */
  readonly url: string | URL;
  /** Parameters to set on every link (replacing the URL's own). */
  readonly params?: Readonly<Record<string, string>>;
}

/** Links of a page: null where there is no such page. `last` only for offset pages with an exact total. */
export interface PageLinks {
  readonly first: string;
  readonly prev: string | null;
  readonly next: string | null;
  readonly last?: string | null;
}

const RELATIVE_BASE = 'http://relative.invalid';
const POSITION = ['page[after]', 'page[before]', 'page[number]'];

function baseUrl(options: LinkOptions): { url: URL; relative: boolean } {
  const raw = options.url;
  let url: URL;
  let relative = false;
  try {
    if (raw instanceof URL) url = new URL(raw.href);
    else if (typeof raw === 'string' && raw.startsWith('/') && !raw.startsWith('//')) {
      url = new URL(raw, RELATIVE_BASE);
      relative = true;
    } else if (typeof raw === 'string') url = new URL(raw);
    else throw new TypeError('not a URL');
  } catch {
    throw new InvalidArgumentError('`url` must be an absolute URL or a path starting with /');
  }
  url.hash = '';
  for (const name of POSITION) url.searchParams.delete(name);
  for (const [name, value] of Object.entries(options.params ?? {})) url.searchParams.set(name, value);
  return { url, relative };
}

function linker(options: LinkOptions) {
  const { url, relative } = baseUrl(options);
  return (set: Readonly<Record<string, string>>): string => {
    const link = new URL(url.href);
    for (const [name, value] of Object.entries(set)) link.searchParams.set(name, value);
    return relative ? `${link.pathname}${link.search}` : link.href;
  };
}

/** The first/prev/next (and, for offset pages with an exact total, last) links of `page`. */
export function pageLinks(page: CursorPage<unknown> | OffsetPage<unknown>, options: LinkOptions): PageLinks {
  const link = linker(options);
  if (page.kind === 'keyset') {
    const { hasNextPage, hasPreviousPage, startCursor, endCursor } = page.pageInfo;
    return {
      first: link({}),
      prev: hasPreviousPage && startCursor !== null ? link({ 'page[before]': startCursor }) : null,
      next: hasNextPage && endCursor !== null ? link({ 'page[after]': endCursor }) : null,
    };
  }
  const at = (n: number) => link({ 'page[number]': String(n), 'page[size]': String(page.limit) });
  const links = {
    first: at(1),
    prev: page.page > 1 ? at(page.page - 1) : null,
    next: page.hasNextPage ? at(page.page + 1) : null,
  };
  return page.pageCount === undefined ? links : { ...links, last: at(Math.max(1, page.pageCount)) };
}

/** JSON:API `links` of a page (`prev`/`next` are null at the ends, as the cursor profile asks). */
export function jsonApiLinks(page: CursorPage<unknown> | OffsetPage<unknown>, url: string | URL): PageLinks {
  return pageLinks(page, { url });
}

/**
 * An RFC 8288 `Link` header value: `<...>; rel="next", <...>; rel="prev", <...>; rel="first"` (and
 * `rel="last"` for offset pages with an exact total).
 *
 * @example
 * ```ts nocheck
 * res.setHeader('Link', linkHeader(page, { url: req.originalUrl }));
 * ```
 */
export function linkHeader(page: CursorPage<unknown> | OffsetPage<unknown>, options: LinkOptions): string {
  const links = pageLinks(page, options);
  const parts: string[] = [];
  if (links.next !== null) parts.push(`<${links.next}>; rel="next"`);
  if (links.prev !== null) parts.push(`<${links.prev}>; rel="prev"`);
  parts.push(`<${links.first}>; rel="first"`);
  if (links.last !== undefined && links.last !== null) parts.push(`<${links.last}>; rel="last"`);
  return parts.join(', ');
}
