import { isCancelledError } from '@keel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@keel/test-services';
import { dropSchemas } from '../internal/testDatabase.fixture.js';
import { isClientClosedError, isSqlError, SQL_STATES } from '../errors.js';
import { sqlSchema } from './identifiers.js';
import type { SqlClient, SqlTransaction } from './sqlClient.js';

type Context = { readonly getClient: () => SqlClient; readonly items: string };

function defineQueryTests({ getClient, items }: Context): void {
  it('returns bigint columns as numbers and jsonb columns parsed, as on every engine', async () => {
    const client = getClient();
    await client.query(`INSERT INTO ${items} VALUES ($1, $2, $3::jsonb)`, [
      'a',
      1_700_000_000_000,
      '{"x":[1]}',
    ]);
    const { rows, rowCount } = await client.query(
      `SELECT n, doc, count(*) OVER () AS total FROM ${items} WHERE id = $1`,
      ['a'],
    );
    expect(rows).toEqual([{ n: 1_700_000_000_000, doc: { x: [1] }, total: 1 }]);
    expect(rowCount).toBe(1);
  });

  it('reports how many rows an update touched', async () => {
    const client = getClient();
    await client.query(`INSERT INTO ${items} (id, n) VALUES ('u1', 1), ('u2', 1)`);
    const result = await client.query(`UPDATE ${items} SET n = n + 1 WHERE id IN ('u1', 'u2')`);
    expect(result.rowCount).toBe(2);
  });
}

function defineTransactionTests({ getClient, items }: Context): void {
  it('commits a transaction whose callback resolves and returns its value', async () => {
    const client = getClient();
    const value = await client.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${items} (id) VALUES ('t1')`);
      return 42;
    });
    expect(value).toBe(42);
    expect((await client.query(`SELECT id FROM ${items} WHERE id = 't1'`)).rows).toHaveLength(1);
  });

  it('rolls back a transaction whose callback throws and rethrows the same error', async () => {
    const client = getClient();
    const boom = new Error('boom');
    const caught = await client
      .transaction(async (tx) => {
        await tx.query(`INSERT INTO ${items} (id) VALUES ('t2')`);
        throw boom;
      })
      .catch((error: unknown) => error);
    expect(caught).toBe(boom);
    expect((await client.query(`SELECT id FROM ${items} WHERE id = 't2'`)).rows).toHaveLength(0);
  });

  it('rolls back only the inner part of a nested transaction (a savepoint)', async () => {
    const client = getClient();
    await client.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${items} (id) VALUES ('n1')`);
      await tx
        .transaction(async (inner) => {
          await inner.query(`INSERT INTO ${items} (id) VALUES ('n2')`);
          throw new Error('inner');
        })
        .catch(() => undefined);
    });
    const { rows } = await client.query(`SELECT id FROM ${items} WHERE id IN ('n1', 'n2') ORDER BY id`);
    expect(rows).toEqual([{ id: 'n1' }]);
  });
}

function defineFailureTests({ getClient, items }: Context): void {
  it('throws an SqlError with the SQLSTATE of a failed statement', async () => {
    const client = getClient();
    await client.query(`INSERT INTO ${items} (id) VALUES ('dup')`);
    const error = await client.query(`INSERT INTO ${items} (id) VALUES ('dup')`).catch((e: unknown) => e);
    expect(isSqlError(error, SQL_STATES.uniqueViolation)).toBe(true);
  });

  it('rejects a query on an already aborted signal without running it', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await getClient()
      .query(`INSERT INTO ${items} (id) VALUES ('never')`, [], { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(isCancelledError(error) || (error as Error).name === 'AbortError').toBe(true);
    expect((await getClient().query(`SELECT id FROM ${items} WHERE id = 'never'`)).rows).toHaveLength(0);
  });

  it('rolls back a transaction whose signal aborts before commit', async () => {
    const controller = new AbortController();
    const caught = await getClient()
      .transaction(
        async (tx) => {
          await tx.query(`INSERT INTO ${items} (id) VALUES ('aborted')`);
          controller.abort(new Error('stop'));
        },
        { signal: controller.signal },
      )
      .catch((e: unknown) => e);
    expect((caught as Error).message).toBe('stop');
    expect((await getClient().query(`SELECT id FROM ${items} WHERE id = 'aborted'`)).rows).toHaveLength(0);
  });
}

function defineFeatureTests({ getClient }: Context): void {
  it('runs a transaction at the requested isolation level', async () => {
    const level = await getClient().transaction(
      async (tx) =>
        (await tx.query<{ level: string }>('SELECT current_setting($1) AS level', ['transaction_isolation']))
          .rows[0]?.level,
      { isolation: 'serializable' },
    );
    expect(level).toBe('serializable');
  });

  it('delivers committed notifications to listeners until they stop', async () => {
    const client = getClient();
    const channel = uniqueName('keel_ch');
    const received: string[] = [];
    const unlisten = await client.listen(channel, (payload) => received.push(payload));
    await client.transaction(async (tx) => {
      await tx.query('SELECT pg_notify($1, $2)', [channel, 'in-transaction']);
    });
    await client.query('SELECT pg_notify($1, $2)', [channel, 'direct']);
    await expect.poll(() => received).toEqual(['in-transaction', 'direct']);
    await unlisten();
    await unlisten();
    await client.query('SELECT pg_notify($1, $2)', [channel, 'after']);
    await client.query('SELECT 1');
    expect(received).toEqual(['in-transaction', 'direct']);
  });

  it('stops only its own listener when the same function listens twice on one channel', async () => {
    const client = getClient();
    const channel = uniqueName('keel_ch');
    const received: string[] = [];
    const listener = (payload: string): void => void received.push(payload);
    const first = await client.listen(channel, listener);
    const second = await client.listen(channel, listener);
    await first();
    await client.query('SELECT pg_notify($1, $2)', [channel, 'still']);
    await expect.poll(() => received).toEqual(['still']);
    await second();
    await expect(second()).resolves.toBeUndefined();
  });

  it('ends a listen on an already aborted signal without registering the listener', async () => {
    const controller = new AbortController();
    controller.abort(new Error('not now'));
    const error = await getClient()
      .listen(uniqueName('keel_ch'), () => undefined, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('not now');
  });

  it('refuses to run statements on a transaction that has ended', async () => {
    let leaked: SqlTransaction | undefined;
    await getClient().transaction(async (tx) => {
      leaked = tx;
    });
    const error = await leaked!.query('SELECT 1').catch((e: unknown) => e);
    expect(isClientClosedError(error)).toBe(true);
  });
}

/**
 * Test helper: the behaviour every SqlClient must have, run against PGlite (unit tests) and a
 * real PostgreSQL server (integration tests). `getClient` is called after `beforeAll`.
 */
export function sqlClientBehaviour(name: string, getClient: () => SqlClient): void {
  describe(`SqlClient behaviour: ${name}`, () => {
    const schema = sqlSchema(uniqueName('keel_c'));
    const items = schema.table('items');
    beforeAll(async () => {
      await getClient().exec(
        `CREATE SCHEMA ${schema.quoted}; CREATE TABLE ${items} (id text PRIMARY KEY, n bigint, doc jsonb);`,
      );
    });
    afterAll(() => dropSchemas(getClient(), [schema.name]));

    const context: Context = { getClient, items };
    defineQueryTests(context);
    defineTransactionTests(context);
    defineFailureTests(context);
    defineFeatureTests(context);
  });
}
