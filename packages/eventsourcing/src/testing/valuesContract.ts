import assert from 'node:assert/strict';
import { isSerializationError } from '@keel/core';
import type { ContractRunner } from '@keel/core/testing';
import { collect } from '../eventStore/collect.js';
import type { EventStore } from '../eventStore/eventStore.js';
import { assertEqual, assertMatches, describeError, rejectionOf } from '@keel/core/testing';
import { Money, UNSTORABLE_VALUES } from './contractValues.js';
import type { StoreFactory } from './eventStoreContract.js';
import { numbered } from './eventStoreContract.js';

/**
 * The value rules every store follows (core's `toStorableJson`): what PostgreSQL cannot hold is
 * refused with a SerializationError before anything is written; what JSON changes comes back
 * changed the same way; every read is a fresh copy.
 */
export function valuesContract(
  createStore: StoreFactory<EventStore>,
  { describe, it }: ContractRunner,
): void {
  describe('stored values', () => {
    for (const [what, value] of UNSTORABLE_VALUES) {
      it(`refuses event data with ${what} with a SerializationError and appends nothing`, async () => {
        const store = await createStore();
        await store.appendToStream('s-1', numbered(1));
        const error = await rejectionOf(() =>
          store.appendToStream('s-1', [...numbered(1), { type: 'Bad', data: value }]),
        );
        assert.ok(isSerializationError(error), `expected a SerializationError, got ${describeError(error)}`);
        assert.equal(await store.streamVersion('s-1'), 1);
        assert.equal((await collect(store.readAll())).length, 1);
      });
    }

    for (const [what, value] of UNSTORABLE_VALUES) {
      it(`refuses event metadata with ${what} with a SerializationError and appends nothing`, async () => {
        const store = await createStore();
        const error = await rejectionOf(() =>
          store.appendToStream('s-1', [{ type: 'Bad', data: {}, metadata: value as object }]),
        );
        assert.ok(isSerializationError(error), `expected a SerializationError, got ${describeError(error)}`);
        assert.equal(await store.headPosition(), 0);
      });
    }

    it('reads a Date in data back as its ISO string and a class instance as a plain object', async () => {
      const store = await createStore();
      const data = { at: new Date('2026-03-04T05:06:07.089Z'), price: new Money(5, 'EUR'), gone: undefined };
      const result = await store.appendToStream('s-1', [{ type: 'Priced', data, metadata: { at: data.at } }]);
      const expected = { at: '2026-03-04T05:06:07.089Z', price: { amount: 5, currency: 'EUR' } };
      const [read] = await collect(store.readStream('s-1'));
      const [fromAll] = await collect(store.readAll());
      for (const event of [result.events[0]!, read!, fromAll!]) {
        assertEqual(event.data, expected, 'data reads back as JSON');
        assert.equal(
          Object.getPrototypeOf((event.data as { price: object }).price),
          Object.prototype,
          'a class instance reads back as a plain object',
        );
        assert.equal('gone' in (event.data as object), false, 'an undefined property is dropped');
        assertMatches(event.metadata, { at: '2026-03-04T05:06:07.089Z' });
      }
    });

    it('is not changed by mutating appended or read events', async () => {
      const store = await createStore();
      const data = { items: [1] };
      const result = await store.appendToStream('s-1', [{ type: 'Listed', data, metadata: { tags: ['a'] } }]);
      data.items.push(2);
      (result.events[0]!.data as { items: number[] }).items.push(4);
      (result.events[0]!.metadata['tags'] as string[]).push('c');
      const [read] = await collect(store.readStream('s-1'));
      (read!.data as { items: number[] }).items.push(3);
      (read!.metadata['tags'] as string[]).push('b');
      const [again] = await collect(store.readStream('s-1'));
      assertEqual(again!.data, { items: [1] }, 'mutating an event changed the store');
      assertMatches(again!.metadata, { tags: ['a'] }, 'mutating an event changed the store');
    });

    it('keeps recordedAt non-decreasing along the global order under concurrent appends', async () => {
      const store = await createStore();
      await Promise.all(
        Array.from({ length: 30 }, (_, index) =>
          store.appendToStream(`s-${index % 5}`, numbered(1 + (index % 3))),
        ),
      );
      const all = await collect(store.readAll());
      assert.equal(all.length, 60);
      for (let index = 1; index < all.length; index++) {
        const [before, event] = [all[index - 1]!, all[index]!];
        assert.ok(
          event.globalPosition > before.globalPosition,
          `global position ${event.globalPosition} must be above ${before.globalPosition}`,
        );
        assert.ok(
          event.recordedAt.getTime() >= before.recordedAt.getTime(),
          `recordedAt ${event.recordedAt.toISOString()} (position ${event.globalPosition}) is before ${before.recordedAt.toISOString()}`,
        );
      }
    });
  });
}
