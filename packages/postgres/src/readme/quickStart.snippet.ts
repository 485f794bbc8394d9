import { createEvent, newId } from '@keel/core';
import { createEventBus } from '@keel/cqrs';
import { createPostgres, migrate, PostgresOutbox } from '@keel/postgres';
import { PostgresSagaStore } from '@keel/postgres/saga';
import { defineSaga, SagaOrchestrator } from '@keel/saga';

// Embedded PGlite (persisted to dataDir) unless KEEL_PG_URL points at a server.
const db = await createPostgres({ url: process.env.KEEL_PG_URL, dataDir: './.data/keel' });
await migrate(db); // creates or upgrades every table in schema "keel"; idempotent
await db.exec(
  'CREATE SCHEMA IF NOT EXISTS shop; CREATE TABLE IF NOT EXISTS shop.orders (id text PRIMARY KEY)',
);

const eventBus = createEventBus<{ OrderPlaced: { orderId: string } }>();
eventBus.subscribe('OrderPlaced', (event) => console.log(`placed ${event.data.orderId}`));
const outbox = new PostgresOutbox(db);
const orderId = newId();
await db.transaction(async (tx) => {
  await tx.query('INSERT INTO shop.orders (id) VALUES ($1)', [orderId]); // your business change
  await outbox.enqueue(tx, [createEvent('OrderPlaced', { orderId })]); // same transaction
});
const relay = outbox.createRelay(eventBus); // any EventPublisher: cqrs EventBus, EventTransport
relay.start(); // publishes at least once, in order, retrying with backoff

const placeOrder = defineSaga('place-order').step('confirm', { run: () => 'confirmed' });
const sagas = new SagaOrchestrator(new PostgresSagaStore(db), [placeOrder]);
const outcome = await sagas.start('place-order', undefined, { sagaId: `order-${orderId}` });
console.log(outcome.status); // completed

// At shutdown: the relay finishes its round, then everything closes.
await relay.stop();
await sagas.close();
await db.close();
