import { ConcurrencyError, isConcurrencyError, isValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { isDuplicateEventError } from '../errors/errors.js';
import { collect } from '../eventStore/collect.js';
import type { EventStore } from '../eventStore/eventStore.js';
import { ANY, NO_STREAM, STREAM_EXISTS } from '../eventStore/expectedVersion.js';
import type { NewEvent } from '../eventStore/recordedEvent.js';
import { InMemorySnapshotStore } from '../snapshots/snapshotStore.js';
import { appendChecksContract } from './appendChecksContract.js';
import { duplicateIdsContract } from './duplicateIdsContract.js';
import { prototypeKeysContract } from './prototypeKeysContract.js';
import { readChecksContract } from './readChecksContract.js';
import { readContract } from './readContract.js';
import { snapshotLoadingContract } from './snapshotLoadingContract.js';
import { subscriptionContract } from './subscriptionContract.js';
import { valuesContract } from './valuesContract.js';

/** Builds a fresh, empty store for one test. */
export type StoreFactory<TStore> = () => TStore | Promise<TStore>;

/** `count` numbered events of type `type`: `{ n: 1 }`, `{ n: 2 }` … */
export function numbered(count: number, type = 'Numbered', start = 1): NewEvent[] {
  return Array.from({ length: count }, (_, index) => ({ type, data: { n: start + index } }));
}

/** Runs `run` and returns what it rejected with (fails if it resolved). */
export async function rejectionOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the call resolved');
}

/**
 * The behaviour every {@link EventStore} must have. Call it at the top level of a test file
 * with a factory that returns a fresh, empty store; the PostgreSQL adapter runs the same suite.
 *
 * Besides appends, reads and subscriptions, it holds a store to the rules every Keel store
 * shares: the input checks (`checkAppend` and the read checks: expected versions, event types,
 * stream-name length, read options), the duplicate-id rule, the storable-JSON value rules,
 * `recordedAt` never decreasing along the global order, names that are `Object.prototype` keys,
 * `withUpcasting` keeping an explicit schema version, and loaders ignoring a snapshot ahead of
 * its stream (with an `InMemorySnapshotStore`; see `snapshotLoadingContract` for a store pair).
 *
 * @param name Shown in the test names.
 * @param createStore Builds a fresh, empty store per test.
 * @example
 * ```ts
 * eventStoreContract('InMemoryEventStore', () => new InMemoryEventStore());
 * ```
 */
export function eventStoreContract(name: string, createStore: StoreFactory<EventStore>): void {
  describe(`${name} (EventStore contract)`, () => {
    appendContract(createStore);
    appendChecksContract(createStore);
    duplicateIdsContract(createStore);
    readContract(createStore);
    readChecksContract(createStore);
    subscriptionContract(createStore);
    valuesContract(createStore);
    prototypeKeysContract(createStore);
  });
  snapshotLoadingContract(`${name} with InMemorySnapshotStore`, async () => ({
    eventStore: await createStore(),
    snapshots: new InMemorySnapshotStore(),
  }));
}

