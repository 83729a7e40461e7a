/**
 * The modules the search bench runs, from the built package (dist/), as users run them; types come from
 * the sources. npm run bench builds dist first; the bench test runs scripts/ensure-build.ts.
 */
import type * as SearchModule from '../../src/search/index.js';
import type * as PostgresModule from '../../src/search/postgres.js';
import { importBuilt } from '../support/built.js';

/** The built entries the bench uses. */
export interface Built {
  readonly search: typeof SearchModule;
  readonly postgres: typeof PostgresModule;
}

/** Imports the built entries. */
export async function loadBuilt(): Promise<Built> {
  return {
    search: await importBuilt<typeof SearchModule>('search/index.js'),
    postgres: await importBuilt<typeof PostgresModule>('search/postgres.js'),
  };
}
