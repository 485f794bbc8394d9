import assert from 'node:assert/strict';
import type { ContractRunner } from '@keel/core/testing';
import { isDuplicateEventError } from '../errors/errors.js';
import { collect } from '../eventStore/collect.js';
import type { EventStore } from '../eventStore/eventStore.js';
import { ANY, NO_STREAM, STREAM_EXISTS } from '../eventStore/expectedVersion.js';
import type { ExpectedVersion } from '../eventStore/expectedVersion.js';
import type { NewEvent } from '../eventStore/recordedEvent.js';
import { assertMatches, describeError, rejectionOf } from '@keel/core/testing';
import type { StoreFactory } from './eventStoreContract.js';
import { numbered } from './eventStoreContract.js';

const id = (n: number): string => `0190a8a0-0000-7000-8000-0000000009${String(n).padStart(2, '0')}`;
const withIds = (...ns: number[]): NewEvent[] =>
  ns.map((n) => ({ type: 'Identified', data: { n }, eventId: id(n) }));

/** A store holding `s-1` = [one event, A, B] (versions 1..3) and `s-2` = [one event]. */
async function seeded(createStore: StoreFactory<EventStore>) {
  const store = await createStore();
  await store.appendToStream('s-1', numbered(1));
  const first = await store.appendToStream('s-1', withIds(1, 2), { expectedVersion: 1 });
  await store.appendToStream('s-2', numbered(1));
  return { store, first };
}

async function expectDuplicate(store: EventStore, run: () => Promise<unknown>): Promise<void> {
  const head = await store.headPosition();
  const error = await rejectionOf(run);
  assert.ok(isDuplicateEventError(error), `expected a DuplicateEventError, got ${describeError(error)}`);
  assert.equal(await store.headPosition(), head, 'the refused append wrote nothing');
}

/**
 * The duplicate-id rule every store follows. When an id of the batch is already recorded, ids
 * are checked before the expected version: the whole batch recorded, in order, in this stream,
 * at the position the append targets (`expected + 1`, 1 for NO_STREAM, where the first id sits
 * for ANY and STREAM_EXISTS) is an idempotent no-op returning the earlier result; anything else
 * is a DuplicateEventError, whatever the expected version says.
 */
export function duplicateIdsContract(
  createStore: StoreFactory<EventStore>,
  { describe, it }: ContractRunner,
): void {
  describe('duplicate event ids', () => {
    const reAppends: [string, ExpectedVersion][] = [
      ['the same numbered version', 1],
      ['ANY', ANY],
      ['STREAM_EXISTS', STREAM_EXISTS],
    ];
    for (const [what, expectedVersion] of reAppends) {
      it(`treats a re-append with ${what} after the stream moved on as a no-op with the earlier result`, async () => {
        const { store, first } = await seeded(createStore);
        await store.appendToStream('s-1', numbered(2));
        const again = await store.appendToStream('s-1', withIds(1, 2), { expectedVersion });
        assertMatches(again, {
          appended: false,
          nextExpectedVersion: first.nextExpectedVersion,
          lastPosition: first.lastPosition,
        });
        assert.deepEqual(
          again.events.map((event) => [event.eventId, event.streamVersion]),
          [
            [id(1), 2],
            [id(2), 3],
          ],
        );
        assert.equal(await store.streamVersion('s-1'), 5);
      });
    }

    it('treats a re-append with NO_STREAM of a batch that opened the stream as a no-op', async () => {
      const store = await createStore();
      await store.appendToStream('s-1', withIds(1, 2), { expectedVersion: NO_STREAM });
      const again = await store.appendToStream('s-1', withIds(1, 2), { expectedVersion: NO_STREAM });
      assert.equal(again.appended, false, 'the re-append reports appended: false');
      assert.equal(again.nextExpectedVersion, 2);
    });

    it('refuses a recorded batch re-appended at another version with a DuplicateEventError, not a ConcurrencyError', async () => {
      const { store } = await seeded(createStore);
      await expectDuplicate(store, () =>
        store.appendToStream('s-1', withIds(1, 2), { expectedVersion: NO_STREAM }),
      );
      await expectDuplicate(store, () => store.appendToStream('s-1', withIds(1, 2), { expectedVersion: 2 }));
      await expectDuplicate(store, () => store.appendToStream('s-1', withIds(1, 2), { expectedVersion: 3 }));
    });

    it('refuses a batch mixing a recorded id with new ones, whatever the expected version', async () => {
      const { store } = await seeded(createStore);
      for (const expectedVersion of [ANY, 3, 1, NO_STREAM] as const) {
        await expectDuplicate(store, () => store.appendToStream('s-1', withIds(3, 1), { expectedVersion }));
        await expectDuplicate(store, () => store.appendToStream('s-1', withIds(1, 3), { expectedVersion }));
      }
      const ids = (await collect(store.readStream('s-1'))).map((event) => event.eventId);
      assert.equal(ids.includes(id(3)), false, `a refused batch left ${id(3)} behind`);
    });

    it('refuses recorded ids in another order or in another stream', async () => {
      const { store } = await seeded(createStore);
      await expectDuplicate(store, () => store.appendToStream('s-1', withIds(2, 1), { expectedVersion: 1 }));
      await expectDuplicate(store, () =>
        store.appendToStream('s-1', withIds(2, 1), { expectedVersion: ANY }),
      );
      await expectDuplicate(store, () =>
        store.appendToStream('s-2', withIds(1, 2), { expectedVersion: ANY }),
      );
      await expectDuplicate(store, () => store.appendToStream('s-2', withIds(1, 2), { expectedVersion: 1 }));
    });

    it('refuses a batch repeating an id within itself and appends none of it', async () => {
      const store = await createStore();
      await expectDuplicate(store, () => store.appendToStream('s-1', withIds(5, 6, 5)));
      assert.equal(await store.streamVersion('s-1'), 0);
    });

    it('names the recorded event in the DuplicateEventError', async () => {
      const { store } = await seeded(createStore);
      const error = await rejectionOf(() => store.appendToStream('s-2', withIds(2)));
      assertMatches(error, { eventId: id(2), existingStream: 's-1', existingVersion: 3 });
    });
  });
}
