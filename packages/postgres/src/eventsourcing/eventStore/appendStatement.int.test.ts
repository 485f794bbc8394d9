import { serviceAvailable, uniqueName } from '@keel/test-services';
import { collect, NO_STREAM } from '@keel/eventsourcing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlSchema } from '../../client/identifiers.js';
import type { SqlClient, SqlExecutor } from '../../client/sqlClient.js';
import {
  createTestPg,
  createTestPglite,
  dropSchemas,
  freshSchema,
} from '../../internal/testDatabase.fixture.js';
import { KEEL_MIGRATIONS } from '../../migrations/migrationRegistry.js';
import { migrate } from '../../migrations/migrate.js';
import { appendStatement } from './appendEvents.js';
import { PostgresEventStore } from './postgresEventStore.js';

const up = await serviceAvailable('postgres');

/** How many times each connection that `executor` reaches ran the schema's prepared append. */
async function preparedRuns(executor: SqlExecutor, schema: string): Promise<number[]> {
  const { rows } = await executor.query<{ runs: unknown }>(
    'SELECT generic_plans + custom_plans AS runs FROM pg_prepared_statements WHERE name = $1',
    [appendStatement(sqlSchema(schema)).name],
  );
  return rows.map((row) => Number(row.runs));
}

describe('appendStatement', () => {
  it('names each schema apart, within the 63 bytes of a statement name', () => {
    const long = 'a'.repeat(60);
    const names = [long, `${long}b`, 'keel', 'shop'].map((name) => appendStatement(sqlSchema(name)).name);
    expect(new Set(names).size).toBe(4);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(63);
    expect(appendStatement(sqlSchema('shop')).name).toBe('keel_append_to_stream_shop');
  });
});

