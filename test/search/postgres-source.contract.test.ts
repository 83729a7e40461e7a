import { describe, it } from 'vitest';
import { createPostgresSource } from '../../src/search/postgres.js';
import { searchSourceContract } from '../../src/testing/index.js';
import { noPostgres, usePostgresSchema } from '../support/postgres.js';
import { createTable, insertRows, migrate, randomTable } from './postgres-helpers.js';

describe.skipIf(noPostgres)('postgres source', () => {
  const db = usePostgresSchema('contract');
  searchSourceContract(
    { describe, it },
    {
      name: 'postgres',
      setup: async ({ schema, rows }) => {
        const table = randomTable('c');
        await createTable(db.pool, db.schema, table, schema.fields, schema.key);
        await insertRows(db.pool, db.schema, table, rows);
        await migrate(db.pool, db.schema, table, schema.fields, schema.key, [schema.key]);
        const subject = createPostgresSource({ pool: db.pool, schema: db.schema, table });
        subject.bind(schema);
        return { subject, close: () => db.pool.query(`DROP TABLE "${db.schema}"."${table}"`).then(() => {}) };
      },
    },
  );
});
