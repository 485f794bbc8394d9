import { createCommand, createEvent, isConcurrencyError, isSerializationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import type { ProcessInstance, ProcessStore } from '../processManager/processStore.js';

function instanceFixture(correlationId: string, overrides: Partial<ProcessInstance> = {}): ProcessInstance {
  return {
    processName: 'fulfilment',
    correlationId,
    status: 'active',
    state: { stage: 'new' },
    handled: [],
    pending: [],
    outbox: [],
    createdAt: 1_000,
    updatedAt: 1_000,
    version: 0,
    ...overrides,
  };
}

/**
 * The behaviour every {@link ProcessStore} must have, as a vitest suite. `createStore` must
 * return an empty store each time.
 *
 * @example
 * ```ts
 * processStoreContract('PostgresProcessStore', async () => new PostgresProcessStore(await freshPool()));
 * ```
 */
export function processStoreContract(
  name: string,
  createStore: () => ProcessStore | Promise<ProcessStore>,
): void {
  describe(`ProcessStore contract: ${name}`, () => {
    it('inserts at version 1 and loads state, inbox, pending events and outbox back', async () => {
      const store = await createStore();
      const event = createEvent('OrderPlaced', { orderId: 'o-1' });
      const command = createCommand('ReserveInventory', { orderId: 'o-1' });
      const saved = await store.save(
        instanceFixture('o-1', { handled: [event.metadata.messageId], pending: [event], outbox: [command] }),
        0,
      );
      expect(saved.version).toBe(1);
      expect(await store.load('fulfilment', 'o-1')).toEqual(saved);
    });

    it('returns undefined for an unknown key, and keeps process names apart', async () => {
      const store = await createStore();
      await store.save(instanceFixture('o-1'), 0);
      expect(await store.load('fulfilment', 'o-2')).toBeUndefined();
      expect(await store.load('billing', 'o-1')).toBeUndefined();
    });

    it('rejects an insert of an existing instance and a stale update with a ConcurrencyError', async () => {
      const store = await createStore();
      const first = await store.save(instanceFixture('o-1'), 0);
      expect(
        isConcurrencyError(await store.save(instanceFixture('o-1'), 0).catch((error: unknown) => error)),
      ).toBe(true);
      await store.save({ ...first, state: { stage: 'paying' } }, 1);
      const stale = await store
        .save({ ...first, state: { stage: 'done' } }, 1)
        .catch((error: unknown) => error);
      expect(isConcurrencyError(stale)).toBe(true);
      expect((await store.load('fulfilment', 'o-1'))?.state).toEqual({ stage: 'paying' });
    });

    it('lets exactly one of two concurrent saves at one version win', async () => {
      const store = await createStore();
      const results = await Promise.allSettled([
        store.save(instanceFixture('o-1', { state: 'a' }), 0),
        store.save(instanceFixture('o-1', { state: 'b' }), 0),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    });

    it('lists the instances of one process that have commands left to send', async () => {
      const store = await createStore();
      const command = createCommand('ReserveInventory', { orderId: 'x' });
      await store.save(instanceFixture('with', { outbox: [command], createdAt: 2 }), 0);
      await store.save(instanceFixture('older', { outbox: [command], createdAt: 1 }), 0);
      await store.save(instanceFixture('without'), 0);
      await store.save({ ...instanceFixture('other', { outbox: [command] }), processName: 'billing' }, 0);
      const listed = await store.listWithOutbox('fulfilment');
      expect(listed.map((instance) => instance.correlationId)).toEqual(['older', 'with']);
    });

    describe('values', () => defineProcessValueTests(createStore));
  });
}

/** Values PostgreSQL cannot hold: every store refuses them with a SerializationError. */
const REFUSED: readonly [string, unknown][] = [
  ['a NUL character', { note: 'a\u0000b' }],
  ['a lone surrogate', { note: '\uDC00' }],
  ['a BigInt', { total: 12n }],
  ['a Set', { tags: new Set(['a']) }],
];

function defineProcessValueTests(createStore: () => ProcessStore | Promise<ProcessStore>): void {
  for (const [name, state] of REFUSED) {
    it(`refuses a state with ${name} with a SerializationError before anything is written`, async () => {
      const store = await createStore();
      const error = await store.save(instanceFixture('o-1', { state }), 0).catch((caught: unknown) => caught);
      expect(isSerializationError(error)).toBe(true);
      expect(await store.load('fulfilment', 'o-1')).toBeUndefined();
      const saved = await store.save(instanceFixture('o-1'), 0);
      const update = await store.save({ ...saved, state }, 1).catch((caught: unknown) => caught);
      expect(isSerializationError(update)).toBe(true);
      expect(await store.load('fulfilment', 'o-1')).toEqual(saved);
    });
  }

  it('refuses an outbox command whose data cannot be stored', async () => {
    const store = await createStore();
    const command = createCommand('Charge', { amount: 5n });
    const error = await store
      .save(instanceFixture('o-1', { outbox: [command] }), 0)
      .catch((caught: unknown) => caught);
    expect(isSerializationError(error)).toBe(true);
    expect(await store.listWithOutbox('fulfilment')).toEqual([]);
  });

  it('gives Dates back as ISO strings and class instances as plain objects', async () => {
    const store = await createStore();
    class Stage {
      constructor(readonly name: string) {}
    }
    const at = new Date(Date.UTC(2024, 5, 1));
    const saved = await store.save(instanceFixture('o-1', { state: { at, stage: new Stage('new') } }), 0);
    const loaded = await store.load('fulfilment', 'o-1');
    for (const seen of [saved, loaded]) {
      expect(seen?.state).toStrictEqual({ at: '2024-06-01T00:00:00.000Z', stage: { name: 'new' } });
    }
  });

  it('returns copies that do not change the stored instance when mutated', async () => {
    const store = await createStore();
    const saved = await store.save(instanceFixture('o-1', { state: { items: [1] } }), 0);
    (saved.state as { items: number[] }).items.push(2);
    const loaded = await store.load('fulfilment', 'o-1');
    (loaded?.state as { items: number[] }).items.push(3);
    expect((await store.load('fulfilment', 'o-1'))?.state).toEqual({ items: [1] });
  });
}
