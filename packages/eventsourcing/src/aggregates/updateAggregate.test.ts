import {
  createLogger,
  eventPublisher,
  isConcurrencyError,
  isNotFoundError,
  isValidationError,
  ManualClock,
} from '@keel/core';
import type { LogEntry, Policy } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { collect } from '../eventStore/collect.js';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore.js';
import { EventSourcedRepository } from './eventSourcedRepository.js';
import type { EventSourcedRepositoryOptions } from './eventSourcedRepositoryOptions.js';
import { PiggyBank } from './piggyBank.fixture.js';

const create = (id: string) => new PiggyBank(id);

async function bankRepository(options: EventSourcedRepositoryOptions<PiggyBank, string> = {}) {
  const store = new InMemoryEventStore();
  const repository = new EventSourcedRepository(store, create, options);
  await repository.save(PiggyBank.buy('p-1', 'Ada'));
  return { store, repository };
}

/** Another writer adds a coin between this update's load and its save. */
async function interfere(repository: EventSourcedRepository<PiggyBank, string>, cents = 100): Promise<void> {
  const other = await repository.get('p-1');
  other.addCoin(cents);
  await repository.save(other);
}

describe('EventSourcedRepository.update', () => {
  it('loads, changes and saves the aggregate, and returns it saved', async () => {
    const { repository, store } = await bankRepository();
    const bank = await repository.update('p-1', (loaded) => loaded.addCoin(5));
    expect(bank).toMatchObject({ cents: 5, version: 2, hasUncommittedEvents: false });
    expect(await store.streamVersion('PiggyBank-p-1')).toBe(2);
  });

  it('reloads and applies the change again after a conflict, keeping the other writer’s change', async () => {
    const { repository } = await bankRepository();
    const attempts: number[] = [];
    await repository.update('p-1', async (bank, { attempt }) => {
      attempts.push(attempt);
      if (attempt === 1) await interfere(repository);
      bank.addCoin(5);
    });
    expect(attempts).toEqual([1, 2]);
    expect((await repository.get('p-1')).cents).toBe(105);
  });

  it('rejects with the ConcurrencyError once maxConflictRetries retries all conflicted', async () => {
    const { repository, store } = await bankRepository();
    let calls = 0;
    const error = await repository
      .update(
        'p-1',
        async (bank) => {
          calls++;
          await interfere(repository, 1);
          bank.addCoin(5);
        },
        { maxConflictRetries: 2 },
      )
      .catch((caught: unknown) => caught);
    expect(isConcurrencyError(error)).toBe(true);
    expect(calls).toBe(3);
    expect(await store.streamVersion('PiggyBank-p-1')).toBe(4);
  });

  it('rethrows the first conflict with maxConflictRetries 0', async () => {
    const { repository } = await bankRepository();
    let calls = 0;
    const change = async (bank: PiggyBank) => {
      calls++;
      await interfere(repository);
      bank.addCoin(5);
    };
    await expect(repository.update('p-1', change, { maxConflictRetries: 0 })).rejects.toSatisfy(
      isConcurrencyError,
    );
    expect(calls).toBe(1);
  });

  it('uses the repository’s maxConflictRetries when the call gives none or undefined', async () => {
    const { repository } = await bankRepository({ maxConflictRetries: 1 });
    let calls = 0;
    const change = async (bank: PiggyBank) => {
      calls++;
      await interfere(repository);
      bank.addCoin(5);
    };
    await expect(repository.update('p-1', change, { maxConflictRetries: undefined })).rejects.toSatisfy(
      isConcurrencyError,
    );
    expect(calls).toBe(2);
  });

  it('rethrows an error of the change at once and saves nothing', async () => {
    const { repository, store } = await bankRepository();
    let calls = 0;
    const error = await repository
      .update('p-1', (bank) => {
        calls++;
        bank.addCoin(-1);
      })
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('worth more than 0');
    expect(calls).toBe(1);
    expect(await store.streamVersion('PiggyBank-p-1')).toBe(1);
  });

  it('rejects a missing aggregate with a NotFoundError without calling the change', async () => {
    const { repository } = await bankRepository();
    let called = false;
    const error = await repository
      .update('nope', () => void (called = true))
      .catch((caught: unknown) => caught);
    expect(isNotFoundError(error)).toBe(true);
    expect(called).toBe(false);
  });

  it('creates a missing aggregate with createIfMissing, and a losing concurrent creator retries on the winner', async () => {
    const store = new InMemoryEventStore();
    const repository = new EventSourcedRepository(store, create);
    const seen: number[] = [];
    const bank = await repository.update(
      'p-2',
      async (loaded, { attempt }) => {
        seen.push(loaded.version);
        if (attempt === 1) await repository.save(PiggyBank.buy('p-2', 'Grace'));
        loaded.addCoin(1);
      },
      { createIfMissing: true },
    );
    expect(seen).toEqual([0, 1]);
    expect(bank).toMatchObject({ owner: 'Grace', cents: 1, version: 2 });
  });

  it('runs each attempt through the policy and hands its signal to the change', async () => {
    const { repository } = await bankRepository();
    const controller = new AbortController();
    let executions = 0;
    const policy: Policy = {
      execute: (fn) => {
        executions++;
        return Promise.resolve(fn({ signal: controller.signal }));
      },
    };
    const signals: AbortSignal[] = [];
    await repository.update(
      'p-1',
      async (bank, { signal, attempt }) => {
        signals.push(signal);
        if (attempt === 1) await interfere(repository);
        bank.addCoin(1);
      },
      { policy },
    );
    expect(executions).toBe(2);
    expect(signals).toEqual([controller.signal, controller.signal]);
  });

  it('rejects with the abort reason before loading when the signal is already aborted', async () => {
    const { repository } = await bankRepository();
    const reason = new Error('stop');
    let called = false;
    const update = repository.update('p-1', () => void (called = true), {
      signal: AbortSignal.abort(reason),
    });
    await expect(update).rejects.toBe(reason);
    expect(called).toBe(false);
  });

  it('stops after a conflict when aborted during the attempt, saving nothing more', async () => {
    const { repository, store } = await bankRepository();
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    let calls = 0;
    const update = repository.update(
      'p-1',
      async (bank) => {
        calls++;
        await interfere(repository);
        controller.abort(reason);
        bank.addCoin(5);
      },
      { signal: controller.signal },
    );
    await expect(update).rejects.toBe(reason);
    expect(calls).toBe(1);
    expect(await store.streamVersion('PiggyBank-p-1')).toBe(2);
  });

  it('waits a growing, jittered backoff on the repository clock between conflicting attempts', async () => {
    const clock = new ManualClock();
    const { repository } = await bankRepository({ clock });
    const startedAt: number[] = [];
    const update = repository.update(
      'p-1',
      async (bank) => {
        startedAt.push(clock.now());
        if (startedAt.length < 3) await interfere(repository, 1);
        bank.addCoin(5);
      },
      { maxConflictRetries: 3 },
    );
    await clock.runAllAsync();
    await update;
    expect(startedAt).toHaveLength(3);
    const [firstWait, secondWait] = [startedAt[1]! - startedAt[0]!, startedAt[2]! - startedAt[1]!];
    expect(firstWait).toBeGreaterThanOrEqual(5); // 10 ms spread over [5, 10]
    expect(firstWait).toBeLessThanOrEqual(10);
    expect(secondWait).toBeGreaterThanOrEqual(10); // 20 ms spread over [10, 20]
    expect(secondWait).toBeLessThanOrEqual(20);
  });

  it('stops waiting the backoff when aborted, with the abort reason and no further attempt', async () => {
    const clock = new ManualClock();
    const { repository, store } = await bankRepository({ clock });
    const controller = new AbortController();
    const reason = new Error('caller gave up during the backoff');
    let calls = 0;
    const update = repository.update(
      'p-1',
      async (bank) => {
        calls++;
        await interfere(repository);
        bank.addCoin(5);
      },
      { signal: controller.signal },
    );
    const outcome = update.catch((caught: unknown) => caught);
    while (clock.pendingTimers === 0) await Promise.resolve();
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    expect(calls).toBe(1);
    expect(await store.streamVersion('PiggyBank-p-1')).toBe(2);
  });

  it('refuses bad options in one ValidationError, at the call and at construction', async () => {
    const { repository } = await bankRepository();
    const error = await repository
      .update('p-1', undefined as never, { maxConflictRetries: -1, policy: {} as never })
      .catch((caught: unknown) => caught);
    expect(isValidationError(error)).toBe(true);
    for (const name of ['change', 'maxConflictRetries', 'policy'])
      expect((error as Error).message).toContain(name);
    expect(
      () => new EventSourcedRepository(new InMemoryEventStore(), create, { maxConflictRetries: 1.5 }),
    ).toThrow('maxConflictRetries');
  });

  it('logs each retry at debug level and publishes only the saved attempt’s events', async () => {
    const entries: LogEntry[] = [];
    const published: string[] = [];
    const { repository } = await bankRepository({
      logger: createLogger((entry) => entries.push(entry), { level: 'debug' }),
      publisher: eventPublisher(async (events) => void published.push(...events.map((event) => event.type))),
    });
    published.length = 0;
    await repository.update('p-1', async (bank, { attempt }) => {
      if (attempt === 1) await interfere(repository);
      bank.smash();
    });
    expect(published).toEqual(['CoinAdded', 'Smashed']);
    expect(entries.map((entry) => entry.message)).toEqual([
      'PiggyBank "p-1" was changed by another writer; reloading it for attempt 2 of 4.',
    ]);
  });

  it('leaves the stream exactly as two concurrent updates would in turn', async () => {
    const { repository, store } = await bankRepository();
    await Promise.all([
      repository.update('p-1', (bank) => bank.addCoin(1)),
      repository.update('p-1', (bank) => bank.addCoin(2)),
      repository.update('p-1', (bank) => bank.addCoin(3)),
    ]);
    const events = await collect(store.readStream('PiggyBank-p-1'));
    expect(events.map((event) => event.type)).toEqual(['Bought', 'CoinAdded', 'CoinAdded', 'CoinAdded']);
    expect((await repository.get('p-1')).cents).toBe(6);
  });

  it('retries on a clock with only sleep and logs to a logger with only debug, info and warn', async () => {
    const manual = new ManualClock();
    const messages: string[] = [];
    const record = (message: string): void => void messages.push(message);
    const { repository } = await bankRepository({
      clock: { sleep: (ms: number, signal?: AbortSignal) => manual.sleep(ms, signal) } as never,
      logger: { debug: record, info: record, warn: record } as never,
    });
    const update = repository.update('p-1', async (bank, { attempt }) => {
      if (attempt === 1) await interfere(repository);
      bank.addCoin(5);
    });
    await manual.runAllAsync();
    expect((await update).cents).toBe(105);
    expect(messages).toHaveLength(1);
  });

  it('refuses a clock without sleep, which it waits the conflict backoff with', () => {
    expect(
      () =>
        new EventSourcedRepository(new InMemoryEventStore(), create, { clock: { now: () => 0 } as never }),
    ).toThrow(/clock: must be a Clock \(with sleep\)/);
  });
});
