import { isValidationError } from '@keel/core';
import { collect } from '@keel/eventsourcing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient, SqlExecutor } from '../sqlClient.js';
import { PostgresEventStore } from '../../eventsourcing/eventStore/postgresEventStore.js';
import { createTestPglite, freshSchema } from '../../internal/testDatabase.fixture.js';

/** The client, seen through an executor that records the statements sent through it. */
function recording(client: SqlClient): { executor: SqlExecutor; statements: string[] } {
  const statements: string[] = [];
  const executor: SqlExecutor = {
    dialect: client.dialect,
    inTransaction: false,
    query: (sql, params, options) => {
      statements.push(sql);
      return client.query(sql, params, options);
    },
    exec: (script, options) => client.exec(script, options),
    transaction: (fn, options) => client.transaction(fn, options),
  };
  return { executor, statements };
}

describe('PostgresEventStore with a readClient', () => {
  let client: SqlClient;
  let schema: string;
  beforeAll(async () => {
    client = await createTestPglite();
    schema = await freshSchema(client);
  });
  afterAll(() => client.close());

  it('reads the global log, subscriptions and the head through the read client', async () => {
    const reader = recording(client);
    const writer = recording(client);
    const store = new PostgresEventStore(writer.executor, { schema, readClient: reader.executor });
    await store.appendToStream('a-1', [{ type: 'Opened', data: {} }]);
    expect(reader.statements).toEqual([]);

    expect((await collect(store.readAll())).map((e) => e.streamName)).toEqual(['a-1']);
    expect(await store.headPosition()).toBe(1);
    const controller = new AbortController();
    for await (const event of store.subscribeToStream('a-1', { signal: controller.signal })) {
      expect(event.streamVersion).toBe(1);
      break;
    }
    expect(reader.statements).toHaveLength(3);
    expect(writer.statements.filter((sql) => sql.includes('FROM') && !sql.includes('append_events'))).toEqual(
      [],
    );
  });

  it('keeps stream reads and versions, which load aggregates before appends, on the primary', async () => {
    const reader = recording(client);
    const store = new PostgresEventStore(client, { schema, readClient: reader.executor });
    await store.appendToStream('b-1', [{ type: 'Opened', data: {} }]);
    expect((await collect(store.readStream('b-1'))).map((e) => e.type)).toEqual(['Opened']);
    expect(await store.streamVersion('b-1')).toBe(1);
    expect(reader.statements).toEqual([]);
  });

  it('refuses a readClient that cannot run queries', () => {
    const error = (() => {
      try {
        return new PostgresEventStore(client, { schema, readClient: 42 as unknown as SqlExecutor });
      } catch (e) {
        return e;
      }
    })();
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(/readClient/);
  });
});
