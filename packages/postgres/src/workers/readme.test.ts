import { createEvent, eventPublisher, runWorkers } from '@keel/core';
import type { Message } from '@keel/core';
import { defineProjection } from '@keel/eventsourcing';
import { expect, it } from 'vitest';
import { createTestPglite } from '../internal/testDatabase.js';
import {
  migrate,
  OutboxRelayWorker,
  PostgresEventStore,
  PostgresOutbox,
  ProjectionDaemon,
} from '../index.js';
import { eventually } from './daemon.fixture.js';

it('runs the README workers section as written', async () => {
  const db = await createTestPglite();
  try {
    await migrate(db);
    const store = new PostgresEventStore(db, { pollIntervalMs: 20 });
    const seen: number[] = [];
    const balances = defineProjection<{ type: 'Deposited'; data: { cents: number } }>({
      name: 'balances',
      handlers: { Deposited: (event) => void seen.push(event.data.cents) },
    });
    const history = defineProjection<{ type: 'Deposited'; data: { cents: number } }>({
      name: 'history',
      handlers: { Deposited: () => {} },
    });
    const published: Message[] = [];
    const eventBus = eventPublisher(async (events: readonly Message[]) => void published.push(...events));
    await store.appendToStream('account-1', [
      { type: 'Deposited', data: { cents: 5 } },
      { type: 'Deposited', data: { cents: 7 } },
    ]);
    await new PostgresOutbox(db).enqueue(db, [createEvent('Deposited', { cents: 5 })]);

    // --- kept in sync with the "Production workers" section of README.md ---
    const daemon = new ProjectionDaemon(db, store, [
      balances,
      { projection: history, runner: { batchSize: 50 } },
    ]);
    const relay = new OutboxRelayWorker(db, eventBus, { topic: 'default' });
    const host = runWorkers([daemon, relay]); // from @keel/core: starts both, health, SIGTERM wiring
    await host.whenStarted();
    // --- end of the README section (the figures below wait for the background work) ---

    await eventually(() => seen.length === 2 && published.length === 1, 'caught up and published');
    expect(daemon.projections()[0]).toMatchObject({ name: 'balances', owned: true, status: 'running' });
    expect(relay.health().details).toMatchObject({ owner: true, published: 1 });
    await host.stop({ deadline: 5_000 });
    expect(daemon.health().status).toBe('stopped');
  } finally {
    await db.close();
  }
});
