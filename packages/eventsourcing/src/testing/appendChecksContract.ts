import assert from 'node:assert/strict';
import { isConcurrencyError, isValidationError } from '@keel/core';
import type { ContractRunner } from '@keel/core/testing';
import { collect } from '../eventStore/collect.js';
import type { EventStore } from '../eventStore/eventStore.js';
import { MAX_EVENT_TYPE_LENGTH, MAX_STREAM_NAME_LENGTH } from '../eventStore/names.js';
import type { NewEvent } from '../eventStore/recordedEvent.js';
import { describeError, rejectionOf } from '@keel/core/testing';
import { caseLabel } from './caseLabel.js';
import { Money, wideName } from './contractValues.js';
import { NO_STREAM } from '../eventStore/expectedVersion.js';
import type { StoreFactory } from './eventStoreContract.js';
import { numbered } from './eventStoreContract.js';

/** Asserts `run` rejects with a ValidationError and the store holds no event afterwards. */
async function expectRefused(store: EventStore, run: () => Promise<unknown>): Promise<void> {
  const error = await rejectionOf(run);
  assert.ok(isValidationError(error), `expected a ValidationError, got ${describeError(error)}`);
  assert.equal(await store.headPosition(), 0, 'the refused call wrote nothing');
}

/** An array of `length` slots holding an event at each of `filled` and holes (`[e1, , e3]`) elsewhere. */
function withHoles(length: number, filled: readonly number[]): NewEvent[] {
  const batch = new Array<NewEvent>(length);
  for (const index of filled) batch[index] = { type: 'Numbered', data: { n: index + 1 } };
  return batch;
}

