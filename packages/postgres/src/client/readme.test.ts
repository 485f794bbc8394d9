import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEvent, eventPublisher } from '@keel/core';
import type { Message } from '@keel/core';
import { defineSaga, SagaOrchestrator } from '@keel/saga';
import { describe, expect, it } from 'vitest';
import { createPostgres, migrate, PostgresOutbox, PostgresSagaStore } from '../index.js';

describe('README quick start', () => {
  it('runs as written', async () => {
    const published: Message[] = [];
    const eventBus = eventPublisher(async (events: readonly Message[]) => void published.push(...events));
    const placeOrder = defineSaga('place-order').step('confirm', { run: () => 'confirmed' });
    const dataDir = await mkdtemp(join(tmpdir(), 'keel-readme-'));
    const process = { env: { KEEL_PG_URL: undefined } };
    const setUp = async (db: Awaited<ReturnType<typeof createPostgres>>) =>
      db.exec('CREATE SCHEMA shop; CREATE TABLE shop.orders (id text PRIMARY KEY);');

    // --- quick start (kept in sync with README.md; dataDir is a temporary directory here) ---
    const db = await createPostgres({ url: process.env.KEEL_PG_URL, dataDir });
    await migrate(db); // creates or upgrades every table in schema "keel"; idempotent
    await setUp(db);

    const outbox = new PostgresOutbox(db);
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO shop.orders (id) VALUES ($1)', ['o-1']); // your business change
      await outbox.enqueue(tx, [createEvent('OrderPlaced', { orderId: 'o-1' })]); // same transaction
    });
    const relay = outbox.createRelay(eventBus); // any EventPublisher: cqrs EventBus, EventTransport
    relay.start(); // publishes at least once, in order, retrying with backoff

    const sagas = new SagaOrchestrator(new PostgresSagaStore(db), [placeOrder]);
    // --- end ---

    await expect.poll(() => published.map((event) => event.type)).toEqual(['OrderPlaced']);
    expect((await sagas.start('place-order', undefined, { sagaId: 'order-o-1' })).status).toBe('completed');
    await relay.stop();
    await sagas.close();
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  });
});
