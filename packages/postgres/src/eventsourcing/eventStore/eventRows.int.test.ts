import { serviceAvailable } from '@keel/test-services';
import { collect } from '@keel/eventsourcing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlSchema } from '../../client/identifiers.js';
import type { SqlClient, SqlExecutor } from '../../client/sqlClient.js';
import { createTestPg, dropSchemas, freshSchema } from '../../internal/testDatabase.fixture.js';
import { allPageQuery } from './eventRows.js';
import { PostgresEventStore } from './postgresEventStore.js';

const up = await serviceAvailable('postgres');
const LIMITS = [1, 2, 3, 5, 8, 13, 100];
/** Every held append, so a failed test still ends them (an open one would hold up closing the pool). */
const holding: HeldAppend[] = [];

/** An append held open in its own transaction until `end` commits or rolls it back. */
interface HeldAppend {
  end(outcome: 'commit' | 'rollback'): Promise<void>;
}

async function holdAppend(
  client: SqlClient,
  schema: string,
  stream: string,
  count: number,
): Promise<HeldAppend> {
  let finish!: (outcome: 'commit' | 'rollback') => void;
  const decided = new Promise<'commit' | 'rollback'>((resolve) => (finish = resolve));
  let drawn!: () => void;
  const owning = new Promise<void>((resolve) => (drawn = resolve));
  const done = client
    .transaction(async (tx) => {
      const events = Array.from({ length: count }, (_, n) => ({ type: 'Held', data: { n } }));
      await new PostgresEventStore(tx, { schema }).appendToStream(stream, events);
      drawn();
      if ((await decided) === 'rollback') throw new Error('rolled back on purpose');
    })
    .catch(() => undefined);
  await owning;
  const held: HeldAppend = {
    end: async (outcome) => {
      finish(outcome);
      await done;
    },
  };
  holding.push(held);
  return held;
}

/** The positions of every page (each start, each limit) by the store's query and by the function's bound. */
async function pagesBothWays(executor: SqlExecutor, schema: string, head: number) {
  const { quoted } = sqlSchema(schema);
  const table = sqlSchema(schema).table('events');
  const ours: number[][] = [];
  const reference: number[][] = [];
  for (let from = 0; from <= head + 1; from++) {
    for (const limit of LIMITS) {
      const { sql, params } = allPageQuery(table, quoted, from, limit, undefined);
      ours.push(
        (await executor.query<{ global_position: number }>(sql, params)).rows.map(
          (row) => row.global_position,
        ),
      );
      const { rows } = await executor.query<{ global_position: number }>(
        `SELECT global_position FROM ${table}
         WHERE global_position >= $1 AND global_position < ${quoted}.events_settled_bound(greatest($1::bigint, 1))
         ORDER BY global_position LIMIT $2`,
        [from, limit],
      );
      reference.push(rows.map((row) => row.global_position));
    }
  }
  return { ours, reference };
}

describe.runIf(up)('the unfiltered page of a global read', () => {
  const schemas: string[] = [];
  let client: SqlClient;
  beforeAll(() => {
    client = createTestPg(8);
  });
  afterAll(async () => {
    await Promise.all(holding.map((held) => held.end('rollback')));
    await dropSchemas(client, schemas);
    await client.close();
  });

  it('cuts every page where events_settled_bound cuts it, with appends held open, committed and rolled back', async () => {
    const schema = await freshSchema(client);
    schemas.push(schema);
    const store = new PostgresEventStore(client, { schema });
    const append = (stream: string, count: number) =>
      store.appendToStream(
        stream,
        Array.from({ length: count }, (_, n) => ({ type: 'Done', data: { n } })),
      );
    await append('before', 12);
    const first = await holdAppend(client, schema, 'held-1', 2);
    await append('between-1', 3);
    const second = await holdAppend(client, schema, 'held-2', 1);
    await append('between-2', 2);
    await (await holdAppend(client, schema, 'rolled-back', 2)).end('rollback');
    const last = await append('after', 4);
    const compare = async () => {
      // One snapshot for both queries: a transaction elsewhere in the database may end in between.
      const { ours, reference } = await client.transaction(
        (tx) => pagesBothWays(tx, schema, last.lastPosition),
        { isolation: 'repeatable read' },
      );
      expect(ours).toEqual(reference);
      return ours;
    };
    // While the first append is open, nothing at or after its positions is settled.
    const open = await compare();
    expect(open[LIMITS.length - 1]).toEqual(Array.from({ length: 12 }, (_, n) => n + 1));
    await first.end('commit');
    await compare();
    await second.end('rollback');
    await compare();
    expect((await collect(store.readAll())).length).toBeGreaterThan(12);
  });

  it('reads with an empty filter exactly what it reads with none', async () => {
    const schema = await freshSchema(client);
    schemas.push(schema);
    const store = new PostgresEventStore(client, { schema });
    await store.appendToStream('a', [
      { type: 'A', data: {} },
      { type: 'B', data: {} },
    ]);
    const held = await holdAppend(client, schema, 'held', 1);
    await store.appendToStream('c', [{ type: 'C', data: {} }]);
    const types = async (filter?: object) =>
      (await collect(store.readAll({ pageSize: 1, ...(filter === undefined ? {} : { filter }) }))).map(
        (event) => event.type,
      );
    expect(await types({})).toEqual(['A', 'B']);
    expect(await types({})).toEqual(await types());
    await held.end('commit');
  });
});
