import assert from 'node:assert/strict';
import type { ContractRunner } from '@keel/core/testing';
import { collect } from '../eventStore/collect.js';
import type { EventStore } from '../eventStore/eventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import { describeError, rejectionOf } from '@keel/core/testing';
import type { StoreFactory } from './eventStoreContract.js';
import { numbered } from './eventStoreContract.js';

/** Yields to the event loop so other async work (appends) can interleave. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Takes the first `count` events of a subscription, yielding between events. */
async function take(subscription: AsyncIterable<RecordedEvent>, count: number): Promise<RecordedEvent[]> {
  const taken: RecordedEvent[] = [];
  if (count === 0) return taken;
  for await (const event of subscription) {
    taken.push(event);
    await turn();
    if (taken.length === count) break;
  }
  return taken;
}

/** Appends `count` single events to rotating streams, yielding between appends. */
async function appendSlowly(store: EventStore, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    await store.appendToStream(`live-${index % 3}`, numbered(1, 'Live', index));
    await turn();
  }
}

/** The subscription part of the event store contract. */
export function subscriptionContract(
  createStore: StoreFactory<EventStore>,
  { describe, it }: ContractRunner,
): void {
  describe('subscriptions', () => {
    it('delivers history then live events with no gap and no repeat while appends race the hand-over', async () => {
      const store = await createStore();
      for (let batch = 0; batch < 10; batch++) await store.appendToStream(`old-${batch % 4}`, numbered(5));
      const subscribed = take(store.subscribeToAll({ pageSize: 7 }), 50 + 40);
      await appendSlowly(store, 40);
      const delivered = await subscribed;
      const expected = (await collect(store.readAll())).map((event) => event.globalPosition);
      assert.deepEqual(
        delivered.map((event) => event.globalPosition),
        expected,
      );
    });

    it('delivers one stream then its live events in version order while appends race', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(9));
      const subscribed = take(store.subscribeToStream('s-1', { pageSize: 4 }), 9 + 12);
      for (let index = 0; index < 12; index++) {
        await store.appendToStream(index % 2 === 0 ? 's-1' : 'other', numbered(2));
        await turn();
      }
      const versions = (await subscribed).map((event) => event.streamVersion);
      assert.deepEqual(
        versions,
        Array.from({ length: 21 }, (_, i) => i + 1),
      );
    });

    it('delivers events appended at the very moment it catches up, once each', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(3));
      let handOvers = 0;
      const subscription = store.subscribeToAll({
        onCaughtUp: () => {
          // Append while the subscription switches from history to waiting: the racing case.
          if (handOvers++ < 5) void store.appendToStream('s-1', numbered(2));
        },
      });
      const delivered = await take(subscription, 3 + 5 * 2);
      const expected = (await collect(store.readAll())).map((event) => event.globalPosition);
      assert.deepEqual(
        delivered.map((event) => event.globalPosition),
        expected,
      );
      assert.equal(new Set(delivered.map((event) => event.eventId)).size, 13, 'each event is delivered once');
    });

    it('resumes from a global position', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(6));
      const all = await collect(store.readAll());
      const resumed = await take(store.subscribeToAll({ fromPosition: all[3]!.globalPosition + 1 }), 2);
      assert.deepEqual(
        resumed.map((event) => event.globalPosition),
        all.slice(4).map((event) => event.globalPosition),
      );
    });

    it('resumes a stream subscription from a version', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(6));
      const resumed = await take(store.subscribeToStream('s-1', { fromVersion: 5 }), 2);
      assert.deepEqual(
        resumed.map((event) => event.streamVersion),
        [5, 6],
      );
    });

    it('delivers only events that match the filter, history and live', async () => {
      const store = await createStore();
      await store.appendToStream('account-1', [...numbered(2, 'Deposited'), ...numbered(1, 'Noise')]);
      const subscribed = take(
        store.subscribeToAll({ filter: { eventTypes: ['Deposited'] }, pageSize: 2 }),
        4,
      );
      await store.appendToStream('account-1', numbered(3, 'Noise'));
      await store.appendToStream('account-2', numbered(2, 'Deposited'));
      const delivered = await subscribed;
      assert.deepEqual(
        delivered.map((event) => `${event.streamName}:${event.type}`),
        ['account-1:Deposited', 'account-1:Deposited', 'account-2:Deposited', 'account-2:Deposited'],
      );
    });

    it('reports when it has caught up with the position reached', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(3));
      const head = await store.headPosition();
      const controller = new AbortController();
      const caughtUp: number[] = [];
      const run = rejectionOf(async () => {
        for await (const _event of store.subscribeToAll({
          signal: controller.signal,
          onCaughtUp: (position) => {
            caughtUp.push(position);
            controller.abort(new Error('done'));
          },
        })) {
          // consume
        }
      });
      await run;
      assert.deepEqual(caughtUp, [head], 'onCaughtUp is called once, with the head position');
    });

    it('stops with the abort reason when its signal aborts while waiting for events', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(2));
      const controller = new AbortController();
      const reason = new Error('shutting down');
      const seen: number[] = [];
      let caughtUp!: () => void;
      const waiting = new Promise<void>((resolve) => (caughtUp = resolve));
      const run = rejectionOf(async () => {
        for await (const event of store.subscribeToAll({
          signal: controller.signal,
          onCaughtUp: () => caughtUp(),
        }))
          seen.push(event.globalPosition);
      });
      // Abort only once history is delivered and the subscription waits for live events, however
      // long the store's round trips take.
      await waiting;
      await turn();
      controller.abort(reason);
      const error = await run;
      assert.equal(error, reason, `expected the abort reason, got ${describeError(error)}`);
      assert.equal(seen.length, 2);
    });

    it('rejects at once when subscribed with an aborted signal', async () => {
      const store = await createStore();
      const reason = new Error('no');
      const error = await rejectionOf(() =>
        take(store.subscribeToAll({ signal: AbortSignal.abort(reason) }), 1),
      );
      assert.equal(error, reason, `expected the abort reason, got ${describeError(error)}`);
    });
  });
}
