import { collect } from '@keel/eventsourcing';
import { createPostgresWithReplica, migrate, PostgresEventStore, waitForPosition } from '@keel/postgres';

// Writes, locks and LISTEN go to KEEL_PG_URL; reads of the global log to KEEL_PG_READ_URL.
const db = await createPostgresWithReplica({
  url: process.env.KEEL_PG_URL,
  readUrl: process.env.KEEL_PG_READ_URL,
});
await migrate(db.primary);
await db.waitForReplica(); // the replica has the tables too before anything reads there
const store = new PostgresEventStore(db.primary, { readClient: db.replica, pollIntervalMs: 100 });

// Read your own append on the replica: wait until the replica's log shows its position.
const placed = [{ type: 'OrderPlaced', data: { total: 42 } }];
const { lastPosition } = await store.appendToStream('order-1', placed);
await waitForPosition(store, lastPosition, { timeoutMs: 2000 });
const seen = await collect(store.readAll({ fromPosition: lastPosition }));
console.log(seen.map((event) => event.type)); // ['OrderPlaced']

// Read your own write to any table on the replica: wait until it replayed the primary's WAL.
await db.primary.exec('CREATE TABLE IF NOT EXISTS order_totals (id text PRIMARY KEY, total int)');
await db.primary.query('INSERT INTO order_totals VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET total = $2', [
  'order-1',
  42,
]);
await db.waitForReplica(await db.primaryLsn(), { timeoutMs: 2000 });
const { rows } = await db.replica.query('SELECT total FROM order_totals WHERE id = $1', ['order-1']);
console.log(rows); // [{ total: 42 }]

export const shutdown = (): Promise<void> => db.close();
