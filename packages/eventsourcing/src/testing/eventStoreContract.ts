import assert from 'node:assert/strict';
import { isConcurrencyError, isValidationError } from '@keel/core';
import { contractRunner } from '@keel/core/testing';
import type { ContractOptions, ContractRunner } from '@keel/core/testing';
import { isDuplicateEventError } from '../errors/errors.js';
import { collect } from '../eventStore/collect.js';
import type { EventStore } from '../eventStore/eventStore.js';
import { ANY, NO_STREAM, STREAM_EXISTS } from '../eventStore/expectedVersion.js';
import type { NewEvent } from '../eventStore/recordedEvent.js';
import { InMemorySnapshotStore } from '../snapshots/snapshotStore.js';
import { appendChecksContract } from './appendChecksContract.js';
import { assertEqual, assertMatches, describeError, rejectionOf } from '@keel/core/testing';
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
 * The suite asserts with `node:assert` and registers its tests with the runner given in
 * `options.runner`, else with the global `describe`, `it`, `beforeEach` and `afterEach` (Jest,
 * Mocha, Bun, Vitest with `globals: true`), so it runs under any test runner.
 *
 * @param name Shown in the test names.
 * @param createStore Builds a fresh, empty store per test.
 * @param options `runner`: the test runner's functions, when they are not globals.
 * @throws ValidationError when no runner is given and the test functions are not globals.
 * @example
 * ```ts
 * eventStoreContract('InMemoryEventStore', () => new InMemoryEventStore());
 *
 * // Under node:test (or Vitest without globals), pass the runner's functions:
 * import { afterEach, beforeEach, describe, it } from 'node:test';
 * eventStoreContract('InMemoryEventStore', () => new InMemoryEventStore(), {
 *   runner: { describe, it, beforeEach, afterEach },
 * });
 * ```
 */
export function eventStoreContract(
  name: string,
  createStore: StoreFactory<EventStore>,
  options?: ContractOptions,
): void {
  const runner = contractRunner(options);
  runner.describe(`${name} (EventStore contract)`, () => {
    appendContract(createStore, runner);
    appendChecksContract(createStore, runner);
    duplicateIdsContract(createStore, runner);
    readContract(createStore, runner);
    readChecksContract(createStore, runner);
    subscriptionContract(createStore, runner);
    valuesContract(createStore, runner);
    prototypeKeysContract(createStore, runner);
  });
  snapshotLoadingContract(
    `${name} with InMemorySnapshotStore`,
    async () => ({ eventStore: await createStore(), snapshots: new InMemorySnapshotStore() }),
    { runner },
  );
}

