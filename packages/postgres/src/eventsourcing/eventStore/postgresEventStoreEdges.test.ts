import { collect, NO_STREAM } from '@keel/eventsourcing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient, SqlExecutor } from '../../client/sqlClient.js';
import { KEEL_MIGRATIONS } from '../../migrations/migrationRegistry.js';
import { migrate } from '../../migrations/migrate.js';
import { createTestPglite, freshSchema } from '../../internal/testDatabase.fixture.js';
import { uniqueName } from '@keel/test-services';
import { MAX_POSITION } from './eventStoreMigrations.js';
import { isPositionOutOfRangeError } from '../../errors.js';
import { PostgresEventStore } from './postgresEventStore.js';
import { repairEventGates } from './repairEventGates.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

/** A client that counts the statements sent through it (one statement is one round trip). */
function counting(inner: SqlClient): { executor: SqlExecutor; statements: string[] } {
  const statements: string[] = [];
  const executor: SqlExecutor = {
    dialect: inner.dialect,
    inTransaction: false,
    query: (sql, params, options) => {
      statements.push(sql);
      return inner.query(sql, params, options);
    },
    exec: (script, options) => {
      statements.push(script);
      return inner.exec(script, options);
    },
    transaction: (fn, options) => {
      statements.push('BEGIN');
      return inner.transaction(fn, options);
    },
  };
  return { executor, statements };
}

describe('PostgresEventStore round trips', () => {
  it('appends a batch with one statement', async () => {
    const schema = await freshSchema(client);
    const { executor, statements } = counting(client);
    const store = new PostgresEventStore(executor, { schema, notify: false });
    await store.appendToStream('s-1', [
      { type: 'A', data: { n: 1 } },
      { type: 'B', data: { n: 2 } },
    ]);
    await store.appendToStream('s-1', [{ type: 'C', data: {} }], { expectedVersion: 2 });
    expect(statements).toHaveLength(2);
  });

  it('tells an idempotent retry with one more statement, and a conflict with none', async () => {
    const schema = await freshSchema(client);
    const { executor, statements } = counting(client);
    const store = new PostgresEventStore(executor, { schema, notify: false });
    const batch = [{ type: 'A', data: {}, eventId: `${schema}-e1` }];
    await store.appendToStream('s-1', batch, { expectedVersion: NO_STREAM });
    const retry = await store.appendToStream('s-1', batch, { expectedVersion: NO_STREAM });
    expect(retry.appended).toBe(false);
    await expect(
      store.appendToStream('s-1', [{ type: 'B', data: {} }], { expectedVersion: 5 }),
    ).rejects.toMatchObject({
      expected: 5,
      actual: 1,
    });
    expect(statements).toHaveLength(4);
  });
});

describe('PostgresEventStore at the edge of 2^53', () => {
  it('refuses an append whose positions would pass 2^53 - 1 and writes nothing', async () => {
    const schema = await freshSchema(client);
    const store = new PostgresEventStore(client, { schema });
    await client.query(`SELECT setval('"${schema}".events_global_position_seq', $1)`, [MAX_POSITION - 2]);
    const three = Array.from({ length: 3 }, () => ({ type: 'Big', data: {} }));
    await expect(store.appendToStream('big', three)).rejects.toSatisfy(isPositionOutOfRangeError);
    expect(await collect(store.readStream('big'))).toEqual([]);
    const last = await store.appendToStream('big', [{ type: 'Last', data: {} }]);
    expect(last.lastPosition).toBe(MAX_POSITION);
    await expect(store.appendToStream('big', [{ type: 'Past', data: {} }])).rejects.toSatisfy(
      isPositionOutOfRangeError,
    );
    expect((await collect(store.readAll())).map((event) => event.globalPosition)).toEqual([MAX_POSITION]);
  });

  it('refuses to read a row past 2^53 - 1 instead of rounding its position', async () => {
    const schema = await freshSchema(client);
    const store = new PostgresEventStore(client, { schema });
    await client.query(
      `INSERT INTO "${schema}".events (global_position, stream_name, stream_version, event_id, event_type, data, metadata, recorded_at)
       OVERRIDING SYSTEM VALUE VALUES ($1::bigint + 2, 'far', 1, 'far-1', 'Far', '{}', '{}', now())`,
      [String(MAX_POSITION)],
    );
    await expect(collect(store.readAll())).rejects.toSatisfy(isPositionOutOfRangeError);
    await expect(collect(store.readStream('far'))).rejects.toSatisfy(isPositionOutOfRangeError);
  });
});

