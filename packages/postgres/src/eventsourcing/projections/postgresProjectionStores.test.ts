import {
  checkpointStoreContract,
  deadLetterStoreContract,
  snapshotStoreContract,
} from '@keel/eventsourcing/testing';
import { afterAll, beforeAll } from 'vitest';
import type { SqlClient } from '../../client/sqlClient.js';
import { createTestPglite, freshSchema } from '../../internal/testDatabase.fixture.js';
import { PostgresSnapshotStore } from '../snapshots/postgresSnapshotStore.js';
import { PostgresCheckpointStore } from './postgresCheckpointStore.js';
import { PostgresDeadLetterStore } from './postgresDeadLetterStore.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

snapshotStoreContract(
  'PostgresSnapshotStore on PGlite',
  async () => new PostgresSnapshotStore(client, { schema: await freshSchema(client) }),
);
checkpointStoreContract(
  'PostgresCheckpointStore on PGlite',
  async () => new PostgresCheckpointStore(client, { schema: await freshSchema(client) }),
);
deadLetterStoreContract(
  'PostgresDeadLetterStore on PGlite',
  async () => new PostgresDeadLetterStore(client, { schema: await freshSchema(client) }),
);
