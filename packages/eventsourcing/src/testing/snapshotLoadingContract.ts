import assert from 'node:assert/strict';
import { contractRunner } from '@keel/core/testing';
import type { ContractOptions } from '@keel/core/testing';
import { AggregateRoot } from '@keel/ddd';
import type { EventHandlers } from '@keel/ddd';
import { EventSourcedRepository } from '../aggregates/eventSourcedRepository.js';
import { createCommandHandler } from '../decider/commandHandler.js';
import type { Decider } from '../decider/decider.js';
import { collect } from '../eventStore/collect.js';
import type { EventStore } from '../eventStore/eventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import { aggregateStream } from '../snapshots/aggregateStream.js';
import { everyNEvents } from '../snapshots/snapshotPolicy.js';
import type { SnapshotStore } from '../snapshots/snapshotStore.js';
import { assertMatches } from '@keel/core/testing';
import type { StoreFactory } from './eventStoreContract.js';

type TallyEvents = { Added: { n: number } };
type Add = { n: number };
type Added = { type: 'Added'; data: { n: number } };

/** The decider of a running total. */
const tally: Decider<Add, number, Added> = {
  initialState: () => 0,
  decide: (command) => [{ type: 'Added', data: { n: command.n } }],
  evolve: (total, event) => total + event.data.n,
};
const fold = {
  initialState: tally.initialState,
  evolve: (total: number, event: RecordedEvent) => tally.evolve(total, event as unknown as Added),
};

/** The same running total as an aggregate with snapshots. */
class Tally extends AggregateRoot<string, TallyEvents, { total: number }> {
  readonly aggregateType = 'Tally';
  total = 0;
  protected readonly handlers: EventHandlers<TallyEvents> = {
    Added: ({ n }) => {
      this.total += n;
    },
  };

  add(n: number): void {
    this.raise('Added', { n });
  }

  protected override snapshotState(): { total: number } {
    return { total: this.total };
  }

  protected override restoreSnapshotState(state: { total: number }): void {
    this.total = state.total;
  }
}

const STREAM = 'Tally-t-1';
const added = (...ns: number[]) => ns.map((n) => ({ type: 'Added', data: { n } }));

/** A stream of three events (total 6) and a phantom snapshot at version 5 (total 999). */
async function aheadOfStream(
  eventStore: EventStore,
  snapshots: SnapshotStore,
  state: unknown = 999,
): Promise<void> {
  await eventStore.appendToStream(STREAM, added(1, 2, 3));
  const takenAt = new Date('2026-01-02T03:04:05.000Z');
  await snapshots.save({ streamName: STREAM, version: 5, schemaVersion: 1, state, takenAt });
}

/**
 * How the loaders (`aggregateStream`, the decider command handler, `EventSourcedRepository`)
 * treat snapshots on a pair of stores: a snapshot ahead of its stream (a version above the
 * stream's: corrupt, or saved by a transaction that rolled back) is ignored, the state is rebuilt
 * from every event, and the snapshot is replaced so it cannot come back once the stream grows
 * past it. `eventStoreContract` runs it with an `InMemorySnapshotStore`. It asserts with
 * `node:assert` and runs under any test runner (see `eventStoreContract`).
 *
 * @param name Shown in the test names.
 * @param createStores Builds a fresh, empty event store and snapshot store per test.
 * @param options `runner`: the test runner's functions; defaults to the global `describe`, `it`,
 * `beforeEach` and `afterEach`.
 * @throws ValidationError when no runner is given and the test functions are not globals.
 * @example
 * ```ts
 * snapshotLoadingContract('Postgres stores', async () => ({ eventStore, snapshots }));
 *
 * // Under node:test (or Vitest without globals):
 * import { afterEach, beforeEach, describe, it } from 'node:test';
 * snapshotLoadingContract('Postgres stores', async () => ({ eventStore, snapshots }), {
 *   runner: { describe, it, beforeEach, afterEach },
 * });
 * ```
 */
export function snapshotLoadingContract(
  name: string,
  createStores: StoreFactory<{ eventStore: EventStore; snapshots: SnapshotStore }>,
  options?: ContractOptions,
): void {
  const { describe, it } = contractRunner(options);
  describe(`${name} (snapshot loading contract)`, () => {
    it('aggregateStream ignores a snapshot ahead of its stream and replaces it', async () => {
      const { eventStore, snapshots } = await createStores();
      await aheadOfStream(eventStore, snapshots);
      const options = { ...fold, snapshots: { store: snapshots, policy: everyNEvents(100) } };
      const loaded = await aggregateStream(eventStore, STREAM, options);
      assertMatches(loaded, { state: 6, version: 3, replayed: 3 }, 'the state is rebuilt from every event');
      assertMatches(await snapshots.load(STREAM), { version: 3, state: 6 }, 'the snapshot is replaced');
      await eventStore.appendToStream(STREAM, added(10, 20, 30), { expectedVersion: 3 });
      assertMatches(await aggregateStream(eventStore, STREAM, options), { state: 66, version: 6 });
    });

    it('aggregateStream ignores and removes a snapshot of a stream that has no events', async () => {
      const { eventStore, snapshots } = await createStores();
      const takenAt = new Date('2026-01-02T03:04:05.000Z');
      await snapshots.save({ streamName: STREAM, version: 2, schemaVersion: 1, state: 999, takenAt });
      const options = { ...fold, snapshots: { store: snapshots, policy: everyNEvents(100) } };
      assertMatches(await aggregateStream(eventStore, STREAM, options), { state: 0, version: 0 });
      assert.equal(await snapshots.load(STREAM), undefined, 'the snapshot of an empty stream is removed');
    });

    it('the command handler decides on the real state and appends at the real version', async () => {
      const { eventStore, snapshots } = await createStores();
      await aheadOfStream(eventStore, snapshots);
      const handle = createCommandHandler(eventStore, tally, {
        snapshots: { store: snapshots, policy: everyNEvents(100) },
      });
      const result = await handle(STREAM, { n: 4 });
      assertMatches(result, { state: 10, nextExpectedVersion: 4 });
      assert.equal((await handle(STREAM, { n: 5 })).state, 15);
      const totals = (await collect(eventStore.readStream(STREAM))).map((event) => event.streamVersion);
      assert.deepEqual(totals, [1, 2, 3, 4, 5]);
    });

    it('EventSourcedRepository loads the real state and saves at the real version', async () => {
      const { eventStore, snapshots } = await createStores();
      await aheadOfStream(eventStore, snapshots, { total: 999 });
      const repository = new EventSourcedRepository(eventStore, (id: string) => new Tally(id), {
        snapshots: { store: snapshots, policy: everyNEvents(100) },
      });
      const loaded = await repository.get('t-1');
      assert.deepEqual([loaded.total, loaded.version], [6, 3], '[total, version] after loading');
      loaded.add(4);
      await repository.save(loaded);
      assert.equal(await eventStore.streamVersion(STREAM), 4);
      assertMatches(
        await snapshots.load(STREAM),
        { version: 3, state: { total: 6 } },
        'the snapshot is replaced',
      );
      const again = await repository.get('t-1');
      assert.deepEqual([again.total, again.version], [10, 4], '[total, version] after saving');
    });
  });
}
