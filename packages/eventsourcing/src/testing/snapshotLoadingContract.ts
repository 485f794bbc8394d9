import { AggregateRoot } from '@keel/ddd';
import type { EventHandlers } from '@keel/ddd';
import { describe, expect, it } from 'vitest';
import { EventSourcedRepository } from '../aggregates/eventSourcedRepository.js';
import { createCommandHandler } from '../decider/commandHandler.js';
import type { Decider } from '../decider/decider.js';
import { collect } from '../eventStore/collect.js';
import type { EventStore } from '../eventStore/eventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import { aggregateStream } from '../snapshots/aggregateStream.js';
import { everyNEvents } from '../snapshots/snapshotPolicy.js';
import type { SnapshotStore } from '../snapshots/snapshotStore.js';
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
 * past it. `eventStoreContract` runs it with an `InMemorySnapshotStore`.
 *
 * @param name Shown in the test names.
 * @param createStores Builds a fresh, empty event store and snapshot store per test.
 * @example
 * ```ts
 * snapshotLoadingContract('Postgres stores', async () => ({ eventStore, snapshots }));
 * ```
 */
export function snapshotLoadingContract(
  name: string,
  createStores: StoreFactory<{ eventStore: EventStore; snapshots: SnapshotStore }>,
): void {
  describe(`${name} (snapshot loading contract)`, () => {
    it('aggregateStream ignores a snapshot ahead of its stream and replaces it', async () => {
      const { eventStore, snapshots } = await createStores();
      await aheadOfStream(eventStore, snapshots);
      const options = { ...fold, snapshots: { store: snapshots, policy: everyNEvents(100) } };
      const loaded = await aggregateStream(eventStore, STREAM, options);
      expect(loaded).toMatchObject({ state: 6, version: 3, replayed: 3 });
      expect(await snapshots.load(STREAM)).toMatchObject({ version: 3, state: 6 });
      await eventStore.appendToStream(STREAM, added(10, 20, 30), { expectedVersion: 3 });
      expect(await aggregateStream(eventStore, STREAM, options)).toMatchObject({ state: 66, version: 6 });
    });

    it('aggregateStream ignores and removes a snapshot of a stream that has no events', async () => {
      const { eventStore, snapshots } = await createStores();
      const takenAt = new Date('2026-01-02T03:04:05.000Z');
      await snapshots.save({ streamName: STREAM, version: 2, schemaVersion: 1, state: 999, takenAt });
      const options = { ...fold, snapshots: { store: snapshots, policy: everyNEvents(100) } };
      expect(await aggregateStream(eventStore, STREAM, options)).toMatchObject({ state: 0, version: 0 });
      expect(await snapshots.load(STREAM)).toBeUndefined();
    });

    it('the command handler decides on the real state and appends at the real version', async () => {
      const { eventStore, snapshots } = await createStores();
      await aheadOfStream(eventStore, snapshots);
      const handle = createCommandHandler(eventStore, tally, {
        snapshots: { store: snapshots, policy: everyNEvents(100) },
      });
      const result = await handle(STREAM, { n: 4 });
      expect(result).toMatchObject({ state: 10, nextExpectedVersion: 4 });
      expect((await handle(STREAM, { n: 5 })).state).toBe(15);
      const totals = (await collect(eventStore.readStream(STREAM))).map((event) => event.streamVersion);
      expect(totals).toEqual([1, 2, 3, 4, 5]);
    });

    it('EventSourcedRepository loads the real state and saves at the real version', async () => {
      const { eventStore, snapshots } = await createStores();
      await aheadOfStream(eventStore, snapshots, { total: 999 });
      const repository = new EventSourcedRepository(eventStore, (id: string) => new Tally(id), {
        snapshots: { store: snapshots, policy: everyNEvents(100) },
      });
      const loaded = await repository.get('t-1');
      expect([loaded.total, loaded.version]).toEqual([6, 3]);
      loaded.add(4);
      await repository.save(loaded);
      expect(await eventStore.streamVersion(STREAM)).toBe(4);
      expect(await snapshots.load(STREAM)).toMatchObject({ version: 3, state: { total: 6 } });
      const again = await repository.get('t-1');
      expect([again.total, again.version]).toEqual([10, 4]);
    });
  });
}
