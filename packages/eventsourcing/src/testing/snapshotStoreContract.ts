import { isSerializationError, isValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { MAX_STREAM_NAME_LENGTH } from '../eventStore/names.js';
import type { Snapshot, SnapshotStore } from '../snapshots/snapshotStore.js';
import { Money, UNSTORABLE_VALUES, wideName } from './contractValues.js';
import type { StoreFactory } from './eventStoreContract.js';
import { rejectionOf } from './eventStoreContract.js';

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
 *
 * @example
 * ```ts
 * snapshotStoreContract('InMemorySnapshotStore', () => new InMemorySnapshotStore());
 * ```
 */
export function snapshotStoreContract(name: string, createStore: StoreFactory<SnapshotStore>): void {
  describe(`${name} (SnapshotStore contract)`, () => {
    it('loads undefined for a stream without a snapshot', async () => {
      const store = await createStore();
      expect(await store.load('account-1')).toBeUndefined();
    });

    it('loads back what it saved', async () => {
      const store = await createStore();
      await store.save(snapshot(10, { balance: 42, owner: 'Ada', tags: ['vip'] }));
      expect(await store.load('account-1')).toEqual(
        snapshot(10, { balance: 42, owner: 'Ada', tags: ['vip'] }),
      );
    });

    it('replaces a snapshot with a newer one and keeps the newer one against an older one', async () => {
      const store = await createStore();
      await store.save(snapshot(10));
      await store.save(snapshot(20));
      await store.save(snapshot(15));
      expect((await store.load('account-1'))?.version).toBe(20);
    });

    it('keeps snapshots of different streams apart', async () => {
      const store = await createStore();
      await store.save(snapshot(10));
      await store.save({ ...snapshot(3), streamName: 'account-2' });
      expect((await store.load('account-2'))?.version).toBe(3);
      expect((await store.load('account-1'))?.version).toBe(10);
    });

    it('is not changed by mutating a loaded state', async () => {
      const store = await createStore();
      await store.save(snapshot(1, { items: [1] }));
      const loaded = await store.load<{ items: number[] }>('account-1');
      loaded!.state.items.push(2);
      expect((await store.load<{ items: number[] }>('account-1'))!.state.items).toEqual([1]);
    });

    it('is not changed by mutating a state after saving it', async () => {
      const store = await createStore();
      const state = { items: [1] };
      await store.save(snapshot(1, state));
      state.items.push(2);
      expect((await store.load<{ items: number[] }>('account-1'))!.state.items).toEqual([1]);
    });

    it('deletes a snapshot', async () => {
      const store = await createStore();
      await store.save(snapshot(10));
      await store.delete('account-1');
      await store.delete('account-1');
      expect(await store.load('account-1')).toBeUndefined();
    });

    it.each(UNSTORABLE_VALUES)(
      'refuses a state with %s with a SerializationError and keeps the stored snapshot',
      async (_what, value) => {
        const store = await createStore();
        await store.save(snapshot(1));
        const error = await rejectionOf(() => store.save(snapshot(2, value)));
        expect(isSerializationError(error)).toBe(true);
        expect(await store.load('account-1')).toEqual(snapshot(1));
      },
    );

    it('loads a Date in the state as its ISO string and a class instance as a plain object', async () => {
      const store = await createStore();
      const at = new Date('2026-03-04T05:06:07.089Z');
      await store.save(snapshot(1, { at, price: new Money(5, 'EUR'), gone: undefined }));
      const loaded = await store.load<Record<string, unknown>>('account-1');
      expect(loaded!.state).toEqual({
        at: '2026-03-04T05:06:07.089Z',
        price: { amount: 5, currency: 'EUR' },
      });
      expect(Object.getPrototypeOf(loaded!.state['price'])).toBe(Object.prototype);
      expect('gone' in loaded!.state).toBe(false);
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
        expect(isValidationError(await rejectionOf(() => store.save(candidate)))).toBe(true);
      }
      expect(await store.load('account-1')).toBeUndefined();
    });

    it('keeps snapshots of stream names up to the maximum length in any characters', async () => {
      const store = await createStore();
      const streamName = wideName(MAX_STREAM_NAME_LENGTH);
      await store.save({ ...snapshot(4), streamName });
      await store.save({ ...snapshot(2), streamName: wideName(MAX_STREAM_NAME_LENGTH - 1) });
      expect((await store.load(streamName))?.streamName).toBe(streamName);
      expect((await store.load(streamName))?.version).toBe(4);
      await store.delete(streamName);
      expect(await store.load(streamName)).toBeUndefined();
      expect((await store.load(wideName(MAX_STREAM_NAME_LENGTH - 1)))?.version).toBe(2);
    });
  });
}
