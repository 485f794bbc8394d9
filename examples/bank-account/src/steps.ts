import { createCommand, isKeelError, isNotFoundError, isValidationError } from '@keel/core';
import type { DataOf } from '@keel/cqrs';
import type { ProjectionProgress } from '@keel/eventsourcing';
import { cents } from './account.js';
import type { Bank } from './bank.js';
import type { AccountCommands, AccountCommandType } from './commands.js';
import { short, transactions } from './narrator.js';
import type { Narrator, Print } from './narrator.js';

/** A command (or save) that validation or the domain refused. */
export interface Rejection {
  readonly command: string;
  /** The broken rule, or the error code. */
  readonly reason: string;
  readonly message: string;
}

/** Sends a command through the command bus; resolves with the new version, or `undefined` when refused. */
export type Send = <TType extends AccountCommandType>(
  type: TType,
  data: DataOf<AccountCommands, TType>,
) => Promise<number | undefined>;

/** What every step works with. */
export interface Story {
  readonly bank: Bank;
  readonly narrator: Narrator;
  readonly print: Print;
  readonly send: Send;
  readonly rejections: Rejection[];
}

/** What sending one command twice did. */
export interface DuplicateOutcome {
  readonly firstVersion: number;
  readonly secondVersion: number;
  readonly streamVersion: number;
}

/** Step 1: commands → events → read model, then a query. */
export async function openAndQuery({ bank, print, send }: Story): Promise<void> {
  print('\n1. Commands go through the command bus; the events they cause feed the read model.');
  print('   A policy on the event bus answers AccountOpened with a €5.00 welcome-bonus DepositMoney:');
  print('   the whole flow shares one correlation id, and each message names the one that caused it.');
  await send('OpenAccount', { accountId: 'ada', owner: 'Ada', overdraftLimitCents: 50_00 });
  await send('OpenAccount', { accountId: 'bob', owner: 'Bob' });
  await send('DepositMoney', { accountId: 'ada', amountCents: 100_00 });
  print('   Queries go through the query bus and read only the read model:');
  const ada = await bank.queries.send('GetBalance', { accountId: 'ada' });
  print(
    `   ? GetBalance ada → ${ada.owner} holds ${cents(ada.balanceCents)}, ${transactions(ada.transactions)}`,
  );
}

/** Step 2: enough events for two snapshots. */
export async function manyDeposits({ bank, narrator, print, send }: Story) {
  print('\n2. Ada gets 250 deposits of €1.00 (narration off): a snapshot every 100 events.');
  await narrator.quiet(async () => {
    for (let day = 0; day < 250; day++) await send('DepositMoney', { accountId: 'ada', amountCents: 1_00 });
  });
  const adaStreamVersion = await bank.store.streamVersion('Account-ada');
  const adaSnapshotVersion = (await bank.snapshots.store.load('Account-ada'))?.version;
  const replayed = adaStreamVersion - (adaSnapshotVersion ?? 0);
  print(
    `   Ada's stream is at version ${adaStreamVersion}; the latest snapshot is at ${adaSnapshotVersion}, so a load replays ${replayed} events.`,
  );
  const ada = await bank.queries.send('GetBalance', { accountId: 'ada' });
  print(`   ? GetBalance ada → ${cents(ada.balanceCents)}, ${transactions(ada.transactions)}`);
  return { adaStreamVersion, adaSnapshotVersion };
}

/** Step 3: the validation middleware lists every problem and no handler runs. */
export async function invalidCommand({ bank, narrator, print, rejections }: Story): Promise<string[]> {
  print('\n3. An invalid command is rejected by the validation middleware before any handler runs.');
  const before = await bank.store.headPosition();
  const invalid = { accountId: '', amountCents: -2.5 };
  narrator.command('DepositMoney', invalid);
  try {
    await bank.commands.send('DepositMoney', invalid);
    throw new Error('the invalid command was accepted');
  } catch (error) {
    if (!isValidationError(error)) throw error;
    rejections.push({ command: 'DepositMoney', reason: error.code, message: error.message });
    const issues = error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    print(`   the ValidationError lists all ${issues.length} problems:`);
    for (const issue of issues) print(`     - ${issue}`);
    print(
      `   nothing was appended: the store's head is still at ${await bank.store.headPosition()} (was ${before}).`,
    );
    return issues;
  }
}

/** Step 4: the idempotency middleware applies a command id once. */
export async function duplicateCommand({ bank, narrator, print }: Story): Promise<DuplicateOutcome> {
  print('\n4. The same command (same message id) arrives twice, e.g. a client retry: it is applied once.');
  const deposit = createCommand('DepositMoney', { accountId: 'ada', amountCents: 25_00 });
  print(
    `   » DepositMoney ${JSON.stringify(deposit.data)} with message id ${short(deposit.metadata.messageId)}`,
  );
  const firstVersion = await bank.commands.execute(deposit);
  narrator.command('DepositMoney', deposit.data, ' again, same message id');
  const secondVersion = await bank.commands.execute(deposit);
  const streamVersion = await bank.store.streamVersion('Account-ada');
  print(
    `   the repeat returned the first result (version ${secondVersion}) without running the handler: no new event, Ada's stream is still at ${streamVersion}.`,
  );
  return { firstVersion, secondVersion, streamVersion };
}

