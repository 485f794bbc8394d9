import { isValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { createCommandHandler } from '../decider/commandHandler.js';
import { isUnknownSchemaVersionError } from '../errors/errors.js';
import { collect } from '../eventStore/collect.js';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore.js';
import { ProjectionRunner } from '../projections/projectionRunner.js';
import { createUpcaster } from './upcaster.js';
import { withUpcasting } from './withUpcasting.js';

// v1: { amount } in euros; v2: { cents }; v3: { cents, currency }.
const upcaster = createUpcaster({
  Deposited: [
    (v1: { amount: number }) => ({ cents: v1.amount * 100 }),
    (v2: { cents: number }) => ({ ...v2, currency: 'EUR' }),
  ],
});

async function storeWithOldEvents() {
  const raw = new InMemoryEventStore();
  await raw.appendToStream('wallet-1', [
    { type: 'Opened', data: { owner: 'Ada' } },
    { type: 'Deposited', data: { amount: 2 } },
    { type: 'Deposited', data: { cents: 150 }, metadata: { schemaVersion: 2 } },
  ]);
  return { raw, store: withUpcasting(raw, upcaster) };
}

describe('upcasting', () => {
  it('knows the current schema version of each type', () => {
    expect(upcaster.currentVersion('Deposited')).toBe(3);
    expect(upcaster.currentVersion('Opened')).toBe(1);
  });

  it('upcasts old events through the rest of their chain on read and records the version', async () => {
    const { store } = await storeWithOldEvents();
    const events = await collect(store.readStream('wallet-1'));
    expect(events.map((event) => event.data)).toEqual([
      { owner: 'Ada' },
      { cents: 200, currency: 'EUR' },
      { cents: 150, currency: 'EUR' },
    ]);
    expect(events[1]!.metadata).toEqual({ schemaVersion: 3 });
  });

  it('returns events of types without a chain unchanged', async () => {
    const { raw, store } = await storeWithOldEvents();
    const [rawOpened] = await collect(raw.readStream('wallet-1'));
    const [opened] = await collect(store.readStream('wallet-1'));
    expect(opened).toEqual(rawOpened);
    expect(upcaster.upcast(rawOpened!)).toBe(rawOpened);
  });

  it('stamps appended events with the current schema version', async () => {
    const { raw, store } = await storeWithOldEvents();
    await store.appendToStream('wallet-1', [{ type: 'Deposited', data: { cents: 1, currency: 'EUR' } }]);
    const [last] = await collect(raw.readStream('wallet-1', { direction: 'backward', maxCount: 1 }));
    expect(last!.metadata).toEqual({ schemaVersion: 3 });
  });

  it('upcasts global reads and subscriptions too', async () => {
    const { store } = await storeWithOldEvents();
    const all = await collect(store.readAll({ filter: { eventTypes: ['Deposited'] } }));
    expect(all.map((event) => event.data)).toEqual([
      { cents: 200, currency: 'EUR' },
      { cents: 150, currency: 'EUR' },
    ]);
    for await (const event of store.subscribeToStream('wallet-1', { fromVersion: 2 })) {
      expect(event.data).toEqual({ cents: 200, currency: 'EUR' });
      break;
    }
  });

  it('feeds deciders the newest shape', async () => {
    const { store } = await storeWithOldEvents();
    type State = { cents: number };
    const handle = createCommandHandler(store, {
      initialState: (): State => ({ cents: 0 }),
      evolve: (state: State, event: { type: string; data: unknown }) =>
        event.type === 'Deposited' ? { cents: state.cents + (event.data as { cents: number }).cents } : state,
      decide: () => [],
    });
    expect((await handle('wallet-1', {})).state.cents).toBe(350);
  });

  it('feeds projections the newest shape', async () => {
    const { store } = await storeWithOldEvents();
    const seen: unknown[] = [];
    const runner = new ProjectionRunner(store, { name: 'p', handle: (event) => void seen.push(event.data) });
    await runner.catchUp();
    expect(seen.slice(1)).toEqual([
      { cents: 200, currency: 'EUR' },
      { cents: 150, currency: 'EUR' },
    ]);
  });

  it('refuses an event newer than the newest known version', async () => {
    const raw = new InMemoryEventStore();
    await raw.appendToStream('wallet-1', [{ type: 'Deposited', data: {}, metadata: { schemaVersion: 4 } }]);
    const error = await collect(withUpcasting(raw, upcaster).readAll()).catch((caught: unknown) => caught);
    expect(isUnknownSchemaVersionError(error)).toBe(true);
    expect((error as Error).message).toMatch(/schema version 4 but the newest known is 3/);
  });

  it('keeps an explicit older schema version on append, so old-shaped events can be imported', async () => {
    const { raw, store } = await storeWithOldEvents();
    const result = await store.appendToStream('wallet-2', [
      { type: 'Deposited', data: { amount: 3 }, metadata: { schemaVersion: 1, source: 'import' } },
    ]);
    expect(result.events[0]!.data).toEqual({ cents: 300, currency: 'EUR' });
    const [stored] = await collect(raw.readStream('wallet-2'));
    expect(stored!.metadata).toEqual({ schemaVersion: 1, source: 'import' });
  });

  it('refuses an explicit schema version newer than the chains or malformed, appending nothing', async () => {
    const { raw, store } = await storeWithOldEvents();
    const newer = await store
      .appendToStream('wallet-2', [{ type: 'Deposited', data: {}, metadata: { schemaVersion: 4 } }])
      .catch((caught: unknown) => caught);
    expect(isUnknownSchemaVersionError(newer)).toBe(true);
    for (const schemaVersion of [0, 1.5, '2', null]) {
      const error = await store
        .appendToStream('wallet-2', [{ type: 'Deposited', data: {}, metadata: { schemaVersion } }])
        .catch((caught: unknown) => caught);
      expect(isValidationError(error)).toBe(true);
    }
    expect(await raw.streamVersion('wallet-2')).toBe(0);
  });

  it('refuses a malformed event with a ValidationError before stamping it', async () => {
    const { store } = await storeWithOldEvents();
    const error = await store.appendToStream('wallet-2', [null as never]).catch((caught: unknown) => caught);
    expect(isValidationError(error)).toBe(true);
  });
});