/** The input checks every store applies to appends (`checkAppend`), before anything is written. */
export function appendChecksContract(
  createStore: StoreFactory<EventStore>,
  { describe, it }: ContractRunner,
): void {
  describe('append input checks', () => {
    const beyondSafe = [2 ** 53, 2 ** 63, 1e300];
    for (const expectedVersion of [
      null,
      'ANY',
      'any ',
      1.5,
      Number.NaN,
      -1,
      Infinity,
      {},
      true,
      ...beyondSafe,
    ]) {
      it(`refuses the expected version ${caseLabel(expectedVersion)} with a ValidationError and appends nothing`, async () => {
        const store = await createStore();
        await expectRefused(store, () =>
          store.appendToStream('s-1', numbered(1), { expectedVersion: expectedVersion as never }),
        );
      });
    }

    it('takes 2^53 - 1 as an expected version like any other number', async () => {
      const store = await createStore();
      const error = await rejectionOf(() =>
        store.appendToStream('s-1', numbered(1), { expectedVersion: Number.MAX_SAFE_INTEGER }),
      );
      assert.ok(isConcurrencyError(error), `expected a ConcurrencyError, got ${describeError(error)}`);
      assert.equal(await store.headPosition(), 0);
    });

    for (const options of [null, 5, 'any', []]) {
      it(`refuses the append options ${caseLabel(options)} with a ValidationError and appends nothing`, async () => {
        const store = await createStore();
        let pending: Promise<unknown> | undefined;
        assert.doesNotThrow(() => {
          pending = store.appendToStream('s-1', numbered(1), options as never);
        }, 'the options are refused with a rejection, not a synchronous throw');
        await expectRefused(store, () => pending!);
      });
    }

    it('treats an undefined expected version as ANY', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', numbered(1));
      await store.appendToStream('s-1', numbered(1), { expectedVersion: undefined as never });
      assert.equal(await store.streamVersion('s-1'), 2);
    });

    for (const [what, bad] of [
      ['without a type', { data: {} }],
      ['with an empty type', { type: '', data: {} }],
      ['with a numeric type', { type: 42, data: {} }],
      ['with a null type', { type: null, data: {} }],
      ['with a type holding a NUL character', { type: 'Bad\u0000Type', data: {} }],
      ['with a type over the maximum length', { type: 'T'.repeat(MAX_EVENT_TYPE_LENGTH + 1), data: {} }],
      ['with an empty event id', { type: 'T', data: {}, eventId: '' }],
      ['with a numeric event id', { type: 'T', data: {}, eventId: 7 }],
      ['with null metadata', { type: 'T', data: {}, metadata: null }],
      ['with Date metadata', { type: 'T', data: {}, metadata: new Date(0) }],
      ['with boxed-string metadata', { type: 'T', data: {}, metadata: new String('hi') }],
      ['with class-instance metadata', { type: 'T', data: {}, metadata: new Money(1, 'EUR') }],
      ['that is null', null],
    ] as [string, unknown][]) {
      it(`refuses a batch with an event ${what} with a ValidationError and appends none of it`, async () => {
        const store = await createStore();
        const batch = [...numbered(2), bad, ...numbered(1)] as NewEvent[];
        await expectRefused(store, () => store.appendToStream('s-1', batch));
      });
    }

    for (const [what, batch] of [
      ['a hole between events', withHoles(3, [0, 2])],
      ['only a hole', withHoles(1, [])],
      ['a hole at the end', withHoles(3, [0, 1])],
    ] as [string, NewEvent[]][]) {
      it(`refuses a batch with ${what} with a ValidationError, writes none of it and stays readable`, async () => {
        const store = await createStore();
        await store.appendToStream('other', numbered(1));
        const error = await rejectionOf(() => store.appendToStream('s-1', batch));
        assert.ok(isValidationError(error), `expected a ValidationError, got ${describeError(error)}`);
        assert.equal(await store.streamVersion('s-1'), 0);
        assert.equal(await store.headPosition(), 1, 'the refused batch wrote nothing');
        assert.equal((await collect(store.readAll())).length, 1);
        await store.appendToStream('s-1', numbered(1), { expectedVersion: NO_STREAM });
        assert.equal((await collect(store.readStream('s-1'))).length, 1);
      });
    }

    it('accepts metadata with a null prototype', async () => {
      const store = await createStore();
      const metadata = Object.assign(Object.create(null) as Record<string, unknown>, { userId: 'u-1' });
      await store.appendToStream('s-1', [{ type: 'T', data: {}, metadata }]);
      const [event] = await collect(store.readStream('s-1'));
      assert.equal(event?.metadata['userId'], 'u-1');
    });

    it('accepts event types up to the maximum length in any characters', async () => {
      const store = await createStore();
      const type = wideName(MAX_EVENT_TYPE_LENGTH);
      await store.appendToStream('s-1', [{ type, data: {} }]);
      const [event] = await collect(store.readAll({ filter: { eventTypes: [type] } }));
      assert.equal(event?.type, type);
    });

    for (const [what, streamName] of [
      ['an empty name', ''],
      ['a name over the maximum length', 'x'.repeat(MAX_STREAM_NAME_LENGTH + 1)],
      ['a name with a NUL character', 'order\u00001'],
      ['a name with a lone surrogate', 'order-\uDC00'],
      ['a name that is not a string', 42],
    ] as [string, unknown][]) {
      it(`refuses ${what} with a ValidationError on append, read and version`, async () => {
        const store = await createStore();
        const name = streamName as string;
        await expectRefused(store, () => store.appendToStream(name, numbered(1)));
        await expectRefused(store, () => collect(store.readStream(name)));
        await expectRefused(store, () => store.streamVersion(name));
      });
    }

    it('accepts stream names of exactly the maximum length, in any characters', async () => {
      const store = await createStore();
      for (const streamName of ['x'.repeat(MAX_STREAM_NAME_LENGTH), wideName(MAX_STREAM_NAME_LENGTH)]) {
        await store.appendToStream(streamName, numbered(2), { expectedVersion: 0 });
        await store.appendToStream(streamName, numbered(1), { expectedVersion: 2 });
        const events = await collect(store.readStream(streamName));
        assert.deepEqual(
          events.map((event) => [event.streamName === streamName, event.streamVersion]),
          [
            [true, 1],
            [true, 2],
            [true, 3],
          ],
        );
        assert.equal(await store.streamVersion(streamName), 3);
      }
    });
  });
}
