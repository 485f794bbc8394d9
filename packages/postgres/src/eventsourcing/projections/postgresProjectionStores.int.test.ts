import { serviceAvailable } from '@keel/test-services';
import {
  checkpointStoreContract,
  deadLetterStoreContract,
  snapshotStoreContract,
} from '@keel/eventsourcing/testing';
import { afterAll, beforeAll, describe } from 'vitest';
import type { SqlClient } from '../../client/sqlClient.js';
import { createTestPg, dropSchemas, freshSchema } from '../../internal/testDatabase.fixture.js';
import { PostgresSnapshotStore } from '../snapshots/postgresSnapshotStore.js';
import { PostgresCheckpointStore } from './postgresCheckpointStore.js';
import { PostgresDeadLetterStore } from './postgresDeadLetterStore.js';

const up = await serviceAvailable('postgres');

describe.runIf(up)('event-sourcing stores on a real PostgreSQL server', () => {
  const schemas: string[] = [];
  let client: SqlClient;
  beforeAll(() => {
    client = createTestPg(3);
  });
  afterAll(async () => {
    await dropSchemas(client, schemas);
    await client.close();
  });
  const fresh = async (): Promise<string> => {
    const schema = await freshSchema(client);
    schemas.push(schema);
    return schema;
  };

  snapshotStoreContract(
    'PostgresSnapshotStore on PostgreSQL',
    async () => new PostgresSnapshotStore(client, { schema: await fresh() }),
  );
  checkpointStoreContract(
    'PostgresCheckpointStore on PostgreSQL',
    async () => new PostgresCheckpointStore(client, { schema: await fresh() }),
  );
  deadLetterStoreContract(
    'PostgresDeadLetterStore on PostgreSQL',
    async () => new PostgresDeadLetterStore(client, { schema: await fresh() }),
  );
});
