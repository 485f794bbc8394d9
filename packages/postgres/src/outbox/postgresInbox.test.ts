import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPostgresOptionError } from '../client/errors.js';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPglite, freshSchema } from '../internal/testDatabase.js';
import { inboxBehaviour } from './inboxBehaviour.js';
import { PostgresInbox } from './postgresInbox.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

inboxBehaviour('on PGlite', async () => ({ client, schema: await freshSchema(client) }));

describe('PostgresInbox options', () => {
  it('rejects an empty consumer name with a PostgresOptionError', () => {
    let caught: unknown;
    try {
      new PostgresInbox(client, '');
    } catch (error) {
      caught = error;
    }
    expect(isPostgresOptionError(caught)).toBe(true);
  });
});
