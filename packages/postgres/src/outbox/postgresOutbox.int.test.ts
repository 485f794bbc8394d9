import { serviceAvailable } from '@keel/test-services';
import { afterAll, beforeAll, describe } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPg, dropSchemas, freshSchema } from '../internal/testDatabase.fixture.js';
import { inboxBehaviour } from './inbox.suite.js';
import { outboxBehaviour } from './outbox.suite.js';
import { outboxEdgesBehaviour } from './outboxEdges.suite.js';

const up = await serviceAvailable('postgres');

describe.runIf(up)('outbox and inbox on a real PostgreSQL server', () => {
  const schemas: string[] = [];
  let client: SqlClient;
  beforeAll(() => {
    client = createTestPg();
  });
  afterAll(async () => {
    await dropSchemas(client, schemas);
    await client.close();
  });

  const fresh = async (): Promise<{ client: SqlClient; schema: string }> => {
    const schema = await freshSchema(client);
    schemas.push(schema);
    return { client, schema };
  };
  outboxBehaviour('on PostgreSQL', fresh);
  outboxEdgesBehaviour('on PostgreSQL', fresh);
  inboxBehaviour('on PostgreSQL', fresh);
});
