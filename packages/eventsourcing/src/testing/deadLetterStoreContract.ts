import { isSerializationError, isValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import type { DeadLetter, DeadLetterStore } from '../projections/deadLetterStore.js';
import { NOT_COUNTS, UNSTORABLE_VALUES } from './contractValues.js';
import type { StoreFactory } from './eventStoreContract.js';
import { rejectionOf } from './eventStoreContract.js';

const letter = (projection: string, position: number, data: unknown = { position }): DeadLetter => ({
  projection,
  position,
  event: {
    streamName: 's-1',
    streamVersion: position,
    globalPosition: position,
    eventId: `0190a8a0-0000-7000-8000-0000000001${String(position).padStart(2, '0')}`,
    type: 'Broken',
    data,
    metadata: {},
    recordedAt: new Date('2026-01-02T03:04:05.000Z'),
  },
  error: { name: 'Error', message: `boom ${position}` },
  failedAt: new Date('2026-01-02T03:04:06.000Z'),
});

/**
 * The behaviour every {@link DeadLetterStore} must have, including the storable-JSON value
 * rules of every Keel store and the shared input checks.
 *
 * @example
 * ```ts
 * deadLetterStoreContract('InMemoryDeadLetterStore', () => new InMemoryDeadLetterStore());
 * ```
 */
export function deadLetterStoreContract(name: string, createStore: StoreFactory<DeadLetterStore>): void {
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

    it.each(UNSTORABLE_VALUES)(
      'refuses an event whose data holds %s with a SerializationError and stores nothing',
      async (_what, value) => {
        const store = await createStore();
        const error = await rejectionOf(() => store.add(letter('balances', 3, value)));
        expect(isSerializationError(error)).toBe(true);
        expect(await store.list()).toEqual([]);
      },
    );

    it('lists a Date in the event data as its ISO string, in fresh copies', async () => {
      const store = await createStore();
      await store.add(letter('balances', 3, { at: new Date('2026-03-04T05:06:07.089Z') }));
      const [listed] = await store.list('balances');
      expect(listed!.event.data).toEqual({ at: '2026-03-04T05:06:07.089Z' });
      expect(listed!.event.recordedAt).toEqual(new Date('2026-01-02T03:04:05.000Z'));
      (listed!.event.data as { at: string }).at = 'changed';
      const [again] = await store.list('balances');
      expect(again!.event.data).toEqual({ at: '2026-03-04T05:06:07.089Z' });
    });

    it('refuses a position that is not an integer >= 0 with a ValidationError and stores nothing', async () => {
      const store = await createStore();
      for (const position of NOT_COUNTS) {
        const error = await rejectionOf(() => store.add(letter('balances', position as number)));
        expect(isValidationError(error)).toBe(true);
      }
      expect(isValidationError(await rejectionOf(() => store.add(letter('', 1))))).toBe(true);
      expect(await store.list()).toEqual([]);
    });
  });
}