/** Step 5: a domain rule refuses a withdrawal past the overdraft limit. */
export async function overdraft({ bank, print, send }: Story): Promise<void> {
  print('\n5. The Account aggregate enforces the rules: no withdrawal past the overdraft limit.');
  await send('WithdrawMoney', { accountId: 'ada', amountCents: 500_00 });
  await send('WithdrawMoney', { accountId: 'ada', amountCents: 400_00 });
  const ada = await bank.queries.send('GetBalance', { accountId: 'ada' });
  print(`   ? GetBalance ada → ${cents(ada.balanceCents)} (using her €50.00 overdraft)`);
}

/** Step 6: optimistic concurrency, refused for a stale copy and retried by the handlers. */
export async function tellersRace({ bank, narrator, print, rejections }: Story): Promise<void> {
  print("\n6. Two tellers change Bob's account from the same version.");
  const first = await bank.accounts.get('bob');
  const second = await bank.accounts.get('bob');
  first.deposit(100_00);
  second.deposit(20_00);
  await bank.accounts.save(first); // straight through the repository: no command, so no cause
  try {
    await bank.accounts.save(second);
  } catch (error) {
    if (!isKeelError(error)) throw error;
    rejections.push({ command: 'save (stale copy)', reason: error.code, message: error.message });
    print(`   ✗ the stale save is refused [${error.code}]: ${error.message}`);
  }
  print('   Two deposits sent at once through the bus: the loser reloads and retries.');
  await narrator.quiet(() =>
    Promise.all([
      bank.commands.send('DepositMoney', { accountId: 'bob', amountCents: 20_00 }),
      bank.commands.send('DepositMoney', { accountId: 'bob', amountCents: 30_00 }),
    ]),
  );
  const bob = await bank.queries.send('GetBalance', { accountId: 'bob' });
  print(
    `   ${bank.conflictRetries.length} conflict retried; both landed. ? GetBalance bob → ${cents(bob.balanceCents)}`,
  );
}

/** Step 7: closing needs a zero balance, and a closed account accepts nothing. */
export async function closeBob({ print, send }: Story): Promise<void> {
  print('\n7. Bob tries to close with money left, pays out, closes; the account stays closed.');
  await send('CloseAccount', { accountId: 'bob' });
  await send('WithdrawMoney', { accountId: 'bob', amountCents: 155_00 });
  await send('CloseAccount', { accountId: 'bob', reason: 'moving abroad' });
  await send('DepositMoney', { accountId: 'bob', amountCents: 1_00 });
}

/** Step 8: events written by an older release, straight into the store (not through the bus). */
export async function legacyAccount({ bank, print }: Story): Promise<string> {
  print("\n8. Carol's account was imported from an older release, straight into the store (no bus):");
  print('   MoneyDeposited v1 held euros; v2 holds cents. The upcaster turns v1 into v2 on read.');
  await bank.infrastructure.eventStore.appendToStream('Account-carol', [
    { type: 'AccountOpened', data: { owner: 'Carol', overdraftLimitCents: 0 } },
    { type: 'MoneyDeposited', data: { amount: 12.5 }, metadata: { schemaVersion: 1 } },
  ]);
  const carol = await bank.accounts.get('carol');
  print(`   the aggregate loads through the upcaster: Carol holds ${cents(carol.balanceCents)}.`);
  try {
    await bank.queries.send('GetBalance', { accountId: 'carol' });
    return 'found';
  } catch (error) {
    if (!isNotFoundError(error)) throw error;
    print(`   ? GetBalance carol → ✗ ${error.message} (the read model only hears what the bus publishes)`);
    return error.code;
  }
}

/** Step 9: the read model is rebuilt from the event store, the source of truth. */
export async function rebuild({ bank, narrator, print }: Story) {
  print('\n9. The read model is rebuilt from zero from the event store (a ProjectionRunner).');
  const rebuildProgress: ProjectionProgress[] = [];
  await narrator.quiet(() =>
    bank.balancesRunner.rebuild({ onProgress: (progress) => rebuildProgress.push(progress) }),
  );
  const last = rebuildProgress.at(-1);
  print(`   replayed ${last?.processed} events up to position ${last?.headPosition}.`);
  const balances = await bank.queries.send('ListBalances', {});
  print('   ? ListBalances →');
  for (const row of balances) {
    const closed = row.closed ? '  (closed)' : '';
    print(
      `     ${row.owner.padEnd(6)} ${cents(row.balanceCents).padStart(9)}  ${transactions(row.transactions).padStart(16)}${closed}`,
    );
  }
  const total = await bank.queries.send('TotalHeld', {});
  print(`   ? TotalHeld → ${cents(total.totalCents)} over ${total.accounts} accounts`);
  return { balances, rebuildProgress, totalAfterRebuildCents: total.totalCents };
}
