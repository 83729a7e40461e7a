/**
 * `backend-patterns/search/postgres`: the PostgreSQL search source (on your `pg` pool) and the helper
 * that creates the indexes a paginator needs. See docs/search.md, PostgreSQL.
 */

export { migrateSearchIndexes, type SearchIndexOptions, searchIndexStatements } from './postgres-migrate.js';
export type { PgPool, PgPoolClient, PgQueryResult, PostgresSourceOptions } from './postgres-options.js';
export { createPostgresSource, type PostgresSource } from './postgres-source.js';
