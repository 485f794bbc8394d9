import { describe, expectTypeOf, it } from 'vitest';
import { createCommandHandler } from '../decider/commandHandler.js';
import { wallet } from '../decider/wallet.fixture.js';
import type { WalletState } from '../decider/wallet.fixture.js';
import { defineProjection } from '../projections/projection.js';
import type { ExpectedVersion } from './expectedVersion.js';
import { ANY, NO_STREAM, STREAM_EXISTS } from './expectedVersion.js';
import { InMemoryEventStore } from './inMemoryEventStore.js';
import type { RecordedEvent, RecordedEventOf } from './recordedEvent.js';

describe('types', () => {
  it('accepts numbers and the sentinels as expected versions, nothing else', () => {
    expectTypeOf(NO_STREAM).toExtend<ExpectedVersion>();
    expectTypeOf(STREAM_EXISTS).toExtend<ExpectedVersion>();
    expectTypeOf(ANY).toExtend<ExpectedVersion>();
    expectTypeOf(3).toExtend<ExpectedVersion>();
    expectTypeOf<'latest'>().not.toExtend<ExpectedVersion>();
  });

  it('reads as async iterables of recorded events', () => {
    const store = new InMemoryEventStore();
    expectTypeOf(store.readStream('s')).toExtend<AsyncIterable<RecordedEvent>>();
    expectTypeOf(store.subscribeToAll()).toExtend<AsyncIterable<RecordedEvent>>();
  });

  it('types a command handler result by the decider', () => {
    const handle = createCommandHandler(new InMemoryEventStore(), wallet);
    expectTypeOf(handle).parameter(1).toEqualTypeOf<Parameters<typeof wallet.decide>[0]>();
    expectTypeOf<Awaited<ReturnType<typeof handle>>['state']>().toEqualTypeOf<WalletState>();
  });

  it('narrows recorded events per type in projection handlers', () => {
    type Event = { type: 'A'; data: { a: number } } | { type: 'B'; data: { b: string } };
    expectTypeOf<RecordedEventOf<Event>>().toEqualTypeOf<
      RecordedEvent<'A', { a: number }> | RecordedEvent<'B', { b: string }>
    >();
    defineProjection<Event>({
      name: 'p',
      handlers: {
        A: (event) => {
          expectTypeOf(event.data.a).toBeNumber();
        },
        // @ts-expect-error B's data has no `a`
        B: (event) => event.data.a,
      },
    });
  });
});
