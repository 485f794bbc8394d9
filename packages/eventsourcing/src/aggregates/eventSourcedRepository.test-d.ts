import { AggregateRoot } from '@keel/ddd';
import type { EventHandlers } from '@keel/ddd';
import { describe, expectTypeOf, it } from 'vitest';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore.js';
import { everyNEvents } from '../snapshots/snapshotPolicy.js';
import { InMemorySnapshotStore } from '../snapshots/snapshotStore.js';
import { EventSourcedRepository } from './eventSourcedRepository.js';
import { PiggyBank } from './piggyBank.fixture.js';

type TickEvents = { Ticked: Record<string, never> };

class Ticker extends AggregateRoot<string, TickEvents> {
  readonly aggregateType = 'Ticker';
  protected readonly handlers: EventHandlers<TickEvents> = { Ticked: () => {} };
}

const snapshots = { store: new InMemorySnapshotStore(), policy: everyNEvents(10) };

describe('EventSourcedRepository types', () => {
  it('accepts snapshots for an aggregate with a snapshot type', () => {
    const repository = new EventSourcedRepository(
      new InMemoryEventStore(),
      (id: string) => new PiggyBank(id),
      {
        snapshots,
      },
    );
    expectTypeOf(repository.get).returns.resolves.toEqualTypeOf<PiggyBank>();
  });

  it('refuses snapshots for an aggregate without one at compile time', () => {
    new EventSourcedRepository(new InMemoryEventStore(), (id: string) => new Ticker(id), {
      // @ts-expect-error Ticker declares no snapshot type, so it cannot be snapshotted
      snapshots,
    });
    new EventSourcedRepository(new InMemoryEventStore(), (id: string) => new Ticker(id), {});
  });
});
