import { NO_STREAM } from '@keel/eventsourcing';
import {
  createPostgres,
  migrate,
  PostgresEventStore,
  PostgresSnapshotStore,
  PostgresCheckpointStore,
  defineInlineProjection,
} from '@keel/postgres';

const db = await createPostgres({ url: process.env.KEEL_PG_URL });
await migrate(db); // events, snapshots, checkpoints, dead_letters
await db.exec('CREATE TABLE IF NOT EXISTS balances (id text PRIMARY KEY, cents integer NOT NULL)');
const balances = defineInlineProjection<{ type: 'Deposited'; data: { cents: number } }>({
  name: 'balances',
  handlers: {
    Deposited: (e, tx) =>
      tx.query(
        'INSERT INTO balances VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET cents = balances.cents + $2',
        [e.streamName, e.data.cents],
      ),
  },
});
const store = new PostgresEventStore(db, { inlineProjections: [balances] });
await store.appendToStream('account-1', [{ type: 'Deposited', data: { cents: 500 } }], {
  expectedVersion: NO_STREAM,
});
for await (const event of store.readAll({ fromPosition: 1 })) console.log(event.globalPosition, event.type);
console.log((await db.query('SELECT cents FROM balances')).rows); // [ { cents: 500 } ]
const snapshots = new PostgresSnapshotStore(db); // hand to EventSourcedRepository / aggregateStream
const checkpoints = new PostgresCheckpointStore(db); // hand to ProjectionRunner
console.log(await snapshots.load('account-1'), await checkpoints.load('balances')); // none saved yet
await db.close();
