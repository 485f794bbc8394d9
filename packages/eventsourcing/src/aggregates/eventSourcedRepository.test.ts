import {
  ConcurrencyError,
  createCommand,
  eventPublisher,
  isNotFoundError,
  isValidationError,
} from '@keel/core';
import type { Message } from '@keel/core';
import { DomainRuleViolation, isEventPublicationError } from '@keel/ddd';
import { describe, expect, it } from 'vitest';
import { isDeleteNotSupportedError } from '../errors/errors.js';
import { collect } from '../eventStore/collect.js';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore.js';
import { everyNEvents } from '../snapshots/snapshotPolicy.js';
import { InMemorySnapshotStore } from '../snapshots/snapshotStore.js';
import { aggregateSpec } from '../testing/aggregateSpec.js';
import { createUpcaster } from '../upcasting/upcaster.js';
import { withUpcasting } from '../upcasting/withUpcasting.js';
import { EventSourcedRepository } from './eventSourcedRepository.js';
import { PiggyBank } from './piggyBank.fixture.js';

const create = (id: string) => new PiggyBank(id);

async function savedBank(store = new InMemoryEventStore(), coins = 3, options = {}) {
  const repository = new EventSourcedRepository(store, create, options);
  const bank = PiggyBank.buy('p-1', 'Ada');
  for (let coin = 1; coin <= coins; coin++) bank.addCoin(coin);
  await repository.save(bank);
  return { store, repository, bank };
}

