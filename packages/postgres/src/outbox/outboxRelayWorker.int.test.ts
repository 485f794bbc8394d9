import { serviceAvailable } from '@keel/test-services';
import { afterAll, beforeAll, describe } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPg, dropSchemas, freshSchema } from '../internal/testDatabase.fixture.js';
import { outboxRelayWorkerBehaviour } from './outboxRelayWorker.suite.js';

const up = await serviceAvailable('postgres');

describe.runIf(up)('outbox relay worker on a real PostgreSQL server', () => {
  const schemas: string[] = [];
  let client: SqlClient;
  let peer: SqlClient;
  beforeAll(() => {
    client = createTestPg(8);
    peer = createTestPg(4);
  });
  afterAll(async () => {
    await dropSchemas(client, schemas);
    await Promise.all([client.close(), peer.close()]);
  });

  outboxRelayWorkerBehaviour('on PostgreSQL', async () => {
    const schema = await freshSchema(client);
    schemas.push(schema);
    return { client, schema, peer };
  });
});
