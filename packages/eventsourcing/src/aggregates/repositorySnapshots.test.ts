import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore.js';
import { everyNEvents } from '../snapshots/snapshotPolicy.js';
import { InMemorySnapshotStore } from '../snapshots/snapshotStore.js';
import { EventSourcedRepository } from './eventSourcedRepository.js';
import { PiggyBank } from './piggyBank.fixture.js';

type Action = { kind: 'coin'; cents: number } | { kind: 'smash' };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc.record({ kind: fc.constant('coin' as const), cents: fc.integer({ min: -1, max: 200 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'smash' as const }) },
);

describe('EventSourcedRepository snapshots (property)', () => {
  it('loads the same aggregate from snapshot + later events as from all events, for every interval', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(action, { maxLength: 4 }), { maxLength: 15 }), async (batches) => {
        for (let interval = 1; interval <= 8; interval++) {
          const store = new InMemoryEventStore();
          const snapshots = { store: new InMemorySnapshotStore(), policy: everyNEvents(interval) };
          const withSnapshots = new EventSourcedRepository(store, (id: string) => new PiggyBank(id), {
            snapshots,
          });
          const plain = new EventSourcedRepository(store, (id: string) => new PiggyBank(id));
          await withSnapshots.save(PiggyBank.buy('p-1', 'Ada'));
          for (const batch of batches) {
            const bank = await withSnapshots.get('p-1');
            for (const step of batch) {
              try {
                if (step.kind === 'coin') bank.addCoin(step.cents);
                else bank.smash();
              } catch {
                // a refused action raises nothing
              }
            }
            await withSnapshots.save(bank);
          }
          const full = await plain.get('p-1');
          const fast = await withSnapshots.get('p-1');
          expect([fast.owner, fast.cents, fast.smashed, fast.version]).toEqual([
            full.owner,
            full.cents,
            full.smashed,
            full.version,
          ]);
        }
      }),
      { seed: 424242, numRuns: 40 },
    );
  });
});