describe('EventSourcedRepository', () => {
  it('saves uncommitted events to the aggregate stream and marks them committed', async () => {
    const { store, bank } = await savedBank();
    expect(bank.hasUncommittedEvents).toBe(false);
    const events = await collect(store.readStream('PiggyBank-p-1'));
    expect(events.map((event) => event.type)).toEqual(['Bought', 'CoinAdded', 'CoinAdded', 'CoinAdded']);
    expect(events[1]!.eventId).toBe(events[1]!.metadata['messageId']);
  });

  it('loads a fresh aggregate by replaying its stream', async () => {
    const { repository } = await savedBank();
    const loaded = await repository.get('p-1');
    expect(loaded).toMatchObject({ owner: 'Ada', cents: 6, version: 4, persistedVersion: 4 });
  });

  it('finds nothing for an empty stream and get rejects with NotFoundError', async () => {
    const repository = new EventSourcedRepository(new InMemoryEventStore(), create);
    expect(await repository.find('nope')).toBeUndefined();
    const error = await repository.get('nope').catch((caught: unknown) => caught);
    expect(isNotFoundError(error)).toBe(true);
  });

  it('rejects a save from a stale copy with a ConcurrencyError and stores nothing', async () => {
    const { repository, store } = await savedBank();
    const first = await repository.get('p-1');
    const second = await repository.get('p-1');
    first.addCoin(10);
    second.addCoin(20);
    await repository.save(first);
    await expect(repository.save(second)).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await store.streamVersion('PiggyBank-p-1')).toBe(5);
  });

  it('publishes saved events after the append', async () => {
    const published: string[] = [];
    const publisher = eventPublisher(
      async (events) => void published.push(...events.map((event) => event.type)),
    );
    await savedBank(new InMemoryEventStore(), 1, { publisher });
    expect(published).toEqual(['Bought', 'CoinAdded']);
  });

  it('stores and publishes the events of a save with a cause as caused by it, and refuses a cause that is not a message', async () => {
    const published: Message[] = [];
    const publisher = eventPublisher(async (events) => void published.push(...events));
    const store = new InMemoryEventStore();
    const repository = new EventSourcedRepository(store, create, { publisher });
    const command = createCommand('BuyBank', {}, { metadata: { tenantId: 't-1' } });
    const bank = PiggyBank.buy('p-1', 'Ada');
    bank.addCoin(1);
    await repository.save(bank, { causedBy: command });
    const stored = await collect(store.readStream('PiggyBank-p-1'));
    const expected = {
      correlationId: command.metadata.correlationId,
      causationId: command.metadata.messageId,
      tenantId: 't-1',
    };
    for (const event of stored) expect(event.metadata).toMatchObject(expected);
    expect(published.map((event) => event.metadata)).toMatchObject([expected, expected]);
    expect(published.map((event) => event.metadata.aggregate?.stream)).toEqual([
      'PiggyBank-p-1',
      'PiggyBank-p-1',
    ]);
    const other = PiggyBank.buy('p-2', 'Grace');
    const error = await repository.save(other, { causedBy: {} as never }).catch((caught: unknown) => caught);
    expect(isValidationError(error)).toBe(true);
    expect(await store.streamVersion('PiggyBank-p-2')).toBe(0);
    expect(published).toHaveLength(2);
  });

  it('reports a failing publisher with EventPublicationError while the events stay stored', async () => {
    const publisher = eventPublisher(async () => Promise.reject(new Error('bus down')));
    const store = new InMemoryEventStore();
    const error = await savedBank(store, 1, { publisher }).catch((caught: unknown) => caught);
    expect(isEventPublicationError(error)).toBe(true);
    expect(await store.streamVersion('PiggyBank-p-1')).toBe(2);
  });

  it('publishes and stores events naming their aggregate and custom stream in metadata.aggregate', async () => {
    const published: unknown[] = [];
    const publisher = eventPublisher(
      async (events) => void published.push(...events.map((e) => e.metadata.aggregate)),
    );
    const { store } = await savedBank(new InMemoryEventStore(), 1, {
      publisher,
      streamName: (id: string) => `bank/${id}`,
    });
    const expected = [
      { type: 'PiggyBank', id: 'p-1', stream: 'bank/p-1', version: 1 },
      { type: 'PiggyBank', id: 'p-1', stream: 'bank/p-1', version: 2 },
    ];
    expect(published).toEqual(expected);
    const stored = await collect(store.readStream('bank/p-1'));
    expect(stored.map((event) => event.metadata['aggregate'])).toEqual(expected);
  });

  it('gives replayed events the aggregate reference, also for events stored without one', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream('PiggyBank-p-9', [{ type: 'Bought', data: { owner: 'Ada' } }]);
    const seen: unknown[] = [];
    class Watched extends PiggyBank {
      override loadFromHistory(events: Parameters<PiggyBank['loadFromHistory']>[0]): this {
        for (const event of events) seen.push(event.metadata.aggregate);
        return this;
      }
    }
    await new EventSourcedRepository(store, (id: string) => new Watched(id)).find('p-9');
    expect(seen).toEqual([{ type: 'PiggyBank', id: 'p-9', stream: 'PiggyBank-p-9', version: 1 }]);
  });

  it('uses a custom stream name', async () => {
    const { store } = await savedBank(new InMemoryEventStore(), 1, {
      streamName: (id: string) => `bank/${id}`,
    });
    expect(await store.streamVersion('bank/p-1')).toBe(2);
  });

  it('takes snapshots by policy and loads from the latest one plus later events', async () => {
    const snapshots = { store: new InMemorySnapshotStore(), policy: everyNEvents(3) };
    const { repository } = await savedBank(new InMemoryEventStore(), 4, { snapshots });
    expect(await snapshots.store.load('PiggyBank-p-1')).toMatchObject({ version: 5, state: { cents: 10 } });
    const bank = await repository.get('p-1');
    bank.addCoin(5);
    await repository.save(bank);
    expect((await repository.get('p-1')).cents).toBe(15);
  });

  it('ignores a snapshot of another schema version, rebuilds and writes a fresh one', async () => {
    const snapshots = { store: new InMemorySnapshotStore(), policy: everyNEvents(2) };
    const { store } = await savedBank(new InMemoryEventStore(), 3, { snapshots });
    await snapshots.store.save({
      streamName: 'PiggyBank-p-1',
      version: 4,
      schemaVersion: 7,
      state: { wrong: 1 },
      takenAt: new Date(0),
    });
    const current = new EventSourcedRepository(store, create, {
      snapshots: { ...snapshots, schemaVersion: 1 },
    });
    expect((await current.get('p-1')).cents).toBe(6);
    expect(await snapshots.store.load('PiggyBank-p-1')).toMatchObject({
      version: 4,
      schemaVersion: 1,
      state: { cents: 6 },
    });
  });

  it('loads upcast events through a wrapped store', async () => {
    const raw = new InMemoryEventStore();
    await raw.appendToStream('PiggyBank-p-1', [
      { type: 'Bought', data: { owner: 'Ada' } },
      { type: 'CoinAdded', data: { euros: 2 } },
    ]);
    const store = withUpcasting(
      raw,
      createUpcaster({ CoinAdded: [(v1: { euros: number }) => ({ cents: v1.euros * 100 })] }),
    );
    const bank = await new EventSourcedRepository(store, create).get('p-1');
    expect(bank.cents).toBe(200);
  });

  it('refuses to delete an event-sourced aggregate', async () => {
    const { repository } = await savedBank();
    const error = await repository.delete('p-1').catch((caught: unknown) => caught);
    expect(isDeleteNotSupportedError(error)).toBe(true);
  });
});

describe('aggregateSpec', () => {
  const spec = aggregateSpec(() => new PiggyBank('p-1'));
  const bought = { type: 'Bought', data: { owner: 'Ada' } };

  it('checks the events an action raises on a history', () => {
    spec
      .given([bought])
      .when((bank) => bank.addCoin(5))
      .then([{ type: 'CoinAdded', data: { cents: 5 } }]);
  });

  it('checks the events of a static factory', () => {
    spec
      .given()
      .when(() => PiggyBank.buy('p-1', 'Bo'))
      .then([{ type: 'Bought', data: { owner: 'Bo' } }]);
  });

  it('checks that an action breaks a rule', () => {
    spec
      .given([bought, { type: 'Smashed', data: {} }])
      .when((bank) => bank.addCoin(1))
      .thenThrows(DomainRuleViolation, (error) => expect(error.rule).toBe('piggy-bank.intact'));
  });

  it('fails when the raised events differ', () => {
    expect(() =>
      spec
        .given([bought])
        .when((bank) => bank.addCoin(5))
        .then([]),
    ).toThrow();
  });

  it('checks the aggregate state after the action', () => {
    spec
      .given([bought])
      .when((bank) => bank.addCoin(5))
      .thenAggregate((bank) => expect(bank.cents).toBe(5));
  });
});
