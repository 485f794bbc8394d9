import assert from 'node:assert/strict';
import type { ContractRunner } from '@keel/core/testing';
import { collect } from '../eventStore/collect.js';
import type { EventStore } from '../eventStore/eventStore.js';
import { assertEqual, describeError, rejectionOf } from '@keel/core/testing';
import type { StoreFactory } from './eventStoreContract.js';
import { numbered } from './eventStoreContract.js';

/** The read part of the event store contract. */
export function readContract(createStore: StoreFactory<EventStore>, { describe, it }: ContractRunner): void {
  describe('reads', () => {
    it('reads a stream forward from a version with a max count', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(10));
      const events = await collect(store.readStream('s-1', { fromVersion: 4, maxCount: 3 }));
      assert.deepEqual(
        events.map((event) => event.streamVersion),
        [4, 5, 6],
      );
    });

    it('reads a stream backward from a version with a max count', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(10));
      const backward = await collect(
        store.readStream('s-1', { direction: 'backward', fromVersion: 7, maxCount: 3 }),
      );
      assert.deepEqual(
        backward.map((event) => event.streamVersion),
        [7, 6, 5],
      );
      const fromEnd = await collect(store.readStream('s-1', { direction: 'backward', maxCount: 2 }));
      assert.deepEqual(
        fromEnd.map((event) => event.streamVersion),
        [10, 9],
      );
    });

    it('reads an absent stream as empty', async () => {
      const store = await createStore();
      assertEqual(await collect(store.readStream('nothing')), [], 'an absent stream reads as empty');
      assert.equal(await store.streamVersion('nothing'), 0);
    });

    it('reads a large stream page by page in order, forward and backward', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(25));
      const forward = await collect(store.readStream('s-1', { pageSize: 4 }));
      assert.deepEqual(
        forward.map((event) => event.streamVersion),
        Array.from({ length: 25 }, (_, i) => i + 1),
      );
      const backward = await collect(store.readStream('s-1', { pageSize: 4, direction: 'backward' }));
      assert.deepEqual(
        backward.map((event) => event.streamVersion),
        Array.from({ length: 25 }, (_, i) => 25 - i),
      );
    });

    it('reads pages of at most the page size that join into the same events', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(10));
      await store.appendToStream('s-2', numbered(3));
      const pages = await collect(store.readStreamPages('s-1', { pageSize: 4 }));
      assert.deepEqual(
        pages.map((page) => page.length),
        [4, 4, 2],
      );
      assertEqual(pages.flat(), await collect(store.readStream('s-1')), 'the pages join into the stream');
      const backward = await collect(
        store.readStreamPages('s-1', { pageSize: 4, direction: 'backward', maxCount: 6 }),
      );
      assert.deepEqual(
        backward.flat().map((event) => event.streamVersion),
        [10, 9, 8, 7, 6, 5],
      );
      const all = await collect(store.readAllPages({ pageSize: 5, filter: { streamPrefix: 's-' } }));
      assert.ok(
        all.every((page) => page.length > 0 && page.length <= 5),
        `pages must hold 1 to 5 events, got sizes ${all.map((page) => page.length).join(', ')}`,
      );
      assertEqual(all.flat(), await collect(store.readAll()), 'the pages join into the global read');
    });

    it('reads all events from a global position, paged, with a max count', async () => {
      const store = await createStore();
      await store.appendToStream('a', numbered(5));
      await store.appendToStream('b', numbered(5));
      const all = await collect(store.readAll({ pageSize: 3 }));
      assert.equal(all.length, 10);
      const from = all[4]!.globalPosition;
      const later = await collect(store.readAll({ fromPosition: from, maxCount: 4, pageSize: 3 }));
      assert.deepEqual(
        later.map((event) => event.globalPosition),
        all.slice(4, 8).map((event) => event.globalPosition),
      );
    });

    it('filters a global read by event type and by stream prefix', async () => {
      const store = await createStore();
      await store.appendToStream('account-1', [...numbered(2, 'Deposited'), ...numbered(1, 'Withdrawn')]);
      await store.appendToStream('order-1', numbered(2, 'Deposited'));
      await store.appendToStream('account-2', numbered(1, 'Closed'));
      const deposits = await collect(store.readAll({ filter: { eventTypes: ['Deposited'] }, pageSize: 2 }));
      assert.deepEqual(
        deposits.map((event) => event.streamName),
        ['account-1', 'account-1', 'order-1', 'order-1'],
      );
      const accounts = await collect(store.readAll({ filter: { streamPrefix: 'account-' }, pageSize: 2 }));
      assert.deepEqual(
        accounts.map((event) => event.type),
        ['Deposited', 'Deposited', 'Withdrawn', 'Closed'],
      );
      const both = await collect(
        store.readAll({ filter: { streamPrefix: ['order-'], eventTypes: ['Deposited', 'Closed'] } }),
      );
      assert.deepEqual(
        both.map((event) => event.streamName),
        ['order-1', 'order-1'],
      );
    });

    it('stops a read when its signal aborts', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(10));
      const controller = new AbortController();
      const reason = new Error('enough');
      const seen: number[] = [];
      const error = await rejectionOf(async () => {
        for await (const event of store.readStream('s-1', { pageSize: 2, signal: controller.signal })) {
          seen.push(event.streamVersion);
          if (seen.length === 3) controller.abort(reason);
        }
      });
      assert.equal(error, reason, `expected the abort reason, got ${describeError(error)}`);
      assert.ok(seen.length < 10, `the read went on after the abort: ${seen.length} events`);
    });
  });
}
