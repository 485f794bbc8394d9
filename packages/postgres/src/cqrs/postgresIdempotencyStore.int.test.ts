import { ManualClock } from '@keel/core';
import { idempotencyStoreContract } from '@keel/cqrs/testing';
import { serviceAvailable } from '@keel/test-services';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPg, dropSchemas, freshSchema } from '../internal/testDatabase.fixture.js';
import { expectPurged } from './postgresIdempotencyStore.fixture.js';
import { PostgresIdempotencyStore } from './postgresIdempotencyStore.js';

const up = await serviceAvailable('postgres');

describe.runIf(up)('PostgresIdempotencyStore on a real PostgreSQL server', () => {
  const schemas: string[] = [];
  let client: SqlClient;
  const schema = async (): Promise<string> => {
    const name = await freshSchema(client);
    schemas.push(name);
    return name;
  };
  beforeAll(() => {
    client = createTestPg();
  });
  afterAll(async () => {
    await dropSchemas(client, schemas);
    await client.close();
  });

  idempotencyStoreContract('PostgresIdempotencyStore on PostgreSQL', async (clock, { ttlMs }) => {
    return new PostgresIdempotencyStore(client, { schema: await schema(), clock, ttlMs });
  });

  it('purges results past ttlMs and abandoned claims past their lease, and nothing live', async () => {
    const clock = new ManualClock(1_000_000);
    await expectPurged(
      new PostgresIdempotencyStore(client, { schema: await schema(), clock, ttlMs: 1_000 }),
      clock,
    );
  });
});
