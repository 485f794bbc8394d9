// The README quick start, kept compiling and running here.
import { describe, expect, it } from 'vitest';
import { AggregateRoot, InMemoryRepository, isDomainRuleViolation } from './index.js';
import type { AggregateEvent, EventHandlers } from './index.js';

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

describe('README quick start', () => {
  it('saves a counter, publishes its event and refuses a bad step', async () => {
    const published: AggregateEvent[] = [];
    const counters = new InMemoryRepository((id: string) => new Counter(id), {
      publisher: (events) => void published.push(...events),
    });
    const counter = new Counter('c-1');
    counter.increment(2);
    await counters.save(counter);
    expect((await counters.get('c-1')).total).toBe(2);
    expect(published.map((event) => [event.type, event.version])).toEqual([['Incremented', 1]]);
    expect(
      isDomainRuleViolation(
        catchSync(() => counter.increment(0)),
        'counter.positive-step',
      ),
    ).toBe(true);
  });
});

function catchSync(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