describe.runIf(up)('the prepared append on PostgreSQL', () => {
  const schemas: string[] = [];
  let client: SqlClient;
  beforeAll(() => {
    client = createTestPg(2);
  });
  afterAll(async () => {
    await dropSchemas(client, schemas);
    await client.close();
  });

  it('is prepared once per pooled connection and reused by every later append', async () => {
    const schema = await freshSchema(client);
    schemas.push(schema);
    const store = new PostgresEventStore(client, { schema, notify: false });
    for (let round = 0; round < 10; round++) {
      // Two appends at a time, so both pooled connections are used.
      await Promise.all(
        ['a', 'b'].map((stream) =>
          store.appendToStream(stream, [{ type: 'Counted', data: { round } }], {
            expectedVersion: round === 0 ? NO_STREAM : round,
          }),
        ),
      );
    }
    // Two transactions held open together sit on the two connections.
    const runs: number[][] = [];
    let arrived = 0;
    let bothIn!: () => void;
    const both = new Promise<void>((resolve) => (bothIn = resolve));
    await Promise.all(
      [0, 1].map(() =>
        client.transaction(async (tx) => {
          runs.push(await preparedRuns(tx, schema));
          if (++arrived === 2) bothIn();
          await both;
        }),
      ),
    );
    expect(runs.map((connection) => connection.length)).toEqual([1, 1]);
    expect(runs.flat().reduce((sum, count) => sum + count, 0)).toBe(20);
    expect(Math.min(...runs.flat())).toBeGreaterThan(0);
  });

  it('runs prepared in a caller transaction too, and commits with it', async () => {
    const schema = await freshSchema(client);
    schemas.push(schema);
    const runs = await client.transaction(async (tx) => {
      const store = new PostgresEventStore(tx, { schema });
      await store.appendToStream('t', [{ type: 'One', data: 1 }], { expectedVersion: NO_STREAM });
      await store.appendToStream('t', [{ type: 'Two', data: 2 }], { expectedVersion: 1 });
      return preparedRuns(tx, schema);
    });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toBeGreaterThanOrEqual(2);
    const read = await collect(new PostgresEventStore(client, { schema }).readStream('t'));
    expect(read.map((event) => [event.type, event.streamVersion])).toEqual([
      ['One', 1],
      ['Two', 2],
    ]);
  });

  it('keeps a schema made by migration 102 appending and reading with the same positions', async () => {
    const schema = uniqueName('keel_t');
    schemas.push(schema);
    const before = KEEL_MIGRATIONS.filter((step) => step.version < 103 || step.version > 109);
    await migrate(client, { schema, migrations: before, stores: ['eventStore'] });
    const events = `${sqlSchema(schema).quoted}.append_events`;
    // What a process still running the 102 code sends (the 10-argument form).
    const old = (stream: string, kind: string, expected: number | null, id: string) =>
      client.query(
        `SELECT * FROM ${events}($1, $2, $3, $4::text[], $5::text[], $6::text[], $7::text[], $8, NULL, false)`,
        [stream, kind, expected, [id], ['Old'], [JSON.stringify({ id })], ['{}'], Date.now() * 1000],
      );
    await old('x', 'no_stream', null, 'old-1');
    await old('y', 'no_stream', null, 'old-2');
    await old('x', 'exact', 1, 'old-3');
    const store = new PostgresEventStore(client, { schema, notify: false });
    const earlier = await collect(store.readAll());

    const migrated = await migrate(client, { schema, stores: ['eventStore'] });
    expect(migrated.applied.map((step) => step.version)).toEqual([103, 104, 105, 106]);
    // 106: the append functions plan their statements once per session, on their indexes.
    const { rows: settings } = await client.query<{ args: number; config: string[] }>(
      `SELECT pronargs AS args, proconfig AS config FROM pg_proc
       WHERE pronamespace = $1::regnamespace AND proname IN ('append_to_stream', 'append_to_streams')
       ORDER BY proname, pronargs`,
      [schema],
    );
    expect(
      settings.map((row) => [row.args, row.config.includes('plan_cache_mode=force_generic_plan')]),
    ).toEqual([
      [10, true],
      [10, false],
      [11, true],
    ]);
    for (const row of settings) expect(row.config).toContain('enable_seqscan=off');
    expect(await collect(store.readAll())).toEqual(earlier);

    const result = await store.appendToStream('x', [{ type: 'New', data: { n: 1 } }], { expectedVersion: 2 });
    expect(result.events.map((event) => [event.streamVersion, event.globalPosition])).toEqual([[3, 4]]);
    // Rolling deploy: the older forms stay callable, on the same positions and versions.
    await old('x', 'exact', 3, 'old-4');
    await client.query(
      `SELECT * FROM ${events}($1, 'exact', 1, $2::text[], $3::text[], $4::text[], $5::text[], $6, NULL)`,
      ['y', ['old-5'], ['Old'], ['{}'], ['{}'], Date.now() * 1000],
    );
    await store.appendToStream('y', [{ type: 'New', data: { n: 2 } }], { expectedVersion: 2 });
    // A process running the 105 code groups appends through the 10-argument append_to_streams.
    const grouped = await client.query<{ r: string }>(
      `SELECT ${sqlSchema(schema).quoted}.append_to_streams($1::text[], $2::text[], $3::bigint[], $4::integer[],
         $5::bigint[], $6::integer[], $7::text[], $8::text[], $9::text[], $10::text[]) AS r`,
      [['z'], ['no_stream'], [null], [1], [Date.now() * 1000], [1], ['old-6'], ['Old'], ['{}'], ['{}']],
    );
    expect(grouped.rows[0]!.r).toMatch(/^appended 1 8 /);

    const all = await collect(store.readAll());
    expect(all.slice(0, 3)).toEqual(earlier);
    expect(
      all.map((event) => [event.globalPosition, event.streamName, event.streamVersion, event.type]),
    ).toEqual([
      [1, 'x', 1, 'Old'],
      [2, 'y', 1, 'Old'],
      [3, 'x', 2, 'Old'],
      [4, 'x', 3, 'New'],
      [5, 'x', 4, 'Old'],
      [6, 'y', 2, 'Old'],
      [7, 'y', 3, 'New'],
      [8, 'z', 1, 'Old'],
    ]);
    expect(await store.streamVersion('x')).toBe(4);
  });
});

describe('the prepared append on PGlite', () => {
  it('appends, reads back and reports conflicts (PGlite has no prepared statements: the name is ignored)', async () => {
    const client = await createTestPglite();
    try {
      const schema = await freshSchema(client);
      const store = new PostgresEventStore(client, { schema });
      await store.appendToStream('p', [{ type: 'A', data: { a: 1 } }], { expectedVersion: NO_STREAM });
      const second = await store.appendToStream(
        'p',
        [
          { type: 'B', data: 2 },
          { type: 'C', data: 3 },
        ],
        {
          expectedVersion: 1,
        },
      );
      expect(second.events.map((event) => [event.streamVersion, event.globalPosition])).toEqual([
        [2, 2],
        [3, 3],
      ]);
      await expect(
        store.appendToStream('p', [{ type: 'D', data: 4 }], { expectedVersion: 1 }),
      ).rejects.toMatchObject({ code: 'CONCURRENCY_CONFLICT' });
      expect((await collect(store.readStream('p'))).map((event) => event.type)).toEqual(['A', 'B', 'C']);
    } finally {
      await client.close();
    }
  });
});
