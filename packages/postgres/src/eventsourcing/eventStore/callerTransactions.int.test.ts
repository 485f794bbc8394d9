import { serviceAvailable } from '@keel/test-services';
import { isConcurrencyError } from '@keel/core';
import { ANY, collect, NO_STREAM } from '@keel/eventsourcing';
import type { ExpectedVersion } from '@keel/eventsourcing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient, SqlIsolationLevel } from '../../client/sqlClient.js';
import { createTestPg, dropSchemas, freshSchema } from '../../internal/testDatabase.fixture.js';
import { PostgresEventStore } from './postgresEventStore.js';

const up = await serviceAvailable('postgres');

describe.runIf(up)('PostgresEventStore bound to a caller transaction', () => {
  const schemas: string[] = [];
  let client: SqlClient;
  beforeAll(() => {
    client = createTestPg(4);
  });
  afterAll(async () => {
    await dropSchemas(client, schemas);
    await client.close();
  });

  const fresh = async (): Promise<string> => {
    const schema = await freshSchema(client);
    schemas.push(schema);
    return schema;
  };

  /**
   * Opens a transaction at `isolation`, takes its snapshot, lets `other` commit, then appends
   * through a store bound to the transaction: the other commit is invisible to the snapshot.
   */
  async function appendAfterHiddenCommit(
    isolation: SqlIsolationLevel,
    expectedVersion: ExpectedVersion,
    other: () => Promise<unknown>,
    schema: string,
    eventId?: string,
  ): Promise<unknown> {
    return client.transaction(
      async (tx) => {
        await tx.query('SELECT 1'); // the snapshot is taken here
        await other();
        const store = new PostgresEventStore(tx, { schema });
        try {
          return await store.appendToStream(
            's-1',
            [{ type: 'Mine', data: {}, ...(eventId ? { eventId } : {}) }],
            {
              expectedVersion,
            },
          );
        } catch (error) {
          return error;
        }
      },
      { isolation },
    );
  }

  describe.each<SqlIsolationLevel>(['repeatable read', 'serializable'])('at %s', (isolation) => {
    it.each<[string, ExpectedVersion]>([
      ['a numbered expected version', 1],
      ['ANY', ANY],
    ])(
      'reports a conflict hidden from the snapshot as a ConcurrencyError for %s',
      async (_name, expected) => {
        const schema = await fresh();
        const store = new PostgresEventStore(client, { schema });
        await store.appendToStream('s-1', [{ type: 'First', data: {} }]);
        const outcome = await appendAfterHiddenCommit(
          isolation,
          expected,
          () => store.appendToStream('s-1', [{ type: 'Theirs', data: {} }], { expectedVersion: 1 }),
          schema,
        );
        expect(isConcurrencyError(outcome)).toBe(true);
        expect(outcome).toMatchObject({ subject: 's-1', expected });
        expect((await collect(store.readStream('s-1'))).map((event) => event.type)).toEqual([
          'First',
          'Theirs',
        ]);
      },
    );

    it('recognises an idempotent re-append the snapshot can see', async () => {
      const schema = await fresh();
      const store = new PostgresEventStore(client, { schema });
      const eventId = `${schema}-e1`;
      const first = await store.appendToStream('s-1', [{ type: 'Mine', data: {}, eventId }], {
        expectedVersion: NO_STREAM,
      });
      const again = await appendAfterHiddenCommit(
        isolation,
        NO_STREAM,
        async () => undefined,
        schema,
        eventId,
      );
      expect(again).toMatchObject({ appended: false, lastPosition: first.lastPosition });
    });

    it('reports a retry of the same ids committed after the snapshot as a ConcurrencyError', async () => {
      const schema = await fresh();
      const store = new PostgresEventStore(client, { schema });
      const eventId = `${schema}-e1`;
      const outcome = await appendAfterHiddenCommit(
        isolation,
        NO_STREAM,
        () =>
          store.appendToStream('s-1', [{ type: 'Mine', data: {}, eventId }], { expectedVersion: NO_STREAM }),
        schema,
        eventId,
      );
      expect(isConcurrencyError(outcome)).toBe(true);
    });
  });

  it('leaves a repeatable read transaction usable after a conflict, so the caller can decide', async () => {
    const schema = await fresh();
    const store = new PostgresEventStore(client, { schema });
    await store.appendToStream('s-1', [{ type: 'First', data: {} }]);
    const after = await client.transaction(
      async (tx) => {
        await tx.query('SELECT 1');
        await store.appendToStream('s-1', [{ type: 'Theirs', data: {} }]);
        await new PostgresEventStore(tx, { schema })
          .appendToStream('s-1', [{ type: 'Mine', data: {} }], { expectedVersion: 1 })
          .catch(() => undefined);
        const { rows } = await tx.query<{ one: number }>('SELECT 1 AS one');
        return rows[0]?.one;
      },
      { isolation: 'repeatable read' },
    );
    expect(after).toBe(1);
  });
});
