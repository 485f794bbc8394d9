import { afterAll, beforeAll } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPglite, freshSchema } from '../internal/testDatabase.js';
import { outboxBehaviour } from './outboxBehaviour.js';
import { outboxEdgesBehaviour } from './outboxEdgesBehaviour.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

outboxBehaviour('on PGlite', async () => ({ client, schema: await freshSchema(client) }));
outboxEdgesBehaviour('on PGlite', async () => ({ client, schema: await freshSchema(client) }));
