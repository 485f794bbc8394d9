import assert from 'node:assert/strict';
import { isValidationError } from '@keel/core';
import { contractRunner } from '@keel/core/testing';
import type { ContractOptions } from '@keel/core/testing';
import type { CheckpointStore } from '../projections/checkpointStore.js';
import { describeError, rejectionOf } from '@keel/core/testing';
import { caseLabel } from './caseLabel.js';
import { NOT_COUNTS } from './contractValues.js';
import type { StoreFactory } from './eventStoreContract.js';

/**
 * The behaviour every {@link CheckpointStore} must have, including that a checkpoint never
 * moves backwards (a save behind the stored position is ignored) and that `delete` resets it.
 * It asserts with `node:assert` and runs under any test runner (see `eventStoreContract`).
 *
 * @param name Shown in the test names.
 * @param createStore Builds a fresh, empty store per test.
 * @param options `runner`: the test runner's functions; defaults to the global `describe`, `it`,
 * `beforeEach` and `afterEach`.
 * @throws ValidationError when no runner is given and the test functions are not globals.
 * @example
 * ```ts
 * checkpointStoreContract('InMemoryCheckpointStore', () => new InMemoryCheckpointStore());
 *
 * // Under node:test (or Vitest without globals):
 * import { afterEach, beforeEach, describe, it } from 'node:test';
 * checkpointStoreContract('InMemoryCheckpointStore', () => new InMemoryCheckpointStore(), {
 *   runner: { describe, it, beforeEach, afterEach },
 * });
 * ```
 */
export function checkpointStoreContract(
  name: string,
  createStore: StoreFactory<CheckpointStore>,
  options?: ContractOptions,
): void {
  const { describe, it } = contractRunner(options);
  describe(`${name} (CheckpointStore contract)`, () => {
    it('loads undefined for a projection that never ran', async () => {
      const store = await createStore();
      assert.equal(await store.load('balances'), undefined);
    });

    it('loads the last saved position', async () => {
      const store = await createStore();
      await store.save('balances', 5);
      await store.save('balances', 9);
      assert.equal(await store.load('balances'), 9);
    });

    it('keeps projections apart', async () => {
      const store = await createStore();
      await store.save('balances', 5);
      await store.save('history', 7);
      assert.equal(await store.load('balances'), 5);
      assert.equal(await store.load('history'), 7);
    });

    it('ignores a save behind the stored position, quietly', async () => {
      const store = await createStore();
      await store.save('balances', 9);
      await store.save('balances', 5);
      assert.equal(await store.load('balances'), 9, 'a save behind the stored position moved it back');
      await store.save('balances', 9);
      assert.equal(await store.load('balances'), 9, 'a save at the stored position changed it');
      await store.save('balances', 12);
      assert.equal(await store.load('balances'), 12);
    });

    it('ends at the highest position whatever order concurrent saves land in', async () => {
      const store = await createStore();
      const positions = [7, 3, 19, 11, 2, 17, 5, 13];
      await Promise.all(positions.map((position) => store.save('balances', position)));
      assert.equal(await store.load('balances'), 19, 'concurrent saves must end at the highest position');
    });

    it('forgets a deleted checkpoint, so a rebuild starts over from a lower position', async () => {
      const store = await createStore();
      await store.save('balances', 5);
      await store.delete('balances');
      assert.equal(await store.load('balances'), undefined);
      await store.save('balances', 2);
      assert.equal(await store.load('balances'), 2);
    });

    it('refuses a position that is not an integer >= 0 with a ValidationError and saves nothing', async () => {
      const store = await createStore();
      await store.save('balances', 0);
      for (const position of NOT_COUNTS) {
        const error = await rejectionOf(() => store.save('balances', position as number));
        assert.ok(
          isValidationError(error),
          `expected a ValidationError for ${caseLabel(position)}, got ${describeError(error)}`,
        );
      }
      assert.equal(await store.load('balances'), 0);
    });

    it('refuses an empty projection name with a ValidationError', async () => {
      const store = await createStore();
      const saving = await rejectionOf(() => store.save('', 1));
      assert.ok(
        isValidationError(saving),
        `expected a ValidationError on save, got ${describeError(saving)}`,
      );
      const loading = await rejectionOf(() => store.load(''));
      assert.ok(
        isValidationError(loading),
        `expected a ValidationError on load, got ${describeError(loading)}`,
      );
    });

    it('rejects with the abort reason when the signal is aborted', async () => {
      const store = await createStore();
      const reason = new Error('stop');
      const error = await rejectionOf(() => store.save('balances', 1, { signal: AbortSignal.abort(reason) }));
      assert.equal(error, reason, `expected the abort reason, got ${describeError(error)}`);
      assert.equal(await store.load('balances'), undefined);
    });
  });
}
