import {
  createCommand,
  createEvent,
  isConcurrencyError,
  isNotFoundError,
  isValidationError,
} from '@keel/core';
import type { Message } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventHandlers } from '../aggregate/aggregateEvent.js';
import { AggregateRoot } from '../aggregate/aggregateRoot.js';
import { Counter } from '../internal/counter.fixture.js';
import { isEventPublicationError } from '../errors/dddErrors.js';
import { catchError, catchRejection } from '../internal/catchError.fixture.js';
import { specification, where } from '../specification/specification.js';
import { ValueObject } from '../valueObject/valueObject.js';
import { InMemoryRepository } from './inMemoryRepository.js';
import type { InMemoryRepositoryOptions } from './inMemoryRepository.js';

function setup() {
  const published: Message[][] = [];
  const repository = new InMemoryRepository((id: string) => new Counter(id), {
    publisher: (events) => {
      published.push([...events]);
    },
  });
  return { repository, published };
}

async function seeded(total = 0) {
  const ctx = setup();
  const counter = Counter.open('c-1', 'visits');
  if (total > 0) counter.increment(total);
  await ctx.repository.save(counter);
  ctx.published.length = 0;
  return ctx;
}

class Money extends ValueObject<{ amount: number; currency: string }> {
  get amount(): number {
    return this.props.amount;
  }
}
class Slot extends ValueObject<{ n: number | null; x?: number | undefined }> {}
type HolderEvents = { Priced: { price: Money } };
class Holder extends AggregateRoot<Slot, HolderEvents> {
  readonly aggregateType = 'Holder';
  price: Money | undefined;
  protected readonly handlers: EventHandlers<HolderEvents> = {
    Priced: ({ price }) => {
      this.price = price;
    },
  };
  static priced(id: Slot, amount: number): Holder {
    const holder = new Holder(id);
    holder.raise('Priced', { price: new Money({ amount, currency: 'EUR' }) });
    return holder;
  }
}

