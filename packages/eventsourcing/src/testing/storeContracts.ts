import { describe, expect, it } from 'vitest';
import type { CheckpointStore } from '../projections/checkpointStore.js';
import type { DeadLetterStore } from '../projections/deadLetterStore.js';
import type { SnapshotStore } from '../snapshots/snapshotStore.js';
import type { StoreFactory } from './eventStoreContract.js';

/**
 * The behaviour every {@link SnapshotStore} must have.
 *
 * @example
 * ```ts
 * snapshotStoreContract('InMemorySnapshotStore', () => new InMemorySnapshotStore());
 * ```
 */
export function snapshotStoreContract(name: string, createStore: StoreFactory<SnapshotStore>): void {
  const snapshot = (version: number, state: unknown = { balance: version }) => ({
    streamName: 'account-1',
    version,
    schemaVersion: 2,
    state,
    takenAt: new Date('2026-01-02T03:04:05.000Z'),
  });

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

    it('deletes a snapshot', async () => {
      const store = await createStore();
      await store.save(snapshot(10));
      await store.delete('account-1');
      await store.delete('account-1');
      expect(await store.load('account-1')).toBeUndefined();
    });
  });
}

/**
 * The behaviour every {@link CheckpointStore} must have.
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

    it('forgets a deleted checkpoint', async () => {
      const store = await createStore();
      await store.save('balances', 5);
      await store.delete('balances');
      expect(await store.load('balances')).toBeUndefined();
    });

    it('rejects with the abort reason when the signal is aborted', async () => {
      const store = await createStore();
      const reason = new Error('stop');
      await expect(store.save('balances', 1, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    });
  });
}

/**
 * The behaviour every {@link DeadLetterStore} must have.
 *
 * @example
 * ```ts
 * deadLetterStoreContract('InMemoryDeadLetterStore', () => new InMemoryDeadLetterStore());
 * ```
 */
export function deadLetterStoreContract(name: string, createStore: StoreFactory<DeadLetterStore>): void {
  const letter = (projection: string, position: number) => ({
    projection,
    position,
    event: {
      streamName: 's-1',
      streamVersion: position,
      globalPosition: position,
      eventId: `0190a8a0-0000-7000-8000-0000000001${String(position).padStart(2, '0')}`,
      type: 'Broken',
      data: { position },
      metadata: {},
      recordedAt: new Date('2026-01-02T03:04:05.000Z'),
    },
    error: { name: 'Error', message: `boom ${position}` },
    failedAt: new Date('2026-01-02T03:04:06.000Z'),
  });

  describe(`${name} (DeadLetterStore contract)`, () => {
    it('lists the letters of a projection by position with their error and event', async () => {
      const store = await createStore();
      await store.add(letter('balances', 7));
      await store.add(letter('balances', 3));
      await store.add(letter('history', 5));
      const listed = await store.list('balances');
      expect(listed.map((entry) => entry.position)).toEqual([3, 7]);
      expect(listed[0]).toEqual(letter('balances', 3));
      expect(await store.list()).toHaveLength(3);
    });

    it('removes a letter', async () => {
      const store = await createStore();
      await store.add(letter('balances', 3));
      expect(await store.remove('balances', 3)).toBe(true);
      expect(await store.remove('balances', 3)).toBe(false);
      expect(await store.list('balances')).toEqual([]);
    });
  });
}
