import { isValidationError, ManualClock } from '@keel/core';
import type { ValidationError } from '@keel/core';
import { idempotencyStoreContract } from '@keel/cqrs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPglite, freshSchema } from '../internal/testDatabase.fixture.js';
import { expectPurged } from './postgresIdempotencyStore.fixture.js';
import { PostgresIdempotencyStore } from './postgresIdempotencyStore.js';
import type { PostgresIdempotencyStoreOptions } from './postgresIdempotencyStore.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

idempotencyStoreContract('PostgresIdempotencyStore on PGlite', async (clock, { ttlMs }) => {
  const schema = await freshSchema(client);
  return new PostgresIdempotencyStore(client, { schema, clock, ttlMs });
});

describe('PostgresIdempotencyStore on PGlite: purging', () => {
  it('deletes results past ttlMs and abandoned claims past their lease, and nothing live', async () => {
    const clock = new ManualClock(1_000_000);
    const store = new PostgresIdempotencyStore(client, {
      schema: await freshSchema(client),
      clock,
      ttlMs: 1_000,
    });
    await expectPurged(store, clock);
  });
});

function issuesOf(options: PostgresIdempotencyStoreOptions): string[] {
  try {
    new PostgresIdempotencyStore(client, options);
  } catch (error) {
    expect(isValidationError(error)).toBe(true);
    return (error as ValidationError).issues.map((issue) => issue.path.join('.'));
  }
  return [];
}

describe('PostgresIdempotencyStore options', () => {
  it('refuses every bad option at construction with one ValidationError', () => {
    expect(issuesOf({ ttlMs: 0, schema: '', clock: {} as ManualClock })).toEqual([
      'schema',
      'clock',
      'ttlMs',
    ]);
    for (const ttlMs of [-1, Number.NaN]) expect(issuesOf({ ttlMs })).toEqual(['ttlMs']);
  });

  it('keeps results forever with ttlMs Infinity', async () => {
    const schema = await freshSchema(client);
    const store = new PostgresIdempotencyStore(client, { schema, ttlMs: Infinity });
    expect(await store.complete('k', 'token', 'kept')).toBe(true);
    expect(await store.purgeExpired()).toBe(0);
    expect(await store.claim('k', 10)).toEqual({ status: 'completed', result: 'kept' });
  });

  it('keeps its defaults for options given as undefined: the keel schema, 24 h results', async () => {
    const clock = new ManualClock(0);
    const schema = await freshSchema(client);
    const store = new PostgresIdempotencyStore(client, { schema, clock, ttlMs: undefined });
    await store.complete('k', 'token', 1);
    clock.advance(86_400_000 - 1);
    expect((await store.claim('k', 10)).status).toBe('completed');
    clock.advance(1);
    expect((await store.claim('k', 10)).status).toBe('claimed');
    const defaults = new PostgresIdempotencyStore(client, { schema: undefined, clock: undefined });
    const error = await defaults.claim('k', 10).catch((e: unknown) => e);
    expect((error as Error).message).toContain('"keel"');
  });
});
