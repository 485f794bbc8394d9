import { createEvent, eventPublisher, runWorkers } from '@keel/core';
import { defineProjection } from '@keel/eventsourcing';
import {
  createPostgres,
  migrate,
  OutboxRelayWorker,
  PostgresEventStore,
  PostgresOutbox,
  ProjectionDaemon,
} from '@keel/postgres';

type Deposited = { type: 'Deposited'; data: { cents: number } };
const db = await createPostgres({ url: process.env.KEEL_PG_URL });
await migrate(db);
const store = new PostgresEventStore(db);
await store.appendToStream('account-1', [{ type: 'Deposited', data: { cents: 5 } }]);
await new PostgresOutbox(db).enqueue(db, [createEvent('Deposited', { cents: 5 })]);
const balances = defineProjection<Deposited>({
  name: 'balances',
  handlers: { Deposited: (e) => console.log(`balance +${e.data.cents}`) },
});
const history = defineProjection<Deposited>({ name: 'history', handlers: { Deposited: () => {} } });
const eventBus = eventPublisher(async (events) => console.log(`published ${events.length}`));

const daemon = new ProjectionDaemon(db, store, [
  balances,
  { projection: history, runner: { batchSize: 50 } },
]);
const relay = new OutboxRelayWorker(db, eventBus, { topic: 'default' });
const host = runWorkers([daemon, relay]); // from @keel/core: starts both, health, SIGTERM wiring
await host.whenStarted();
console.log(daemon.projections()); // [{ name: 'balances', owned: true, status: 'running', checkpoint: 1, lag: 0, … }, …]
console.log(relay.health().details); // { owner: true, backlog: 0, oldestAgeMs: undefined, published: 1, … }

// At shutdown (runWorkers also stops the host on SIGTERM):
export async function shutdown(): Promise<void> {
  await host.stop({ deadline: 5_000 });
  await db.close();
}
