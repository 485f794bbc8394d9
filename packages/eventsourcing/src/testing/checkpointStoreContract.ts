import { isValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import type { CheckpointStore } from '../projections/checkpointStore.js';
import { NOT_COUNTS } from './contractValues.js';
import type { StoreFactory } from './eventStoreContract.js';
import { rejectionOf } from './eventStoreContract.js';

/**
 * The behaviour every {@link CheckpointStore} must have, including that a checkpoint never
 * moves backwards (a save behind the stored position is ignored) and that `delete` resets it.
 *
 * @example
 * ```ts
 * checkpointStoreContract('InMemoryCheckpointStore', () => new InMemoryCheckpointStore());
 * ```
 */
export function checkpointStoreContract(name: string, createStore: StoreFactory<CheckpointStore>): void {
  describe(`${name} (CheckpointStore contract)`, () => {
    it('loads undefined for a projection that never ran', async () => {
      const store = await createStore();
      expect(await store.load('balances')).toBeUndefined();
    });

    it('loads the last saved position', async () => {
      const store = await createStore();
      await store.save('balances', 5);
      await store.save('balances', 9);
      expect(await store.load('balances')).toBe(9);
    });

    it('keeps projections apart', async () => {
      const store = await createStore();
      await store.save('balances', 5);
      await store.save('history', 7);
      expect(await store.load('balances')).toBe(5);
      expect(await store.load('history')).toBe(7);
    });

    it('ignores a save behind the stored position, quietly', async () => {
      const store = await createStore();
      await store.save('balances', 9);
      await store.save('balances', 5);
      await store.save('balances', 9);
      expect(await store.load('balances')).toBe(9);
      await store.save('balances', 12);
      expect(await store.load('balances')).toBe(12);
    });

    it('ends at the highest position whatever order concurrent saves land in', async () => {
      const store = await createStore();
      const positions = [7, 3, 19, 11, 2, 17, 5, 13];
      await Promise.all(positions.map((position) => store.save('balances', position)));
      expect(await store.load('balances')).toBe(19);
    });

    it('forgets a deleted checkpoint, so a rebuild starts over from a lower position', async () => {
      const store = await createStore();
      await store.save('balances', 5);
      await store.delete('balances');
      expect(await store.load('balances')).toBeUndefined();
      await store.save('balances', 2);
      expect(await store.load('balances')).toBe(2);
    });

    it('refuses a position that is not an integer >= 0 with a ValidationError and saves nothing', async () => {
      const store = await createStore();
      await store.save('balances', 0);
      for (const position of NOT_COUNTS) {
        const error = await rejectionOf(() => store.save('balances', position as number));
        expect(isValidationError(error)).toBe(true);
      }
      expect(await store.load('balances')).toBe(0);
    });

    it('refuses an empty projection name with a ValidationError', async () => {
      const store = await createStore();
      expect(isValidationError(await rejectionOf(() => store.save('', 1)))).toBe(true);
      expect(isValidationError(await rejectionOf(() => store.load('')))).toBe(true);
    });

    it('rejects with the abort reason when the signal is aborted', async () => {
      const store = await createStore();
      const reason = new Error('stop');
      await expect(store.save('balances', 1, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(await store.load('balances')).toBeUndefined();
    });
  });
}
