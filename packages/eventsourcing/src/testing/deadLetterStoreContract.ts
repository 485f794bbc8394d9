import assert from 'node:assert/strict';
import { isSerializationError, isValidationError } from '@keel/core';
import { contractRunner } from '@keel/core/testing';
import type { ContractOptions } from '@keel/core/testing';
import type { DeadLetter, DeadLetterStore } from '../projections/deadLetterStore.js';
import { assertEqual, describeError, rejectionOf } from '@keel/core/testing';
import { caseLabel } from './caseLabel.js';
import { NOT_COUNTS, UNSTORABLE_VALUES } from './contractValues.js';
import type { StoreFactory } from './eventStoreContract.js';

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
 * rules of every Keel store and the shared input checks. It asserts with `node:assert` and
 * runs under any test runner (see `eventStoreContract`).
 *
 * @param name Shown in the test names.
 * @param createStore Builds a fresh, empty store per test.
 * @param options `runner`: the test runner's functions; defaults to the global `describe`, `it`,
 * `beforeEach` and `afterEach`.
 * @throws ValidationError when no runner is given and the test functions are not globals.
 * @example
 * ```ts
 * deadLetterStoreContract('InMemoryDeadLetterStore', () => new InMemoryDeadLetterStore());
 *
 * // Under node:test (or Vitest without globals):
 * import { afterEach, beforeEach, describe, it } from 'node:test';
 * deadLetterStoreContract('InMemoryDeadLetterStore', () => new InMemoryDeadLetterStore(), {
 *   runner: { describe, it, beforeEach, afterEach },
 * });
 * ```
 */
export function deadLetterStoreContract(
  name: string,
  createStore: StoreFactory<DeadLetterStore>,
  options?: ContractOptions,
): void {
  const { describe, it } = contractRunner(options);
  describe(`${name} (DeadLetterStore contract)`, () => {
    it('lists the letters of a projection by position with their error and event', async () => {
      const store = await createStore();
      await store.add(letter('balances', 7));
      await store.add(letter('balances', 3));
      await store.add(letter('history', 5));
      const listed = await store.list('balances');
      assert.deepEqual(
        listed.map((entry) => entry.position),
        [3, 7],
      );
      assertEqual(listed[0], letter('balances', 3), 'the listed letter differs from the added one');
      assert.equal((await store.list()).length, 3);
    });

    it('removes a letter', async () => {
      const store = await createStore();
      await store.add(letter('balances', 3));
      assert.equal(await store.remove('balances', 3), true, 'remove reports a removed letter');
      assert.equal(await store.remove('balances', 3), false, 'remove reports a letter that was not there');
      assertEqual(await store.list('balances'), [], 'the removed letter is still listed');
    });

    for (const [what, value] of UNSTORABLE_VALUES) {
      it(`refuses an event whose data holds ${what} with a SerializationError and stores nothing`, async () => {
        const store = await createStore();
        const error = await rejectionOf(() => store.add(letter('balances', 3, value)));
        assert.ok(isSerializationError(error), `expected a SerializationError, got ${describeError(error)}`);
        assertEqual(await store.list(), [], 'the refused letter was stored');
      });
    }

    it('lists a Date in the event data as its ISO string, in fresh copies', async () => {
      const store = await createStore();
      await store.add(letter('balances', 3, { at: new Date('2026-03-04T05:06:07.089Z') }));
      const [listed] = await store.list('balances');
      assertEqual(listed!.event.data, { at: '2026-03-04T05:06:07.089Z' }, 'the data reads back as JSON');
      assertEqual(listed!.event.recordedAt, new Date('2026-01-02T03:04:05.000Z'), 'recordedAt reads back');
      (listed!.event.data as { at: string }).at = 'changed';
      const [again] = await store.list('balances');
      assertEqual(
        again!.event.data,
        { at: '2026-03-04T05:06:07.089Z' },
        'mutating a listed letter changed the store',
      );
    });

    it('refuses a position that is not an integer >= 0 with a ValidationError and stores nothing', async () => {
      const store = await createStore();
      for (const position of NOT_COUNTS) {
        const error = await rejectionOf(() => store.add(letter('balances', position as number)));
        assert.ok(
          isValidationError(error),
          `expected a ValidationError for ${caseLabel(position)}, got ${describeError(error)}`,
        );
      }
      const unnamed = await rejectionOf(() => store.add(letter('', 1)));
      assert.ok(isValidationError(unnamed), `expected a ValidationError, got ${describeError(unnamed)}`);
      assertEqual(await store.list(), [], 'a refused letter was stored');
    });
  });
}
