import { serviceAvailable, serviceUrl } from '@keel/test-services';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPg } from '../internal/testDatabase.fixture.js';
import { createPostgres } from './createPostgres.js';
import type { SqlClient } from './sqlClient.js';
import { sqlClientBehaviour } from './sqlClient.suite.js';
import { fromPgPool } from './pgPoolClient.js';

const up = await serviceAvailable('postgres');

describe.runIf(up)('SqlClient on a real PostgreSQL server', () => {
  let client: SqlClient;
  beforeAll(() => {
    client = createTestPg();
  });
  afterAll(() => client.close());

  sqlClientBehaviour('pg pool', () => client);

  it('runs every statement of a transaction on one pooled connection', async () => {
    const pids = await client.transaction(async (tx) => {
      const pid = async (): Promise<unknown> =>
        (await tx.query('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      return Promise.all([pid(), pid(), pid()]);
    });
    expect(new Set(pids).size).toBe(1);
  });

  it('returns int8 values beyond 2^53 as bigint, like PGlite', async () => {
    const { rows } = await client.query('SELECT 9007199254740993::int8 AS big, 5::int8 AS small');
    expect(rows[0]).toEqual({ big: 9007199254740993n, small: 5 });
  });

  it('connects to a URL with createPostgres and leaves the pool usable until closed', async () => {
    const viaUrl = await createPostgres({ url: serviceUrl('postgres'), maxConnections: 2 });
    expect(viaUrl.dialect).toBe('postgres');
    expect((await viaUrl.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await viaUrl.close();
  });

  it('returns a connection to the pool after a failed transaction', async () => {
    const pool = new pg.Pool({ connectionString: serviceUrl('postgres'), max: 1 });
    const single = fromPgPool(pool);
    await single.transaction(async () => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(await single.transaction(async (tx) => (await tx.query('SELECT 2 AS two')).rows)).toEqual([
      { two: 2 },
    ]);
    await single.close();
  });
});
