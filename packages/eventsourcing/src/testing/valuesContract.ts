import { isSerializationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { collect } from '../eventStore/collect.js';
import type { EventStore } from '../eventStore/eventStore.js';
import { Money, UNSTORABLE_VALUES } from './contractValues.js';
import type { StoreFactory } from './eventStoreContract.js';
import { numbered, rejectionOf } from './eventStoreContract.js';

/**
 * The value rules every store follows (core's `toStorableJson`): what PostgreSQL cannot hold is
 * refused with a SerializationError before anything is written; what JSON changes comes back
 * changed the same way; every read is a fresh copy.
 */
export function valuesContract(createStore: StoreFactory<EventStore>): void {
  describe('stored values', () => {
    it.each(UNSTORABLE_VALUES)(
      'refuses event data with %s with a SerializationError and appends nothing',
      async (_what, value) => {
        const store = await createStore();
        await store.appendToStream('s-1', numbered(1));
        const error = await rejectionOf(() =>
          store.appendToStream('s-1', [...numbered(1), { type: 'Bad', data: value }]),
        );
        expect(isSerializationError(error), `expected a SerializationError, got ${String(error)}`).toBe(true);
        expect(await store.streamVersion('s-1')).toBe(1);
        expect(await collect(store.readAll())).toHaveLength(1);
      },
    );

    it.each(UNSTORABLE_VALUES)(
      'refuses event metadata with %s with a SerializationError and appends nothing',
      async (_what, value) => {
        const store = await createStore();
        const error = await rejectionOf(() =>
          store.appendToStream('s-1', [{ type: 'Bad', data: {}, metadata: value as object }]),
        );
        expect(isSerializationError(error)).toBe(true);
        expect(await store.headPosition()).toBe(0);
      },
    );

    it('reads a Date in data back as its ISO string and a class instance as a plain object', async () => {
      const store = await createStore();
      const data = { at: new Date('2026-03-04T05:06:07.089Z'), price: new Money(5, 'EUR'), gone: undefined };
      const result = await store.appendToStream('s-1', [{ type: 'Priced', data, metadata: { at: data.at } }]);
      const expected = { at: '2026-03-04T05:06:07.089Z', price: { amount: 5, currency: 'EUR' } };
      const [read] = await collect(store.readStream('s-1'));
      const [fromAll] = await collect(store.readAll());
      for (const event of [result.events[0]!, read!, fromAll!]) {
        expect(event.data).toEqual(expected);
        expect(Object.getPrototypeOf((event.data as { price: object }).price)).toBe(Object.prototype);
        expect('gone' in (event.data as object)).toBe(false);
        expect(event.metadata).toMatchObject({ at: '2026-03-04T05:06:07.089Z' });
      }
    });

    it('is not changed by mutating appended or read events', async () => {
      const store = await createStore();
      const data = { items: [1] };
      await store.appendToStream('s-1', [{ type: 'Listed', data, metadata: { tags: ['a'] } }]);
      data.items.push(2);
      const [read] = await collect(store.readStream('s-1'));
      (read!.data as { items: number[] }).items.push(3);
      (read!.metadata['tags'] as string[]).push('b');
      const [again] = await collect(store.readStream('s-1'));
      expect(again!.data).toEqual({ items: [1] });
      expect(again!.metadata).toMatchObject({ tags: ['a'] });
    });

    it('keeps recordedAt non-decreasing along the global order under concurrent appends', async () => {
      const store = await createStore();
      await Promise.all(
        Array.from({ length: 30 }, (_, index) =>
          store.appendToStream(`s-${index % 5}`, numbered(1 + (index % 3))),
        ),
      );
      const all = await collect(store.readAll());
      expect(all).toHaveLength(60);
      for (let index = 1; index < all.length; index++) {
        expect(all[index]!.globalPosition).toBeGreaterThan(all[index - 1]!.globalPosition);
        expect(all[index]!.recordedAt.getTime()).toBeGreaterThanOrEqual(all[index - 1]!.recordedAt.getTime());
      }
    });
  });
}