describe('InMemoryRepository', () => {
  it('saves an aggregate and loads an equal fresh instance', async () => {
    const { repository } = await seeded(3);
    const loaded = await repository.get('c-1');
    expect([loaded.label, loaded.total, loaded.version, loaded.hasUncommittedEvents]).toEqual([
      'visits',
      3,
      2,
      false,
    ]);
    expect(loaded).not.toBe(await repository.get('c-1'));
  });

  it('marks the aggregate committed after a successful save', async () => {
    const { repository } = setup();
    const counter = Counter.open('c-1', 'x');
    await repository.save(counter);
    expect(counter.hasUncommittedEvents).toBe(false);
    expect(counter.persistedVersion).toBe(1);
  });

  it('keeps stored state apart from changes to a loaded instance until it is saved', async () => {
    const { repository } = await seeded(1);
    const loaded = await repository.get('c-1');
    loaded.increment(10);
    expect((await repository.get('c-1')).total).toBe(1);
  });

  it('rejects get of a missing id with NotFoundError naming the aggregate type', async () => {
    const { repository } = setup();
    const error = await catchRejection(repository.get('nope'));
    expect(isNotFoundError(error)).toBe(true);
    expect((error as Error).message).toBe('Counter "nope" was not found.');
  });

  it('resolves find of a missing id to undefined', async () => {
    const { repository } = setup();
    await expect(repository.find('nope')).resolves.toBeUndefined();
  });

  it('rejects a stale save with ConcurrencyError and changes nothing', async () => {
    const { repository, published } = await seeded(1);
    const first = await repository.get('c-1');
    const stale = await repository.get('c-1');
    first.increment(5);
    await repository.save(first);
    published.length = 0;
    stale.increment(100);
    const error = await catchRejection(repository.save(stale));
    expect(isConcurrencyError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Expected "Counter c-1" at version 2 but it is at 3; reload and retry.',
    );
    expect((await repository.get('c-1')).total).toBe(6);
    expect(stale.hasUncommittedEvents).toBe(true);
    expect(published).toEqual([]);
  });

  it('rejects creating an aggregate whose id is already stored', async () => {
    const { repository } = await seeded();
    const error = await catchRejection(repository.save(Counter.open('c-1', 'again')));
    expect(isConcurrencyError(error)).toBe(true);
    expect((await repository.get('c-1')).label).toBe('visits');
  });

  it('lets exactly one of two concurrent saves of the same loaded version win', async () => {
    const { repository, published } = await seeded();
    const a = await repository.get('c-1');
    const b = await repository.get('c-1');
    a.increment(1);
    b.increment(2);
    const results = await Promise.allSettled([repository.save(a), repository.save(b)]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(rejected.map((result) => isConcurrencyError(result.reason))).toEqual([true]);
    const winner = results[0]?.status === 'fulfilled' ? 1 : 2;
    const stored = await repository.get('c-1');
    expect([stored.total, stored.version]).toEqual([winner, 2]);
    expect(published.flat().map((event) => (event.data as { by: number }).by)).toEqual([winner]);
  });

  it('keeps every committed event exactly once under many concurrent writers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 8 }),
        async (steps) => {
          const { repository } = await seeded();
          const copies = await Promise.all(steps.map(() => repository.get('c-1')));
          copies.forEach((copy, index) => copy.increment(steps[index]!));
          const results = await Promise.allSettled(copies.map((copy) => repository.save(copy)));
          const wins = results.flatMap((result, index) =>
            result.status === 'fulfilled' ? [steps[index]!] : [],
          );
          expect(wins).toHaveLength(1);
          const losers = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
          expect(losers.every((reason) => isConcurrencyError(reason))).toBe(true);
          expect((await repository.get('c-1')).total).toBe(wins[0]);
        },
      ),
      { seed: 42, numRuns: 50 },
    );
  });

  it('publishes the saved events in order after a successful save', async () => {
    const { repository, published } = setup();
    const counter = Counter.open('c-1', 'x');
    counter.increment(2);
    await repository.save(counter);
    expect(published.map((batch) => batch.map((event) => event.type))).toEqual([['Opened', 'Incremented']]);
  });

  it('publishes through a core EventPublisher', async () => {
    const seen: string[] = [];
    const repository = new InMemoryRepository((id: string) => new Counter(id), {
      publisher: { publish: async (events) => void seen.push(...events.map((event) => event.type)) },
    });
    await repository.save(Counter.open('c-1', 'x'));
    expect(seen).toEqual(['Opened']);
  });

  it('publishes nothing when nothing was uncommitted', async () => {
    const { repository, published } = await seeded();
    await repository.save(await repository.get('c-1'));
    expect(published).toEqual([]);
  });

  it('reports a failing publisher with EventPublicationError after the change is stored', async () => {
    const repository = new InMemoryRepository((id: string) => new Counter(id), {
      publisher: () => {
        throw new Error('bus down');
      },
    });
    const counter = Counter.open('c-1', 'x');
    const error = await catchRejection(repository.save(counter));
    expect(isEventPublicationError(error)).toBe(true);
    expect((error as Error).cause).toEqual(new Error('bus down'));
    expect((await repository.get('c-1')).label).toBe('x');
    expect(counter.hasUncommittedEvents).toBe(false);
  });

  it('rejects with the abort reason before saving when the signal is aborted', async () => {
    const { repository } = setup();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const error = await catchRejection(
      repository.save(Counter.open('c-1', 'x'), { signal: controller.signal }),
    );
    expect(error).toEqual(new Error('stop'));
    expect(repository.size).toBe(0);
  });

  it('rejects reads with the abort reason when the signal is aborted', async () => {
    const { repository } = await seeded();
    const signal = AbortSignal.abort(new Error('gone'));
    await expect(repository.get('c-1', { signal })).rejects.toThrow('gone');
    await expect(repository.query(where<Counter, 'total'>('total', 'gte', 0), { signal })).rejects.toThrow(
      'gone',
    );
  });

  it('passes the save signal on to the publisher', async () => {
    let received: AbortSignal | undefined;
    const repository = new InMemoryRepository((id: string) => new Counter(id), {
      publisher: (_events, options) => {
        received = options.signal;
      },
    });
    const controller = new AbortController();
    await repository.save(Counter.open('c-1', 'x'), { signal: controller.signal });
    expect(received).toBe(controller.signal);
  });

  it('stores nothing when replaying a saved batch fails, and keeps querying stored state', async () => {
    const trap = { armed: false };
    type TallyEvents = { Added: { n: number } };
    class Tally extends AggregateRoot<string, TallyEvents> {
      readonly aggregateType = 'Tally';
      sum = 0;
      protected readonly handlers: EventHandlers<TallyEvents> = {
        Added: ({ n }) => {
          if (trap.armed && n === 13) throw new Error('handler broke');
          this.sum += n;
        },
      };
      add(n: number): void {
        this.raise('Added', { n });
      }
    }
    const repository = new InMemoryRepository((id: string) => new Tally(id));
    const tally = new Tally('t-1');
    tally.add(1);
    await repository.save(tally);
    const loaded = await repository.get('t-1');
    loaded.add(5);
    loaded.add(13);
    trap.armed = true;
    await expect(repository.save(loaded)).rejects.toThrow('handler broke');
    expect((await repository.get('t-1')).sum).toBe(1);
    await expect(repository.count(where<Tally, 'sum'>('sum', 'eq', 1))).resolves.toBe(1);
  });

  it('deletes a stored aggregate and reports whether one existed', async () => {
    const { repository } = await seeded();
    await expect(repository.delete('c-1')).resolves.toBe(true);
    await expect(repository.delete('c-1')).resolves.toBe(false);
    await expect(repository.find('c-1')).resolves.toBeUndefined();
  });

  it('refuses a delete with a stale expected version', async () => {
    const { repository } = await seeded(1);
    const error = await catchRejection(repository.delete('c-1', { expectedVersion: 1 }));
    expect(isConcurrencyError(error)).toBe(true);
    expect(repository.size).toBe(1);
  });

  it('queries and counts aggregates by specification', async () => {
    const { repository } = setup();
    for (const [id, total] of [
      ['a', 1],
      ['b', 50],
      ['c', 70],
    ] as const) {
      const counter = Counter.open(id, id);
      counter.increment(total);
      await repository.save(counter);
    }
    const big = specification<Counter>('AtLeast', (c) => c.total >= 50, { min: 50 });
    const notC = where<Counter, 'label'>('label', 'ne', 'c');
    const found = await repository.query(big.and(notC));
    expect(found.map((counter) => counter.id)).toEqual(['b']);
    expect(found[0]?.hasUncommittedEvents).toBe(false);
    await expect(repository.count(big)).resolves.toBe(2);
  });

  it('finds an aggregate by an equal value-object id', async () => {
    class Sku extends ValueObject<{ code: string; region: string }> {}
    type StockEvents = { Restocked: { units: number } };
    class Stock extends AggregateRoot<Sku, StockEvents> {
      readonly aggregateType = 'Stock';
      units = 0;
      protected readonly handlers: EventHandlers<StockEvents> = {
        Restocked: ({ units }) => {
          this.units += units;
        },
      };
      restock(units: number): void {
        this.raise('Restocked', { units });
      }
    }
    const repository = new InMemoryRepository((id: Sku) => new Stock(id));
    const stock = new Stock(new Sku({ code: 'A1', region: 'EU' }));
    stock.restock(3);
    await repository.save(stock);
    const loaded = await repository.get(new Sku({ region: 'EU', code: 'A1' }));
    expect(loaded.units).toBe(3);
    expect(loaded.uncommittedEvents).toEqual([]);
    expect(stock.idString).toBe('{"code":"A1","region":"EU"}');
  });

  it('finds an aggregate saved under a -0 id by the equal id with 0', async () => {
    const repository = new InMemoryRepository((id: Slot) => new Holder(id));
    await repository.save(Holder.priced(new Slot({ n: -0 }), 5));
    expect((await repository.find(new Slot({ n: 0 })))?.price?.amount).toBe(5);
  });

  it('never lets ids that are not equal share a record', async () => {
    const repository = new InMemoryRepository((id: Slot) => new Holder(id));
    const ids = [
      new Slot({ n: Number.NaN }),
      new Slot({ n: null }),
      new Slot({ n: 1, x: undefined }),
      new Slot({ n: 1 }),
    ];
    for (const [index, id] of ids.entries()) {
      await repository.find(id).then((found) => expect(found).toBeUndefined());
      await repository.save(Holder.priced(id, index));
    }
    expect(repository.size).toBe(ids.length);
    for (const [index, id] of ids.entries()) {
      const loaded = await repository.get(id);
      expect([loaded.price?.amount, loaded.id.equals(id)]).toEqual([index, true]);
    }
  });

  it('queries a value-object field by an equal value object on freshly loaded aggregates', async () => {
    const repository = new InMemoryRepository((id: Slot) => new Holder(id));
    await repository.save(Holder.priced(new Slot({ n: 1 }), 5));
    await repository.save(Holder.priced(new Slot({ n: 2 }), 6));
    const five = new Money({ amount: 5, currency: 'EUR' });
    const found = await repository.query(where<Holder, 'price'>('price', 'eq', five));
    expect(found.map((holder) => holder.id.props.n)).toEqual([1]);
    await expect(repository.count(where<Holder, 'price'>('price', 'ne', five))).resolves.toBe(1);
  });

  it('rejects options that cannot work at construction', () => {
    const bad = { publisher: { send: () => {} } } as unknown as InMemoryRepositoryOptions<Counter>;
    expect(
      isValidationError(catchError(() => new InMemoryRepository((id: string) => new Counter(id), bad))),
    ).toBe(true);
    expect(
      isValidationError(
        catchError(() => new InMemoryRepository(undefined as unknown as (id: string) => Counter)),
      ),
    ).toBe(true);
  });

  it('answers queries with the state of the latest save', async () => {
    const { repository } = await seeded(1);
    const loaded = await repository.get('c-1');
    loaded.increment(99);
    const big = where<Counter, 'total'>('total', 'gte', 100);
    await expect(repository.count(big)).resolves.toBe(0);
    await repository.save(loaded);
    await expect(repository.count(big)).resolves.toBe(1);
  });

  describe('save with a cause', () => {
    const command = createCommand(
      'OpenCounter',
      {},
      { metadata: { tenantId: 't-1', correlationId: 'flow-1' } },
    );

    it('stores and publishes the events that name no cause as caused by it', async () => {
      const { repository, published } = setup();
      const counter = Counter.open('c-1', 'visits');
      counter.increment(2);
      const raised = counter.uncommittedEvents;
      await repository.save(counter, { causedBy: command });
      const events = published[0]!;
      expect(events.map((event) => event.metadata.messageId)).toEqual(
        raised.map((e) => e.metadata.messageId),
      );
      for (const event of events) {
        expect(event.metadata).toMatchObject({
          correlationId: 'flow-1',
          causationId: command.metadata.messageId,
          tenantId: 't-1',
          aggregate: { id: 'c-1' },
        });
        expect(Object.isFrozen(event) && Object.isFrozen(event.metadata)).toBe(true);
      }
      expect((await repository.get('c-1')).total).toBe(2);
    });

    it('keeps an event that names a cause of its own as it is', async () => {
      const { repository, published } = setup();
      const counter = Counter.open('c-1', 'visits');
      const other = createEvent('Elsewhere', {});
      (
        counter as unknown as { raise(type: string, data: unknown, options: { causedBy: Message }): void }
      ).raise('Incremented', { by: 1 }, { causedBy: other });
      const own = counter.uncommittedEvents[1]!;
      await repository.save(counter, { causedBy: command });
      expect(published[0]![1]).toBe(own);
      expect(published[0]![0]!.metadata.causationId).toBe(command.metadata.messageId);
    });

    it.each([{}, { metadata: {} }, { metadata: { messageId: 'm-1' } }, null])(
      'refuses a cause that is not a message (%j) with a ValidationError, storing and publishing nothing',
      async (cause) => {
        const { repository, published } = setup();
        const error = await catchRejection(
          repository.save(Counter.open('c-1', 'visits'), { causedBy: cause as never }),
        );
        expect(isValidationError(error)).toBe(true);
        expect((error as Error).message).toMatch(/causedBy/);
        await expect(repository.find('c-1')).resolves.toBeUndefined();
        expect(published).toEqual([]);
      },
    );
  });
});
