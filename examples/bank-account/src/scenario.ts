import { createCommand, isKeelError } from '@keel/core';
import type { Clock } from '@keel/core';
import { isDomainRuleViolation } from '@keel/ddd';
import type { ProjectionProgress } from '@keel/eventsourcing';
import { cents } from './account.js';
import { createBank } from './bank.js';
import type { Bank } from './bank.js';
import type { BalanceRow } from './balances.js';
import { handleAccountCommand } from './commands.js';
import type { AccountCommand } from './commands.js';

/** Options of {@link runScenario}. */
export interface ScenarioOptions {
  /** Where the narration goes. @default console.log */
  print?: (line: string) => void;
  clock?: Clock;
}

/** A command the domain or the validation refused. */
export interface Rejection {
  readonly command: string;
  /** The broken rule, or the error code. */
  readonly reason: string;
  readonly message: string;
}

/** What the scenario ends with, for the smoke test. */
export interface ScenarioResult {
  readonly rejections: readonly Rejection[];
  readonly balances: readonly BalanceRow[];
  readonly adaStreamVersion: number;
  readonly adaSnapshotVersion: number | undefined;
  readonly rebuildProgress: readonly ProjectionProgress[];
  readonly totalAfterRebuildCents: number;
  readonly conflictRetries: number;
}

type Send = (command: AccountCommand) => Promise<void>;
type Print = (line: string) => void;

/** Runs the bank story end to end: commands, rules, conflicts, snapshots, upcasting, projection. */
export async function runScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const bank = createBank(options.clock === undefined ? {} : { clock: options.clock });
  const rejections: Rejection[] = [];
  const send: Send = async (command) => {
    try {
      await handleAccountCommand(bank.commands, command);
    } catch (error) {
      if (!isKeelError(error)) throw error;
      const reason = isDomainRuleViolation(error) ? error.rule : error.code;
      rejections.push({ command: command.type, reason, message: error.message });
      print(`   refused ${command.type} [${reason}]: ${error.message}`);
    }
  };

  bank.balancesRunner.start();
  const versions = await openAndDeposit(bank, send, print);
  await enforceRules(bank, send, print);
  await tellersRace(bank, print, rejections);
  await closeBob(send, print);
  await legacyAccount(bank, print);
  const readModel = await readAndRebuild(bank, print);
  await bank.balancesRunner.stop();
  return { rejections, ...versions, ...readModel, conflictRetries: bank.conflictRetries.length };
}

async function openAndDeposit(bank: Bank, send: Send, print: Print) {
  print('1. Ada and Bob open accounts; the balances projection follows live.');
  await send(createCommand('OpenAccount', { accountId: 'ada', owner: 'Ada', overdraftLimitCents: 50_00 }));
  await send(createCommand('OpenAccount', { accountId: 'bob', owner: 'Bob' }));
  print('2. Ada gets 250 deposits of €1.00: a snapshot is taken every 100 events.');
  for (let day = 0; day < 250; day++) {
    await send(createCommand('DepositMoney', { accountId: 'ada', amountCents: 1_00 }));
  }
  const adaStreamVersion = await bank.store.streamVersion('Account-ada');
  const adaSnapshotVersion = (await bank.snapshots.store.load('Account-ada'))?.version;
  const replayed = adaStreamVersion - (adaSnapshotVersion ?? 0);
  print(
    `   Ada's stream is at version ${adaStreamVersion}; latest snapshot at ${adaSnapshotVersion}, so a load replays ${replayed} events.`,
  );
  return { adaStreamVersion, adaSnapshotVersion };
}

async function enforceRules(bank: Bank, send: Send, print: Print): Promise<void> {
  print('3. The rules refuse what the bank does not allow.');
  await send(createCommand('WithdrawMoney', { accountId: 'ada', amountCents: 400_00 }));
  await send(createCommand('WithdrawMoney', { accountId: 'ada', amountCents: 280_00 }));
  const ada = await bank.accounts.get('ada');
  print(`   Ada withdrew €280.00 using her overdraft: balance ${cents(ada.balanceCents)}.`);
  await send(createCommand('DepositMoney', { accountId: 'bob', amountCents: -5 }));
}

async function readAndRebuild(bank: Bank, print: Print) {
  print('7. The read model catches up, then is rebuilt from zero.');
  await bank.balancesRunner.waitUntilCaughtUp();
  const balances = bank.balances.all();
  for (const row of balances) {
    const closed = row.closed ? '  (closed)' : '';
    print(
      `   ${row.owner.padEnd(6)} ${cents(row.balanceCents).padStart(9)}  ${String(row.transactions).padStart(3)} transactions${closed}`,
    );
  }
  const rebuildProgress: ProjectionProgress[] = [];
  await bank.balancesRunner.rebuild({ onProgress: (progress) => rebuildProgress.push(progress) });
  await bank.balancesRunner.waitUntilCaughtUp();
  const last = rebuildProgress.at(-1);
  const total = bank.balances.totalCents();
  print(
    `   Rebuilt ${last?.processed} events up to position ${last?.headPosition}; total held ${cents(total)}.`,
  );
  return { balances, rebuildProgress, totalAfterRebuildCents: total };
}

async function tellersRace(
  bank: Bank,
  print: (line: string) => void,
  rejections: Rejection[],
): Promise<void> {
  print("4. Two tellers change Bob's account from the same version.");
  const first = await bank.accounts.get('bob');
  const second = await bank.accounts.get('bob');
  first.deposit(100_00);
  second.deposit(20_00);
  await bank.accounts.save(first);
  try {
    await bank.accounts.save(second);
  } catch (error) {
    if (!isKeelError(error)) throw error;
    rejections.push({ command: 'save (stale copy)', reason: error.code, message: error.message });
    print(`   the stale save is refused [${error.code}]: ${error.message}`);
  }
  await Promise.all([
    handleAccountCommand(
      bank.commands,
      createCommand('DepositMoney', { accountId: 'bob', amountCents: 20_00 }),
    ),
    handleAccountCommand(
      bank.commands,
      createCommand('DepositMoney', { accountId: 'bob', amountCents: 30_00 }),
    ),
  ]);
  print(
    `   through the command handlers (${bank.conflictRetries.length} conflict reloaded and retried) both deposits land: ${cents((await bank.accounts.get('bob')).balanceCents)}.`,
  );
}

async function closeBob(send: Send, print: Print) {
  print('5. Bob tries to close with money left, pays out, closes, and the account stays closed.');
  await send(createCommand('CloseAccount', { accountId: 'bob' }));
  await send(createCommand('WithdrawMoney', { accountId: 'bob', amountCents: 150_00 }));
  await send(createCommand('CloseAccount', { accountId: 'bob', reason: 'moving abroad' }));
  await send(createCommand('DepositMoney', { accountId: 'bob', amountCents: 1_00 }));
}

async function legacyAccount(bank: Bank, print: Print): Promise<void> {
  print('6. An account written by an older release: MoneyDeposited v1 held euros, v2 holds cents.');
  await bank.rawStore.appendToStream('Account-carol', [
    { type: 'AccountOpened', data: { owner: 'Carol', overdraftLimitCents: 0 } },
    { type: 'MoneyDeposited', data: { amount: 12.5 }, metadata: { schemaVersion: 1 } },
  ]);
  const carol = await bank.accounts.get('carol');
  print(`   loaded through the upcaster: Carol holds ${cents(carol.balanceCents)}.`);
}
