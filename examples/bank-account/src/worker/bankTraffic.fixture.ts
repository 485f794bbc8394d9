import { EventSourcedRepository, ProjectionRunner } from '@keel/eventsourcing';
import type { EventStore } from '@keel/eventsourcing';
import { Account } from '../account.js';
import { BalancesReadModel } from '../balances.js';
import type { BalanceRow } from '../balances.js';
import type { WorkerDatabase } from './database.js';

/**
 * Saves `Account` aggregates straight through an event-sourced repository on the worker's
 * database: the write side without the bank's buses.
 */
export async function throughAccounts(
  database: WorkerDatabase,
  work: (save: (account: Account) => Promise<void>, load: (id: string) => Promise<Account>) => Promise<void>,
): Promise<void> {
  const accounts = new EventSourcedRepository(database.store, (id: string) => new Account(id));
  await work(
    (account) => accounts.save(account),
    (id) => accounts.get(id),
  );
}

/** Dan opens an account, deposits and withdraws; Erin opens one and deposits. */
export async function danAndErin(save: (account: Account) => Promise<void>): Promise<void> {
  const dan = Account.open('dan', 'Dan');
  dan.deposit(30_00);
  dan.withdraw(10_00);
  await save(dan);
  const erin = Account.open('erin', 'Erin');
  erin.deposit(8_00);
  await save(erin);
}

/** Dan withdraws the rest and closes his account. */
export async function danLeaves(
  save: (account: Account) => Promise<void>,
  load: (id: string) => Promise<Account>,
): Promise<void> {
  const dan = await load('dan');
  dan.withdraw(20_00);
  dan.close('moving away');
  await save(dan);
}

/** Carol's account as an older release stored it: `MoneyDeposited` v1 held euros. */
export async function importLegacyCarol(database: WorkerDatabase): Promise<void> {
  await database.infrastructure.eventStore.appendToStream('Account-carol', [
    { type: 'AccountOpened', data: { owner: 'Carol', overdraftLimitCents: 0 } },
    { type: 'MoneyDeposited', data: { amount: 12.5 }, metadata: { schemaVersion: 1 } },
  ]);
}

/** The balances a fresh rebuild of the in-memory read model makes from the whole log. */
export async function rebuiltBalances(store: EventStore): Promise<BalanceRow[]> {
  const balances = new BalancesReadModel();
  await new ProjectionRunner(store, balances.projection).rebuild();
  return balances.all();
}
