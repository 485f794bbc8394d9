import { systemClock } from '@keel/core';
import type { Clock } from '@keel/core';
import {
  createUpcaster,
  EventSourcedRepository,
  everyNEvents,
  InMemoryCheckpointStore,
  InMemoryDeadLetterStore,
  InMemoryEventStore,
  InMemorySnapshotStore,
  ProjectionRunner,
  withUpcasting,
} from '@keel/eventsourcing';
import type { EventStore } from '@keel/eventsourcing';
import { Account } from './account.js';
import { BalancesReadModel } from './balances.js';
import { createAccountCommandHandlers } from './commands.js';

/**
 * `MoneyDeposited` v1 (an earlier release) stored `{ amount }` in euros; v2 stores
 * `{ amountCents }`. Every reader sees v2.
 */
export const accountUpcaster = createUpcaster({
  MoneyDeposited: [(v1: { amount: number }) => ({ amountCents: Math.round(v1.amount * 100) })],
});

/** Options of {@link createBank}. */
export interface BankOptions {
  /** @default systemClock */
  clock?: Clock;
  /** @default 100 */
  snapshotEvery?: number;
}

/** Wires the building blocks: store (with upcasting), snapshots, repository, commands, read model. */
export function createBank(options: BankOptions = {}) {
  const clock = options.clock ?? systemClock;
  const rawStore = new InMemoryEventStore({ clock });
  const store: EventStore = withUpcasting(rawStore, accountUpcaster);
  const snapshots = {
    store: new InMemorySnapshotStore(),
    policy: everyNEvents(options.snapshotEvery ?? 100),
    schemaVersion: 1,
    clock,
  };
  const accounts = new EventSourcedRepository(store, (id: string) => new Account(id), { snapshots });
  const conflictRetries: string[] = [];
  const commands = createAccountCommandHandlers(accounts, {
    onConflictRetry: (accountId) => conflictRetries.push(accountId),
  });
  const balances = new BalancesReadModel();
  const checkpoints = new InMemoryCheckpointStore();
  const deadLetters = new InMemoryDeadLetterStore();
  const balancesRunner = new ProjectionRunner(store, balances.projection, {
    checkpoints,
    deadLetters,
    clock,
  });
  return {
    rawStore,
    store,
    snapshots,
    accounts,
    commands,
    conflictRetries,
    balances,
    balancesRunner,
    deadLetters,
  };
}

/** Everything {@link createBank} wires. */
export type Bank = ReturnType<typeof createBank>;
