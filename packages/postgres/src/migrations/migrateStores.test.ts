import { afterAll, beforeAll } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPglite } from '../internal/testDatabase.fixture.js';
import { migrateStoresBehaviour } from './migrateStores.suite.js';

let client: SqlClient;
const schemas: string[] = [];
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

migrateStoresBehaviour('on PGlite', () => ({ client, schemas }));
