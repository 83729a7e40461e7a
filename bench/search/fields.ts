/**
 * The field allowlists of the bench's paginators: the paging table's (sorted by `createdAt` and by the
 * nullable `category` then `createdAt`), and the text corpus's, which adds `title` (weight A) and `body`
 * (weight B) for full text and the relevance sort.
 */
import type { FieldMap } from '../../src/search/index.js';
import { SORTS } from './raw.js';

/** The paging table's fields. */
export const PAGING_FIELDS = {
  id: { type: 'integer' },
  createdAt: { type: 'timestamp', column: 'created_at', filter: ['range'] },
  category: { type: 'integer', nullable: true, filter: ['eq', 'in'], facet: true },
  price: { type: 'number', filter: ['range'] },
} as const satisfies FieldMap;

/** The text corpus's fields. */
export const TEXT_FIELDS = {
  ...PAGING_FIELDS,
  title: { type: 'string', text: 'A' },
  body: { type: 'string', text: 'B' },
} as const satisfies FieldMap;

/** The sorts of the paging paginators (the first is the default). */
export const PAGING_SORTS = [SORTS.single, SORTS.mixed] as const;

/** The sorts of the text paginators. */
export const TEXT_SORTS = [SORTS.single, 'relevance'] as const;

/** A fixed cursor key: the bench's cursors need not be secret, only of a valid length. */
export const CURSOR_KEYS = [{ id: 'bench', secret: 'search-bench-cursor-key-0123456789abcdef' }] as const;
