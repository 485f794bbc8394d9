import type { PGlite } from '@electric-sql/pglite';
import type { EventBus, IdempotencyStore, InProcessEventTransport } from '@keel/cqrs';
import type { ProcessStore, SagaStore } from '@keel/saga';
import type pg from 'pg';
import { describe, expectTypeOf, it } from 'vitest';
import type { PostgresIdempotencyStore } from '../cqrs/postgresIdempotencyStore.js';
import type { PostgresOutbox } from '../outbox/postgresOutbox.js';
import type { PostgresProcessStore } from '../saga/postgresProcessStore.js';
import type { PostgresSagaStore } from '../saga/postgresSagaStore.js';
import type { fromPglite } from './pgliteClient.js';
import type { fromPgPool } from './pgPoolClient.js';
import type { SqlClient, SqlExecutor, SqlResult, SqlRow, SqlTransaction } from './sqlClient.js';

describe('SqlClient types', () => {
  it('accepts a real pg.Pool and a real PGlite instance', () => {
    expectTypeOf<pg.Pool>().toExtend<Parameters<typeof fromPgPool>[0]>();
    expectTypeOf<PGlite>().toExtend<Parameters<typeof fromPglite>[0]>();
  });

  it('types query rows with the row type given, interfaces included', () => {
    interface ItemRow {
      id: string;
      n: number;
    }
    const client = {} as SqlClient;
    expectTypeOf(client.query<ItemRow>('SELECT id, n FROM items')).resolves.toEqualTypeOf<
      SqlResult<ItemRow>
    >();
    expectTypeOf(client.query('SELECT 1')).resolves.toEqualTypeOf<SqlResult<SqlRow>>();
    expectTypeOf<SqlResult<ItemRow>['rows'][number]>().toEqualTypeOf<ItemRow>();
  });

  it('lets stores take a client or a transaction, but only a client can be closed', () => {
    expectTypeOf<SqlTransaction>().toExtend<SqlExecutor>();
    expectTypeOf<SqlClient>().toExtend<SqlExecutor>();
    expectTypeOf<SqlTransaction>().not.toExtend<SqlClient>();
  });

  it('implements the pattern packages’ store interfaces', () => {
    expectTypeOf<PostgresSagaStore>().toExtend<SagaStore>();
    expectTypeOf<PostgresProcessStore>().toExtend<ProcessStore>();
    expectTypeOf<PostgresIdempotencyStore>().toExtend<IdempotencyStore>();
  });

  it('relays the outbox to an event bus or an event transport', () => {
    type Publisher = Parameters<PostgresOutbox['createRelay']>[0];
    expectTypeOf<EventBus>().toExtend<Publisher>();
    expectTypeOf<InProcessEventTransport>().toExtend<Publisher>();
  });
});
