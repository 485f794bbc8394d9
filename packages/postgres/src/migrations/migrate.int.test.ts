import { serviceAvailable, uniqueName } from '@keel/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPg, dropSchemas } from '../internal/testDatabase.fixture.js';
import { KEEL_MIGRATIONS } from './migrationRegistry.js';
import { migrate } from './migrate.js';
import { migrateStoresBehaviour } from './migrateStores.suite.js';

const up = await serviceAvailable('postgres');

describe.runIf(up)('migrate on a real PostgreSQL server', () => {
  const schemas: string[] = [];
  let client: SqlClient;
  beforeAll(() => {
    client = createTestPg();
  });
  afterAll(async () => {
    await dropSchemas(client, schemas);
    await client.close();
  });

  it('lets several concurrent migrate() calls on a new schema apply each step exactly once', async () => {
    const schema = uniqueName('keel_m');
    schemas.push(schema);
    const results = await Promise.all(Array.from({ length: 5 }, () => migrate(client, { schema })));
    const applied = results.flatMap((result) => result.applied.map((step) => step.version));
    expect(applied.sort((a, b) => a - b)).toEqual(KEEL_MIGRATIONS.map((step) => step.version));
    const { rows } = await client.query(`SELECT count(*) AS n FROM "${schema}".keel_migrations`);
    expect(rows[0]).toEqual({ n: KEEL_MIGRATIONS.length });
  });

  migrateStoresBehaviour('on PostgreSQL', () => ({ client, schemas }));
});