function appendContract(createStore: StoreFactory<EventStore>): void {
  describe('appendToStream', () => {
    it('records every field of an appended event', async () => {
      const store = await createStore();
      const result = await store.appendToStream(
        's-1',
        [
          {
            type: 'Opened',
            data: { owner: 'Ada' },
            metadata: { userId: 'u-1' },
            eventId: '0190a8a0-0000-7000-8000-000000000001',
          },
        ],
        { expectedVersion: NO_STREAM },
      );
      const [event] = await collect(store.readStream('s-1'));
      expect(event).toMatchObject({
        streamName: 's-1',
        streamVersion: 1,
        globalPosition: result.lastPosition,
        eventId: '0190a8a0-0000-7000-8000-000000000001',
        type: 'Opened',
        data: { owner: 'Ada' },
        metadata: { userId: 'u-1' },
      });
      expect(event!.recordedAt).toBeInstanceOf(Date);
      expect(Number.isNaN(event!.recordedAt.getTime())).toBe(false);
      expect(result).toMatchObject({ nextExpectedVersion: 1, appended: true });
    });

    it('gives events without an id a fresh unique one', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(3));
      const ids = (await collect(store.readStream('s-1'))).map((event) => event.eventId);
      expect(new Set(ids).size).toBe(3);
    });

    it('numbers stream versions from 1 and global positions in increasing order across streams', async () => {
      const store = await createStore();
      await store.appendToStream('a', numbered(2));
      await store.appendToStream('b', numbered(1));
      await store.appendToStream('a', numbered(1));
      const all = await collect(store.readAll());
      expect(all.map((event) => [event.streamName, event.streamVersion])).toEqual([
        ['a', 1],
        ['a', 2],
        ['b', 1],
        ['a', 3],
      ]);
      const positions = all.map((event) => event.globalPosition);
      expect(positions.every((position, index) => index === 0 || position > positions[index - 1]!)).toBe(
        true,
      );
      expect(await store.headPosition()).toBe(positions[positions.length - 1]);
    });

    it('rejects NO_STREAM on an existing stream with a ConcurrencyError and appends nothing', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(2));
      const error = await rejectionOf(() =>
        store.appendToStream('s-1', numbered(1), { expectedVersion: NO_STREAM }),
      );
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect(error).toMatchObject({ subject: 's-1', expected: NO_STREAM, actual: 2 });
      expect(await store.streamVersion('s-1')).toBe(2);
    });

    it('rejects STREAM_EXISTS on an absent stream', async () => {
      const store = await createStore();
      const error = await rejectionOf(() =>
        store.appendToStream('s-1', numbered(1), { expectedVersion: STREAM_EXISTS }),
      );
      expect(isConcurrencyError(error)).toBe(true);
      expect(error).toMatchObject({ expected: STREAM_EXISTS, actual: NO_STREAM });
      expect(await store.streamVersion('s-1')).toBe(0);
    });

    it('accepts STREAM_EXISTS on a stream with events and ANY on any stream', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(1), { expectedVersion: ANY });
      await store.appendToStream('s-1', numbered(1), { expectedVersion: STREAM_EXISTS });
      await store.appendToStream('s-1', numbered(1), { expectedVersion: ANY });
      expect(await store.streamVersion('s-1')).toBe(3);
    });

    it('rejects a wrong exact version with the expected and actual versions', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(3));
      const error = await rejectionOf(() => store.appendToStream('s-1', numbered(2), { expectedVersion: 1 }));
      expect(error).toMatchObject({ code: 'CONCURRENCY_CONFLICT', subject: 's-1', expected: 1, actual: 3 });
      expect((error as Error).message).toContain('s-1');
      expect(await store.streamVersion('s-1')).toBe(3);
    });

    it('treats re-appending the same event ids at the same version as a no-op', async () => {
      const store = await createStore();
      const batch = numbered(2).map((event, index) => ({
        ...event,
        eventId: `0190a8a0-0000-7000-8000-00000000001${index}`,
      }));
      await store.appendToStream('s-1', numbered(1));
      const first = await store.appendToStream('s-1', batch, { expectedVersion: 1 });
      const again = await store.appendToStream('s-1', batch, { expectedVersion: 1 });
      expect(again.appended).toBe(false);
      expect(again.nextExpectedVersion).toBe(first.nextExpectedVersion);
      expect(again.events.map((event) => event.globalPosition)).toEqual(
        first.events.map((event) => event.globalPosition),
      );
      expect(await store.streamVersion('s-1')).toBe(3);
    });

    it('treats re-appending the same event ids with ANY as a no-op', async () => {
      const store = await createStore();
      const batch = [{ type: 'Once', data: {}, eventId: '0190a8a0-0000-7000-8000-000000000020' }];
      await store.appendToStream('s-1', batch, { expectedVersion: ANY });
      const again = await store.appendToStream('s-1', batch, { expectedVersion: ANY });
      expect(again.appended).toBe(false);
      expect(await store.streamVersion('s-1')).toBe(1);
    });

    it('rejects an event id already recorded elsewhere with a DuplicateEventError', async () => {
      const store = await createStore();
      const event = { type: 'Once', data: {}, eventId: '0190a8a0-0000-7000-8000-000000000030' };
      await store.appendToStream('s-1', [event]);
      const error = await rejectionOf(() => store.appendToStream('s-2', [event]));
      expect(isDuplicateEventError(error)).toBe(true);
      expect(await store.streamVersion('s-2')).toBe(0);
    });

    it('appends a batch atomically: a failing batch leaves no event behind', async () => {
      const store = await createStore();
      const id = '0190a8a0-0000-7000-8000-000000000040';
      await store.appendToStream('other', [{ type: 'Taken', data: {}, eventId: id }]);
      const batch = [...numbered(3), { type: 'Clash', data: {}, eventId: id }];
      await rejectionOf(() => store.appendToStream('s-1', batch));
      expect(await collect(store.readStream('s-1'))).toEqual([]);
      expect(await store.headPosition()).toBe((await collect(store.readAll())).at(-1)!.globalPosition);
    });

    it('rejects a negative expected version with a ValidationError', async () => {
      const store = await createStore();
      const error = await rejectionOf(() =>
        store.appendToStream('s-1', numbered(1), { expectedVersion: -1 }),
      );
      expect(isValidationError(error)).toBe(true);
      expect(await store.streamVersion('s-1')).toBe(0);
    });

    it('rejects at once when the signal is already aborted', async () => {
      const store = await createStore();
      const reason = new Error('stop');
      const error = await rejectionOf(() =>
        store.appendToStream('s-1', numbered(1), { signal: AbortSignal.abort(reason) }),
      );
      expect(error).toBe(reason);
      expect(await store.streamVersion('s-1')).toBe(0);
    });

    it('lets exactly one of many concurrent appends with the same expected version succeed', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(1));
      const attempts = Array.from({ length: 20 }, (_, index) =>
        store.appendToStream('s-1', numbered(2, `Writer${index}`), { expectedVersion: 1 }),
      );
      const outcomes = await Promise.allSettled(attempts);
      const succeeded = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(succeeded).toHaveLength(1);
      expect(failed.every((outcome) => isConcurrencyError(outcome.reason))).toBe(true);
      const versions = (await collect(store.readStream('s-1'))).map((event) => event.streamVersion);
      expect(versions).toEqual([1, 2, 3]);
    });
  });
}
