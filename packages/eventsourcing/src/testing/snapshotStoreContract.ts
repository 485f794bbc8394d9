import assert from 'node:assert/strict';
import { isSerializationError, isValidationError } from '@keel/core';
import { contractRunner } from '@keel/core/testing';
import type { ContractOptions } from '@keel/core/testing';
import { MAX_STREAM_NAME_LENGTH } from '../eventStore/names.js';
import type { Snapshot, SnapshotStore } from '../snapshots/snapshotStore.js';
import { assertEqual, describeError, rejectionOf } from '@keel/core/testing';
import { Money, UNSTORABLE_VALUES, wideName } from './contractValues.js';
import { renderValue } from '@keel/core/testing';
import type { StoreFactory } from './eventStoreContract.js';

const snapshot = (version: number, state: unknown = { balance: version }): Snapshot => ({
  streamName: 'account-1',
  version,
  schemaVersion: 2,
  state,
  takenAt: new Date('2026-01-02T03:04:05.000Z'),
});

/**
 * The behaviour every {@link SnapshotStore} must have: one newest snapshot per stream, copies
 * in and out, the storable-JSON value rules of every Keel store, and the shared input checks.
 * It asserts with `node:assert` and runs under any test runner (see `eventStoreContract`).
 *
 * @param name Shown in the test names.
 * @param createStore Builds a fresh, empty store per test.
 * @param options `runner`: the test runner's functions; defaults to the global `describe`, `it`,
 * `beforeEach` and `afterEach`.
 * @throws ValidationError when no runner is given and the test functions are not globals.
 * @example
 * ```ts
 * snapshotStoreContract('InMemorySnapshotStore', () => new InMemorySnapshotStore());
 *
 * // Under node:test (or Vitest without globals):
 * import { afterEach, beforeEach, describe, it } from 'node:test';
 * snapshotStoreContract('InMemorySnapshotStore', () => new InMemorySnapshotStore(), {
 *   runner: { describe, it, beforeEach, afterEach },
 * });
 * ```
 */
export function snapshotStoreContract(
  name: string,
  createStore: StoreFactory<SnapshotStore>,
  options?: ContractOptions,
): void {
  const { describe, it } = contractRunner(options);
  describe(`${name} (SnapshotStore contract)`, () => {
    it('loads undefined for a stream without a snapshot', async () => {
      const store = await createStore();
      assert.equal(await store.load('account-1'), undefined);
    });

    it('loads back what it saved', async () => {
      const store = await createStore();
      await store.save(snapshot(10, { balance: 42, owner: 'Ada', tags: ['vip'] }));
      assertEqual(
        await store.load('account-1'),
        snapshot(10, { balance: 42, owner: 'Ada', tags: ['vip'] }),
        'the loaded snapshot differs from the saved one',
      );
    });

    it('replaces a snapshot with a newer one and keeps the newer one against an older one', async () => {
      const store = await createStore();
      await store.save(snapshot(10));
      await store.save(snapshot(20));
      await store.save(snapshot(15));
      assert.equal((await store.load('account-1'))?.version, 20);
    });

    it('keeps snapshots of different streams apart', async () => {
      const store = await createStore();
      await store.save(snapshot(10));
      await store.save({ ...snapshot(3), streamName: 'account-2' });
      assert.equal((await store.load('account-2'))?.version, 3);
      assert.equal((await store.load('account-1'))?.version, 10);
    });

    it('is not changed by mutating a loaded state', async () => {
      const store = await createStore();
      await store.save(snapshot(1, { items: [1] }));
      const loaded = await store.load<{ items: number[] }>('account-1');
      loaded!.state.items.push(2);
      assertEqual(
        (await store.load<{ items: number[] }>('account-1'))!.state.items,
        [1],
        'the stored state changed',
      );
    });

    it('is not changed by mutating a state after saving it', async () => {
      const store = await createStore();
      const state = { items: [1] };
      await store.save(snapshot(1, state));
      state.items.push(2);
      assertEqual(
        (await store.load<{ items: number[] }>('account-1'))!.state.items,
        [1],
        'the stored state changed',
      );
    });

    it('deletes a snapshot', async () => {
      const store = await createStore();
      await store.save(snapshot(10));
      await store.delete('account-1');
      await store.delete('account-1');
      assert.equal(await store.load('account-1'), undefined);
    });

    for (const [what, value] of UNSTORABLE_VALUES) {
      it(`refuses a state with ${what} with a SerializationError and keeps the stored snapshot`, async () => {
        const store = await createStore();
        await store.save(snapshot(1));
        const error = await rejectionOf(() => store.save(snapshot(2, value)));
        assert.ok(isSerializationError(error), `expected a SerializationError, got ${describeError(error)}`);
        assertEqual(await store.load('account-1'), snapshot(1), 'the stored snapshot changed');
      });
    }

    it('loads a Date in the state as its ISO string and a class instance as a plain object', async () => {
      const store = await createStore();
      const at = new Date('2026-03-04T05:06:07.089Z');
      await store.save(snapshot(1, { at, price: new Money(5, 'EUR'), gone: undefined }));
      const loaded = await store.load<Record<string, unknown>>('account-1');
      assertEqual(
        loaded!.state,
        { at: '2026-03-04T05:06:07.089Z', price: { amount: 5, currency: 'EUR' } },
        'the state reads back as JSON',
      );
      assert.equal(
        Object.getPrototypeOf(loaded!.state['price']),
        Object.prototype,
        'a class instance reads back as a plain object',
      );
      assert.equal('gone' in loaded!.state, false, 'an undefined property is dropped');
    });

    it('refuses a snapshot with an out-of-range field with a ValidationError and saves nothing', async () => {
      const store = await createStore();
      const takenAt = new Date(Number.NaN);
      const bad: Snapshot[] = [
        snapshot(0),
        snapshot(1.5),
        snapshot(Number.NaN),
        { ...snapshot(1), schemaVersion: 0 },
        { ...snapshot(1), schemaVersion: 2 ** 31 },
        { ...snapshot(1), takenAt },
        { ...snapshot(1), streamName: '' },
        { ...snapshot(1), streamName: 'x'.repeat(MAX_STREAM_NAME_LENGTH + 1) },
      ];
      for (const candidate of bad) {
        const error = await rejectionOf(() => store.save(candidate));
        assert.ok(
          isValidationError(error),
          `expected a ValidationError for ${renderValue(candidate)}, got ${describeError(error)}`,
        );
      }
      assert.equal(await store.load('account-1'), undefined);
    });

    it('keeps snapshots of stream names up to the maximum length in any characters', async () => {
      const store = await createStore();
      const streamName = wideName(MAX_STREAM_NAME_LENGTH);
      await store.save({ ...snapshot(4), streamName });
      await store.save({ ...snapshot(2), streamName: wideName(MAX_STREAM_NAME_LENGTH - 1) });
      assert.equal((await store.load(streamName))?.streamName, streamName);
      assert.equal((await store.load(streamName))?.version, 4);
      await store.delete(streamName);
      assert.equal(await store.load(streamName), undefined);
      assert.equal((await store.load(wideName(MAX_STREAM_NAME_LENGTH - 1)))?.version, 2);
    });
  });
}
