import { serviceUrl, uniqueName } from '@keel/test-services';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { fromPglite } from '../client/pgliteClient.js';
import { fromPgPool } from '../client/pgPoolClient.js';
import { quoteIdentifier } from '../client/identifiers.js';
import type { SqlClient, SqlExecutor } from '../client/sqlClient.js';
import { migrate } from '../migrations/migrate.js';

/** Test helper: a fresh in-memory PGlite client (create one per test file: it takes seconds). */
export async function createTestPglite(): Promise<SqlClient> {
  return fromPglite(await PGlite.create());
}

/** Test helper: a client on the real server at KEEL_PG_URL. */
export function createTestPg(max = 10): SqlClient {
  return fromPgPool(new pg.Pool({ connectionString: serviceUrl('postgres'), max }));
}

/** Test helper: a new unique schema with every Keel table; returns its name. */
export async function freshSchema(client: SqlExecutor, prefix = 'keel_t'): Promise<string> {
  const schema = uniqueName(prefix);
  await migrate(client, { schema });
  return schema;
}

/** Test helper: drops the given schemas with everything in them. */
export async function dropSchemas(client: SqlExecutor, schemas: Iterable<string>): Promise<void> {
  for (const schema of schemas) {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  }
}
