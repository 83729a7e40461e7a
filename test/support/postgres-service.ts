import pg from 'pg';
import type { ServiceSpec } from './services.js';

/** Connects, runs `SELECT 1` and disconnects: true when PostgreSQL answers and accepts the URL's role and database. */
export async function probePostgres(url: string, timeoutMs = 1500): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // A failed connect also emits 'error'; without a listener that would be an uncaught exception.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export const postgresService: ServiceSpec = {
  name: 'postgres',
  envVar: 'DATABASE_URL',
  // Trust auth on this machine; `root` works as well as `postgres`.
  defaultUrl: 'postgres://postgres@127.0.0.1:5432/test',
  probe: (url) => probePostgres(url),
  installHint:
    'install postgresql (apt-get install postgresql), start it (pg_ctlcluster <version> main start), create database `test`, or set DATABASE_URL',
};
