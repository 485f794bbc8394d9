import assert from 'node:assert/strict';
import { createCommand, createEvent, isConcurrencyError, isSerializationError } from '@keel/core';
import { contractRunner } from '@keel/core/testing';
import type { ContractOptions, ContractRunner } from '@keel/core/testing';
import type { ProcessInstance, ProcessStore } from '../processManager/processStore.js';
import { assertError } from './contractAssert.js';

/** Makes an empty process store for one test. */
export type ProcessStoreFactory = () => ProcessStore | Promise<ProcessStore>;

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
 * The behaviour every {@link ProcessStore} must have, as a test suite for any runner. Call it at
 * the top level of a test file of your store; `createStore` must return an empty store each time.
 *
 * It registers its tests with the test runner's global `describe` and `it` (Jest, Mocha, Bun,
 * Vitest with `globals: true`); under `node:test`, or Vitest without globals, pass the runner's
 * functions as `options.runner`. Failures are `node:assert` errors, which every runner reports.
 *
 * @param name - Names the suite: `ProcessStore contract: <name>`.
 * @param createStore - Returns a new, empty store for each test.
 * @param options - `runner`: the test runner's `describe`, `it`, `beforeEach`, `afterEach`.
 * @throws {ValidationError} (from `@keel/core`) when no runner is given and no globals exist.
 *
 * @example
 * ```ts
 * // With test globals (Jest, Mocha, Vitest with globals: true):
 * processStoreContract('PostgresProcessStore', async () => new PostgresProcessStore(await freshPool()));
 *
 * // Under node:test:
 * import { afterEach, beforeEach, describe, it } from 'node:test';
 * processStoreContract('MyProcessStore', () => new MyProcessStore(), {
 *   runner: { describe, it, beforeEach, afterEach },
 * });
 * ```
 */
export function processStoreContract(
  name: string,
  createStore: ProcessStoreFactory,
  options?: ContractOptions,
): void {
  const runner = contractRunner(options);
  const { describe, it } = runner;
  describe(`ProcessStore contract: ${name}`, () => {
    it('inserts at version 1 and loads state, inbox, pending events and outbox back', async () => {
      const store = await createStore();
      const event = createEvent('OrderPlaced', { orderId: 'o-1' });
      const command = createCommand('ReserveInventory', { orderId: 'o-1' });
      const saved = await store.save(
        instanceFixture('o-1', { handled: [event.metadata.messageId], pending: [event], outbox: [command] }),
        0,
      );
      assert.equal(saved.version, 1);
      assert.deepEqual(await store.load('fulfilment', 'o-1'), saved);
    });

    it('returns undefined for an unknown key, and keeps process names apart', async () => {
      const store = await createStore();
      await store.save(instanceFixture('o-1'), 0);
      assert.equal(await store.load('fulfilment', 'o-2'), undefined, 'loaded an instance never saved');
      assert.equal(await store.load('billing', 'o-1'), undefined, 'loaded an instance of another process');
    });

    it('rejects an insert of an existing instance and a stale update with a ConcurrencyError', async () => {
      const store = await createStore();
      const first = await store.save(instanceFixture('o-1'), 0);
      const duplicate = await store.save(instanceFixture('o-1'), 0).catch((error: unknown) => error);
      assertError(duplicate, isConcurrencyError, 'ConcurrencyError');
      await store.save({ ...first, state: { stage: 'paying' } }, 1);
      const stale = await store
        .save({ ...first, state: { stage: 'done' } }, 1)
        .catch((error: unknown) => error);
      assertError(stale, isConcurrencyError, 'ConcurrencyError');
      assert.deepEqual((await store.load('fulfilment', 'o-1'))?.state, { stage: 'paying' });
    });

    it('lets exactly one of two concurrent saves at one version win', async () => {
      const store = await createStore();
      const results = await Promise.allSettled([
        store.save(instanceFixture('o-1', { state: 'a' }), 0),
        store.save(instanceFixture('o-1', { state: 'b' }), 0),
      ]);
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1, 'saves that won');
    });

    it('lists the instances of one process that have commands left to send', async () => {
      const store = await createStore();
      const command = createCommand('ReserveInventory', { orderId: 'x' });
      await store.save(instanceFixture('with', { outbox: [command], createdAt: 2 }), 0);
      await store.save(instanceFixture('older', { outbox: [command], createdAt: 1 }), 0);
      await store.save(instanceFixture('without'), 0);
      await store.save({ ...instanceFixture('other', { outbox: [command] }), processName: 'billing' }, 0);
      const listed = await store.listWithOutbox('fulfilment');
      assert.deepEqual(
        listed.map((instance) => instance.correlationId),
        ['older', 'with'],
      );
    });

    describe('values', () => defineProcessValueTests(runner, createStore));
  });
}

/** Values PostgreSQL cannot hold: every store refuses them with a SerializationError. */
const REFUSED: readonly [string, unknown][] = [
  ['a NUL character', { note: 'a\u0000b' }],
  ['a lone surrogate', { note: '\uDC00' }],
  ['a BigInt', { total: 12n }],
  ['a Set', { tags: new Set(['a']) }],
];

function defineProcessValueTests({ it }: ContractRunner, createStore: ProcessStoreFactory): void {
  for (const [name, state] of REFUSED) {
    it(`refuses a state with ${name} with a SerializationError before anything is written`, async () => {
      const store = await createStore();
      const error = await store.save(instanceFixture('o-1', { state }), 0).catch((caught: unknown) => caught);
      assertError(error, isSerializationError, 'SerializationError');
      assert.equal(await store.load('fulfilment', 'o-1'), undefined, 'a refused insert stored the instance');
      const saved = await store.save(instanceFixture('o-1'), 0);
      const update = await store.save({ ...saved, state }, 1).catch((caught: unknown) => caught);
      assertError(update, isSerializationError, 'SerializationError');
      assert.deepEqual(await store.load('fulfilment', 'o-1'), saved, 'a refused update changed the instance');
    });
  }

  it('refuses an outbox command whose data cannot be stored', async () => {
    const store = await createStore();
    const command = createCommand('Charge', { amount: 5n });
    const error = await store
      .save(instanceFixture('o-1', { outbox: [command] }), 0)
      .catch((caught: unknown) => caught);
    assertError(error, isSerializationError, 'SerializationError');
    assert.deepEqual(await store.listWithOutbox('fulfilment'), [], 'a refused save stored its outbox');
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
      assert.deepStrictEqual(seen?.state, { at: '2024-06-01T00:00:00.000Z', stage: { name: 'new' } });
    }
  });

  it('returns copies that do not change the stored instance when mutated', async () => {
    const store = await createStore();
    const saved = await store.save(instanceFixture('o-1', { state: { items: [1] } }), 0);
    (saved.state as { items: number[] }).items.push(2);
    const loaded = await store.load('fulfilment', 'o-1');
    (loaded?.state as { items: number[] }).items.push(3);
    assert.deepEqual((await store.load('fulfilment', 'o-1'))?.state, { items: [1] });
  });
}