function appendContract(createStore: StoreFactory<EventStore>, { describe, it }: ContractRunner): void {
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
      assertMatches(event, {
        streamName: 's-1',
        streamVersion: 1,
        globalPosition: result.lastPosition,
        eventId: '0190a8a0-0000-7000-8000-000000000001',
        type: 'Opened',
        data: { owner: 'Ada' },
        metadata: { userId: 'u-1' },
      });
      assert.ok(event!.recordedAt instanceof Date, 'recordedAt is a Date');
      assert.equal(Number.isNaN(event!.recordedAt.getTime()), false, 'recordedAt is a valid date');
      assertMatches(result, { nextExpectedVersion: 1, appended: true });
    });

    it('gives events without an id a fresh unique one', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(3));
      const ids = (await collect(store.readStream('s-1'))).map((event) => event.eventId);
      assert.equal(new Set(ids).size, 3, `expected 3 distinct event ids, got ${ids.join(', ')}`);
    });

    it('numbers stream versions from 1 and global positions in increasing order across streams', async () => {
      const store = await createStore();
      await store.appendToStream('a', numbered(2));
      await store.appendToStream('b', numbered(1));
      await store.appendToStream('a', numbered(1));
      const all = await collect(store.readAll());
      assert.deepEqual(
        all.map((event) => [event.streamName, event.streamVersion]),
        [
          ['a', 1],
          ['a', 2],
          ['b', 1],
          ['a', 3],
        ],
      );
      const positions = all.map((event) => event.globalPosition);
      assert.ok(
        positions.every((position, index) => index === 0 || position > positions[index - 1]!),
        `global positions must increase, got ${positions.join(', ')}`,
      );
      assert.equal(await store.headPosition(), positions[positions.length - 1]);
    });

    it('rejects NO_STREAM on an existing stream with a ConcurrencyError and appends nothing', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(2));
      const error = await rejectionOf(() =>
        store.appendToStream('s-1', numbered(1), { expectedVersion: NO_STREAM }),
      );
      assert.ok(isConcurrencyError(error), `expected a ConcurrencyError, got ${describeError(error)}`);
      assertMatches(error, { subject: 's-1', expected: NO_STREAM, actual: 2 });
      assert.equal(await store.streamVersion('s-1'), 2);
    });

    it('rejects STREAM_EXISTS on an absent stream', async () => {
      const store = await createStore();
      const error = await rejectionOf(() =>
        store.appendToStream('s-1', numbered(1), { expectedVersion: STREAM_EXISTS }),
      );
      assert.ok(isConcurrencyError(error), `expected a ConcurrencyError, got ${describeError(error)}`);
      assertMatches(error, { expected: STREAM_EXISTS, actual: NO_STREAM });
      assert.equal(await store.streamVersion('s-1'), 0);
    });

    it('accepts STREAM_EXISTS on a stream with events and ANY on any stream', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(1), { expectedVersion: ANY });
      await store.appendToStream('s-1', numbered(1), { expectedVersion: STREAM_EXISTS });
      await store.appendToStream('s-1', numbered(1), { expectedVersion: ANY });
      assert.equal(await store.streamVersion('s-1'), 3);
    });

    it('rejects a wrong exact version with the expected and actual versions', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(3));
      const error = await rejectionOf(() => store.appendToStream('s-1', numbered(2), { expectedVersion: 1 }));
      assertMatches(error, { code: 'CONCURRENCY_CONFLICT', subject: 's-1', expected: 1, actual: 3 });
      const message = (error as Error).message;
      assert.ok(message.includes('s-1'), `the message names the stream: ${message}`);
      assert.equal(await store.streamVersion('s-1'), 3);
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
      assert.equal(again.appended, false, 'the re-append reports appended: false');
      assert.equal(again.nextExpectedVersion, first.nextExpectedVersion);
      assert.deepEqual(
        again.events.map((event) => event.globalPosition),
        first.events.map((event) => event.globalPosition),
      );
      assert.equal(await store.streamVersion('s-1'), 3);
    });

    it('treats re-appending the same event ids with ANY as a no-op', async () => {
      const store = await createStore();
      const batch = [{ type: 'Once', data: {}, eventId: '0190a8a0-0000-7000-8000-000000000020' }];
      await store.appendToStream('s-1', batch, { expectedVersion: ANY });
      const again = await store.appendToStream('s-1', batch, { expectedVersion: ANY });
      assert.equal(again.appended, false, 'the re-append reports appended: false');
      assert.equal(await store.streamVersion('s-1'), 1);
    });

    it('rejects an event id already recorded elsewhere with a DuplicateEventError', async () => {
      const store = await createStore();
      const event = { type: 'Once', data: {}, eventId: '0190a8a0-0000-7000-8000-000000000030' };
      await store.appendToStream('s-1', [event]);
      const error = await rejectionOf(() => store.appendToStream('s-2', [event]));
      assert.ok(isDuplicateEventError(error), `expected a DuplicateEventError, got ${describeError(error)}`);
      assert.equal(await store.streamVersion('s-2'), 0);
    });

    it('appends a batch atomically: a failing batch leaves no event behind', async () => {
      const store = await createStore();
      const id = '0190a8a0-0000-7000-8000-000000000040';
      await store.appendToStream('other', [{ type: 'Taken', data: {}, eventId: id }]);
      const batch = [...numbered(3), { type: 'Clash', data: {}, eventId: id }];
      await rejectionOf(() => store.appendToStream('s-1', batch));
      assertEqual(await collect(store.readStream('s-1')), [], 'the failed batch left events behind');
      assert.equal(await store.headPosition(), (await collect(store.readAll())).at(-1)!.globalPosition);
    });

    it('rejects a negative expected version with a ValidationError', async () => {
      const store = await createStore();
      const error = await rejectionOf(() =>
        store.appendToStream('s-1', numbered(1), { expectedVersion: -1 }),
      );
      assert.ok(isValidationError(error), `expected a ValidationError, got ${describeError(error)}`);
      assert.equal(await store.streamVersion('s-1'), 0);
    });

    it('rejects at once when the signal is already aborted', async () => {
      const store = await createStore();
      const reason = new Error('stop');
      const error = await rejectionOf(() =>
        store.appendToStream('s-1', numbered(1), { signal: AbortSignal.abort(reason) }),
      );
      assert.equal(error, reason, `expected the abort reason, got ${describeError(error)}`);
      assert.equal(await store.streamVersion('s-1'), 0);
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
      assert.equal(succeeded.length, 1, `expected one append to succeed, ${succeeded.length} did`);
      assert.ok(
        failed.every((outcome) => isConcurrencyError(outcome.reason)),
        'every other append fails with a ConcurrencyError',
      );
      const versions = (await collect(store.readStream('s-1'))).map((event) => event.streamVersion);
      assert.deepEqual(versions, [1, 2, 3]);
    });
  });
}
