import { describe, expectTypeOf, it } from 'vitest';
import { Counter } from '../internal/counter.fixture.js';
import type { EventOf } from '../aggregate/aggregateTypes.js';
import { specification } from '../specification/specification.js';
import type { Specification } from '../specification/specification.js';
import { InMemoryRepository } from './inMemoryRepository.js';
import type { QueryableRepository, Repository } from './repository.js';

describe('Repository types', () => {
  it('infers the id type from the aggregate', () => {
    expectTypeOf<Repository<Counter>['get']>().parameter(0).toEqualTypeOf<string>();
    expectTypeOf<Repository<Counter>['get']>().returns.toEqualTypeOf<Promise<Counter>>();
    expectTypeOf<Repository<Counter>['find']>().returns.toEqualTypeOf<Promise<Counter | undefined>>();
  });

  it('makes InMemoryRepository a QueryableRepository of the aggregate its factory creates', () => {
    const repository = new InMemoryRepository((id: string) => new Counter(id));
    expectTypeOf(repository).toExtend<QueryableRepository<Counter, string>>();
    expectTypeOf(repository.query).parameter(0).toEqualTypeOf<Specification<Counter>>();
    // @ts-expect-error a number is not a Counter id
    void repository.get(1);
  });

  it('types the publisher callback with the aggregate’s events', () => {
    new InMemoryRepository((id: string) => new Counter(id), {
      publisher: (events) => {
        expectTypeOf(events).toEqualTypeOf<readonly EventOf<Counter>[]>();
      },
    });
  });

  it('rejects a specification over another type in query', () => {
    const repository = new InMemoryRepository((id: string) => new Counter(id));
    const onNumbers = specification<number>('Even', (n) => n % 2 === 0);
    // @ts-expect-error a Specification<number> cannot query counters
    void repository.query(onNumbers);
  });
});
