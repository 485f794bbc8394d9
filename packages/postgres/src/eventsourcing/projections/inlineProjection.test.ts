import { collect, NO_STREAM } from '@keel/eventsourcing';
import type { RecordedEvent } from '@keel/eventsourcing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../client/sqlClient.js';
import { PostgresEventStore } from '../eventStore/postgresEventStore.js';
import { createTestPglite, freshSchema } from '../../internal/testDatabase.fixture.js';
import { defineInlineProjection } from './inlineProjection.js';

type AccountEvent =
  { type: 'Opened'; data: { owner: string } } | { type: 'Deposited'; data: { cents: number } };

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

async function setUp(failOn?: number) {
  const schema = await freshSchema(client);
  const table = `"${schema}".balances`;
  await client.query(`CREATE TABLE ${table} (id text PRIMARY KEY, owner text, cents integer NOT NULL)`);
  const balances = defineInlineProjection<AccountEvent>({
    name: 'balances',
    handlers: {
      Opened: (event, tx) =>
        tx.query(`INSERT INTO ${table} (id, owner, cents) VALUES ($1, $2, 0)`, [
          event.streamName,
          event.data.owner,
        ]),
      Deposited: async (event, tx) => {
        await tx.query(`UPDATE ${table} SET cents = cents + $2 WHERE id = $1`, [
          event.streamName,
          event.data.cents,
        ]);
        if (event.data.cents === failOn) throw new Error(`refusing ${failOn}`);
      },
    },
  });
  const store = new PostgresEventStore(client, { schema, inlineProjections: [balances] });
  const balance = async (id: string) =>
    (await client.query<{ cents: number }>(`SELECT cents FROM ${table} WHERE id = $1`, [id])).rows[0]?.cents;
  return { store, balance };
}

describe('inline projections of PostgresEventStore', () => {
  it('writes the read model in the append transaction', async () => {
    const { store, balance } = await setUp();
    await store.appendToStream(
      'acc-1',
      [
        { type: 'Opened', data: { owner: 'Ada' } },
        { type: 'Deposited', data: { cents: 500 } },
      ],
      { expectedVersion: NO_STREAM },
    );
    await store.appendToStream('acc-1', [{ type: 'Deposited', data: { cents: 250 } }], {
      expectedVersion: 2,
    });
    expect(await balance('acc-1')).toBe(750);
  });

  it('rolls back the events and the read model together when the projection throws', async () => {
    const { store, balance } = await setUp(13);
    await store.appendToStream('acc-1', [{ type: 'Opened', data: { owner: 'Ada' } }]);
    await expect(
      store.appendToStream('acc-1', [
        { type: 'Deposited', data: { cents: 100 } },
        { type: 'Deposited', data: { cents: 13 } },
      ]),
    ).rejects.toThrow('refusing 13');
    expect(await balance('acc-1')).toBe(0);
    expect(await store.streamVersion('acc-1')).toBe(1);
    expect((await collect(store.readAll())).map((event) => event.type)).toEqual(['Opened']);
  });

  it('does not run again for an idempotent retry of the same events', async () => {
    const { store, balance } = await setUp();
    const batch = [
      { type: 'Opened', data: { owner: 'Ada' }, eventId: '0190a8a0-0000-7000-8000-0000000000a1' },
      { type: 'Deposited', data: { cents: 40 }, eventId: '0190a8a0-0000-7000-8000-0000000000a2' },
    ];
    await store.appendToStream('acc-1', batch, { expectedVersion: NO_STREAM });
    const again = await store.appendToStream('acc-1', batch, { expectedVersion: NO_STREAM });
    expect(again.appended).toBe(false);
    expect(await balance('acc-1')).toBe(40);
  });

  it('appends events whose types are Object.prototype keys and runs only their own handlers', async () => {
    const schema = await freshSchema(client);
    const seen: string[] = [];
    const record = (event: RecordedEvent): void => void seen.push(`${event.type}:${event.streamVersion}`);
    const keys = defineInlineProjection<{ type: string; data: unknown }>({
      name: 'keys',
      handlers: { ['__proto__']: record, constructor: record },
    });
    const store = new PostgresEventStore(client, { schema, inlineProjections: [keys] });
    const types = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'Plain'];
    await store.appendToStream(
      'acc-1',
      types.map((type) => ({ type, data: {} })),
    );
    expect(seen).toEqual(['__proto__:1', 'constructor:2']);
    expect((await collect(store.readStream('acc-1'))).map((event) => event.type)).toEqual(types);
  });
});
