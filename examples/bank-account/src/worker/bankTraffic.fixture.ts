import { ProjectionRunner } from '@keel/eventsourcing';
import type { EventStore } from '@keel/eventsourcing';
import { createBank } from '../bank.js';
import type { Bank } from '../bank.js';
import { BalancesReadModel } from '../balances.js';
import type { BalanceRow } from '../balances.js';
import type { WorkerDatabase } from './database.js';

/**
 * Sends commands through the example's own bank (command bus → aggregates → event store) on
 * the worker's database, as the write side of the service would.
 */
export async function throughBank(
  database: WorkerDatabase,
  work: (bank: Bank) => Promise<void>,
): Promise<void> {
  const bank = await createBank({ infrastructure: { ...database.infrastructure, close: async () => {} } });
  try {
    await work(bank);
  } finally {
    await bank.close();
  }
}

/** Ada and Bob open accounts (each gets the welcome bonus); Ada deposits and withdraws. */
export async function firstDay(bank: Bank): Promise<void> {
  await bank.commands.send('OpenAccount', { accountId: 'ada', owner: 'Ada' });
  await bank.commands.send('DepositMoney', { accountId: 'ada', amountCents: 50_00 });
  await bank.commands.send('WithdrawMoney', { accountId: 'ada', amountCents: 20_00 });
  await bank.commands.send('OpenAccount', { accountId: 'bob', owner: 'Bob' });
}

/** Bob empties and closes his account; Ada deposits again. */
export async function secondDay(bank: Bank): Promise<void> {
  await bank.commands.send('WithdrawMoney', { accountId: 'bob', amountCents: 5_00 });
  await bank.commands.send('CloseAccount', { accountId: 'bob' });
  await bank.commands.send('DepositMoney', { accountId: 'ada', amountCents: 7_00 });
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
