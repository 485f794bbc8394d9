import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPostgresOptionError } from '../client/errors.js';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPglite, freshSchema } from '../internal/testDatabase.js';
import { idempotencyStoreBehaviour } from './idempotencyStoreBehaviour.js';
import { PostgresIdempotencyStore } from './postgresIdempotencyStore.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

idempotencyStoreBehaviour('on PGlite', async () => ({ client, schema: await freshSchema(client) }));

describe('PostgresIdempotencyStore options', () => {
  it.each([0, -1, Number.NaN])('rejects ttlMs %s with a PostgresOptionError', (ttlMs) => {
    let caught: unknown;
    try {
      new PostgresIdempotencyStore(client, { ttlMs });
    } catch (error) {
      caught = error;
    }
    expect(isPostgresOptionError(caught)).toBe(true);
  });

  it('keeps results forever with ttlMs Infinity', async () => {
    const schema = await freshSchema(client);
    const store = new PostgresIdempotencyStore(client, { schema, ttlMs: Infinity });
    await store.complete('k', 'kept');
    expect(await store.purgeExpired()).toBe(0);
    expect(await store.claim('k', 10)).toEqual({ status: 'completed', result: 'kept' });
  });
});
