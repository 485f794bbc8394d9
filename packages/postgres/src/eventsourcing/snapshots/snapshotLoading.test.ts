import { snapshotLoadingContract } from '@keel/eventsourcing/testing';
import { afterAll, beforeAll } from 'vitest';
import type { SqlClient } from '../../client/sqlClient.js';
import { PostgresEventStore } from '../eventStore/postgresEventStore.js';
import { createTestPglite, freshSchema } from '../../internal/testDatabase.fixture.js';
import { PostgresSnapshotStore } from './postgresSnapshotStore.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

snapshotLoadingContract('PostgresEventStore and PostgresSnapshotStore on PGlite', async () => {
  const schema = await freshSchema(client);
  return {
    eventStore: new PostgresEventStore(client, { schema }),
    snapshots: new PostgresSnapshotStore(client, { schema }),
  };
});
