import { AggregateRoot, InMemoryRepository, type EventHandlers } from '@keel/ddd';

type CounterEvents = { Incremented: { by: number } };
class Counter extends AggregateRoot<string, CounterEvents> {
  readonly aggregateType = 'Counter';
  total = 0;
  protected readonly handlers: EventHandlers<CounterEvents> = {
    Incremented: ({ by }) => {
      this.total += by;
    },
  };
  increment(by: number): void {
    this.ensure(by > 0, 'counter.positive-step', `A step must be positive; got ${by}.`);
    this.raise('Incremented', { by });
  }
}
const counters = new InMemoryRepository((id: string) => new Counter(id), {
  publisher: (events) => console.log(events.map((event) => `${event.type} v${event.version}`)),
});

const counter = new Counter('c-1');
counter.increment(2);
await counters.save(counter); // publishes [ 'Incremented v1' ]
console.log((await counters.get('c-1')).total); // 2
