import { isValidationError } from '@keel/core';
import type { Clock } from '@keel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPglite, freshSchema } from '../internal/testDatabase.fixture.js';
import { leasesBehaviour } from './leases.suite.js';
import { PostgresLeases } from './postgresLeases.js';
import { WORKER_MIGRATIONS } from './leaseMigrations.js';
import { sqlSchema } from '../client/identifiers.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

leasesBehaviour('on PGlite', async () => ({ client, schema: await freshSchema(client) }));

describe('PostgresLeases options', () => {
  it('lists every refused option in one ValidationError', () => {
    let caught: unknown;
    try {
      new PostgresLeases(client, { ttlMs: 0, clock: {} as Clock, schema: '' });
    } catch (error) {
      caught = error;
    }
    expect(isValidationError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/ttlMs[\s\S]*clock|clock[\s\S]*ttlMs/);
    expect((caught as Error).message).toMatch(/schema/);
  });

  it('takes leases on a clock with only now, the one method it reads', async () => {
    const leases = new PostgresLeases(client, {
      schema: await freshSchema(client),
      ttlMs: 100,
      clock: { now: () => 5_000 } as Clock,
    });
    expect((await leases.tryAcquire('p', 'a'))?.expiresAt).toBe(5_100);
    expect(() => new PostgresLeases(client, { clock: { sleep: () => {} } as never })).toThrow(
      /clock: must be a Clock \(with now\)/,
    );
  });

  it('keeps the default ttl when ttlMs is undefined', () => {
    expect(new PostgresLeases(client, { ttlMs: undefined, schema: undefined }).ttlMs).toBe(30_000);
  });

  it('refuses an empty lease name or owner', async () => {
    const leases = new PostgresLeases(client, { schema: await freshSchema(client) });
    await expect(leases.tryAcquire('', 'a')).rejects.toSatisfy(isValidationError);
    await expect(leases.tryAcquire('p', '')).rejects.toSatisfy(isValidationError);
  });

  it('creates the lease table idempotently', async () => {
    const schema = await freshSchema(client);
    await client.exec(WORKER_MIGRATIONS[0]!.sql(sqlSchema(schema)));
    const { rows } = await client.query(
      `SELECT count(*)::int AS n FROM ${sqlSchema(schema).table('worker_leases')}`,
    );
    expect(rows[0]).toEqual({ n: 0 });
  });
});