describe('upgrading a schema made before concurrent appends', () => {
  it('keeps existing events readable at their positions and appends after them', async () => {
    const schema = uniqueName('keel_up');
    // Every step but the event store's after 100: the schema as a Keel before 101 made it.
    const before = KEEL_MIGRATIONS.filter((step) => step.version < 101 || step.version > 109);
    await migrate(client, { schema, migrations: before });
    // Rows as the store wrote them before migration 101.
    await client.query(
      `INSERT INTO "${schema}".events (stream_name, stream_version, event_id, event_type, data, metadata, recorded_at)
       SELECT 'old', n, 'old-' || n, 'Old', jsonb_build_object('n', n), '{}', now() FROM generate_series(1, 5) AS n`,
    );
    const applied = await migrate(client, { schema });
    expect(applied.applied.map((step) => step.version)).toEqual([101, 102, 103, 104, 105, 106]);
    const store = new PostgresEventStore(client, { schema });
    const old = await collect(store.readAll());
    expect(old.map((event) => [event.globalPosition, event.streamVersion])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
    ]);
    const next = await store.appendToStream('old', [{ type: 'New', data: {} }], { expectedVersion: 5 });
    expect(next.lastPosition).toBe(6);
    expect(next.events[0]!.recordedAt.getTime()).toBeGreaterThanOrEqual(old[4]!.recordedAt.getTime());
    expect((await collect(store.readAll({ fromPosition: 5 }))).map((event) => event.type)).toEqual([
      'Old',
      'New',
    ]);
  });
});

describe('upgrading a schema made with the append function of migration 101', () => {
  it('keeps its events, positions, gates and registers, and appends after them', async () => {
    const schema = uniqueName('keel_up102');
    await migrate(client, { schema, migrations: KEEL_MIGRATIONS.filter((step) => step.version !== 102) });
    // Appends as the store made them under 101: the 9-argument function in its own transaction.
    const append101 = (executor: SqlExecutor, stream: string, types: string[]) =>
      executor.query(`SELECT * FROM "${schema}".append_events($1, 'any', NULL, $2, $3, $4, $5, $6, NULL)`, [
        stream,
        types.map((type) => `${schema}-${stream}-${type}`),
        types,
        types.map(() => '{}'),
        types.map(() => '{}'),
        Date.now() * 1000,
      ]);
    await append101(client, 's-1', ['A', 'B']);
    // A rolled-back append leaves a hole, as it did under 101.
    await client
      .transaction(async (tx) => {
        await append101(tx, 's-2', ['Lost']);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    const old = new PostgresEventStore(client, { schema });
    const before = await collect(old.readAll());
    expect((await migrate(client, { schema })).applied.map((step) => step.version)).toEqual([102]);
    const store = new PostgresEventStore(client, { schema });
    expect(await collect(store.readAll())).toEqual(before);
    const next = await store.appendToStream('s-1', [{ type: 'C', data: {} }], { expectedVersion: 2 });
    expect(next.lastPosition).toBe(4);
    expect(next.events[0]!.recordedAt.getTime()).toBeGreaterThanOrEqual(before[1]!.recordedAt.getTime());
    expect((await collect(store.readAll())).map((event) => [event.type, event.globalPosition])).toEqual([
      ['A', 1],
      ['B', 2],
      ['C', 4],
    ]);
    await expect(
      store.appendToStream('s-1', [{ type: 'D', data: {} }], { expectedVersion: 2 }),
    ).rejects.toMatchObject({ expected: 2, actual: 3 });
    // A process still running the older code appends through the 9-argument form meanwhile.
    await append101(client, 's-3', ['Older']);
    expect((await collect(store.readAll({ fromPosition: 5 }))).map((event) => event.type)).toEqual(['Older']);
  });
});

describe('repairEventGates', () => {
  it('makes rows restored from another cluster readable again, and does nothing on a healthy store', async () => {
    const schema = await freshSchema(client);
    const store = new PostgresEventStore(client, { schema });
    await store.appendToStream('s-1', [{ type: 'A', data: {} }]);
    await client
      .transaction(async (tx) => {
        await new PostgresEventStore(tx, { schema }).appendToStream('s-1', [{ type: 'Lost', data: {} }]);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await store.appendToStream('s-1', [{ type: 'B', data: {} }]);
    expect(await repairEventGates(client, { schema })).toEqual({ repaired: 0 });
    // What a restore into a younger cluster looks like: gates ahead of its transaction ids.
    await client.query(`UPDATE "${schema}".events SET gate_xid = 1000000000000`);
    await client.query(`SELECT setval('"${schema}".events_gate', 1000000000000)`);
    // The rolled-back position can no longer be told from an append still open.
    expect((await collect(store.readAll())).map((event) => event.type)).toEqual(['A']);
    expect(await repairEventGates(client, { schema })).toEqual({ repaired: 2 });
    expect((await collect(store.readAll())).map((event) => event.type)).toEqual(['A', 'B']);
    await store.appendToStream('s-1', [{ type: 'C', data: {} }]);
    expect((await collect(store.readAll())).map((event) => event.type)).toEqual(['A', 'B', 'C']);
  });
});
