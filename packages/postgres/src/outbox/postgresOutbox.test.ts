import { afterAll, beforeAll } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPglite, freshSchema } from '../internal/testDatabase.fixture.js';
import { outboxBehaviour } from './outbox.suite.js';
import { outboxEdgesBehaviour } from './outboxEdges.suite.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

outboxBehaviour('on PGlite', async () => ({ client, schema: await freshSchema(client) }));
outboxEdgesBehaviour('on PGlite', async () => ({ client, schema: await freshSchema(client) }));
