import assert from 'node:assert/strict';
import { isValidationError } from '@keel/core';
import type { ContractRunner } from '@keel/core/testing';
import { collect } from '../eventStore/collect.js';
import type { EventStore } from '../eventStore/eventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import { assertEqual, describeError, rejectionOf } from '@keel/core/testing';
import { caseLabel } from './caseLabel.js';
import type { StoreFactory } from './eventStoreContract.js';
import { numbered } from './eventStoreContract.js';

/** Values no position, version, count or page size may take (besides range-specific ones). */
const NOT_INTEGERS: readonly unknown[] = [Number.NaN, -1, 1.5, '2', null];

/** Reads the first event of a subscription (or of a read), then stops it. */
async function first(events: AsyncIterable<RecordedEvent>): Promise<RecordedEvent | undefined> {
  for await (const event of events) return event;
  return undefined;
}

type Read = (store: EventStore, options: Record<string, unknown>) => Promise<unknown>;

/** Every read that takes each option, as a call that reads (at least) one event or page. */
const READS: Readonly<Record<string, Readonly<Record<string, Read>>>> = {
  fromVersion: {
    readStream: (store, options) => collect(store.readStream('s-1', options)),
    readStreamPages: (store, options) => collect(store.readStreamPages('s-1', options)),
    subscribeToStream: async (store, options) => first(store.subscribeToStream('s-1', options)),
  },
  fromPosition: {
    readAll: (store, options) => collect(store.readAll(options)),
    readAllPages: (store, options) => collect(store.readAllPages(options)),
    subscribeToAll: async (store, options) => first(store.subscribeToAll(options)),
  },
  maxCount: {
    readStream: (store, options) => collect(store.readStream('s-1', options)),
    readStreamPages: (store, options) => collect(store.readStreamPages('s-1', options)),
    readAll: (store, options) => collect(store.readAll(options)),
    readAllPages: (store, options) => collect(store.readAllPages(options)),
  },
  pageSize: {
    readStream: (store, options) => collect(store.readStream('s-1', options)),
    readStreamPages: (store, options) => collect(store.readStreamPages('s-1', options)),
    readAll: (store, options) => collect(store.readAll(options)),
    readAllPages: (store, options) => collect(store.readAllPages(options)),
    subscribeToAll: async (store, options) => first(store.subscribeToAll(options)),
    subscribeToStream: async (store, options) => first(store.subscribeToStream('s-1', options)),
  },
};

/** Out-of-range values per option, besides {@link NOT_INTEGERS}. */
const EXTRA_BAD: Readonly<Record<string, readonly unknown[]>> = {
  fromVersion: [Infinity, 2 ** 53],
  fromPosition: [Infinity, 2 ** 53],
  maxCount: [-Infinity],
  pageSize: [0, Infinity],
};

const cases = Object.entries(READS).flatMap(([option, reads]) =>
  Object.entries(reads).flatMap(([api, read]) =>
    [...NOT_INTEGERS, ...(EXTRA_BAD[option] ?? [])].map(
      (value) => [api, option, value, read] as [string, string, unknown, Read],
    ),
  ),
);

/**
 * The read-option checks every store applies (`checkReadStreamOptions`, `checkReadAllOptions`,
 * `checkSubscribeToStreamOptions`, `checkSubscribeToAllOptions`): a NaN, negative, fractional,
 * `null` or non-numeric position, version, count or page size is a ValidationError on every
 * read, never an empty result or a SQL error.
 */
export function readChecksContract(
  createStore: StoreFactory<EventStore>,
  { describe, it }: ContractRunner,
): void {
  describe('read option checks', () => {
    for (const [api, option, value, read] of cases) {
      it(`${api} refuses ${option} ${caseLabel(value)} with a ValidationError`, async () => {
        const store = await createStore();
        // With an event in the store, a store that skipped the check would deliver it and end the
        // read or subscription, so the test fails instead of waiting.
        await store.appendToStream('s-1', numbered(1));
        const error = await rejectionOf(() => read(store, { [option]: value }));
        assert.ok(isValidationError(error), `expected a ValidationError, got ${describeError(error)}`);
      });
    }

    it('accepts the documented defaults and limits passed explicitly', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(3));
      assert.equal(
        (await collect(store.readStream('s-1', { maxCount: Infinity, fromVersion: 0 }))).length,
        3,
      );
      assertEqual(await collect(store.readStream('s-1', { maxCount: 0 })), [], 'maxCount 0 reads nothing');
      assert.equal(
        (await collect(store.readAll({ fromPosition: 0, maxCount: Infinity, pageSize: 1 }))).length,
        3,
      );
      const last = await collect(
        store.readStream('s-1', { direction: 'backward', fromVersion: 2 ** 53 - 1 }),
      );
      assert.deepEqual(
        last.map((event) => event.streamVersion),
        [3, 2, 1],
      );
      assertEqual(
        await collect(store.readAll({ fromPosition: 2 ** 53 - 1 })),
        [],
        'nothing past the last position',
      );
    });

    it('refuses null options with a ValidationError on every read and query', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(1));
      const attempts: (() => Promise<unknown>)[] = [
        () => collect(store.readStream('s-1', null as never)),
        () => collect(store.readStreamPages('s-1', null as never)),
        () => collect(store.readAll(null as never)),
        () => collect(store.readAllPages(null as never)),
        () => first(store.subscribeToStream('s-1', null as never)),
        () => first(store.subscribeToAll(null as never)),
        () => store.streamVersion('s-1', null as never),
        () => store.headPosition(null as never),
      ];
      for (const [index, attempt] of attempts.entries()) {
        const error = await rejectionOf(attempt);
        assert.ok(
          isValidationError(error),
          `call ${index}: expected a ValidationError, got ${describeError(error)}`,
        );
      }
    });

    it('refuses an unknown direction and a malformed filter with a ValidationError', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(1));
      const attempts: (() => Promise<unknown>)[] = [
        () => collect(store.readStream('s-1', { direction: 'sideways' as never })),
        () => collect(store.readAll({ filter: { eventTypes: 'Numbered' as never } })),
        () => collect(store.readAll({ filter: { eventTypes: [42 as never] } })),
        () => collect(store.readAll({ filter: { streamPrefix: 7 as never } })),
        () => collect(store.readAll({ filter: { streamPrefix: ['s-', 'bad\u0000'] } })),
        () => first(store.subscribeToAll({ filter: { eventTypes: [null as never] } })),
      ];
      for (const attempt of attempts) {
        const error = await rejectionOf(attempt);
        assert.ok(isValidationError(error), `expected a ValidationError, got ${describeError(error)}`);
      }
    });
  });
}
