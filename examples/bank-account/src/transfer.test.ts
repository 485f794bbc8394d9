import { afterEach, describe, expect, it } from 'vitest';
import { createBank } from './bank.js';
import type { Bank } from './bank.js';
import { createTransfers } from './transfer.js';
import { showTransfers } from './transferDemo.js';

let bank: Bank | undefined;
afterEach(async () => {
  await bank?.close();
  bank = undefined;
});

async function setup() {
  bank = await createBank();
  const { commands } = bank;
  for (const [accountId, owner] of [
    ['ada', 'Ada'],
    ['bob', 'Bob'],
    ['cy', 'Cy'],
  ] as const)
    await commands.send('OpenAccount', { accountId, owner });
  await commands.send('DepositMoney', { accountId: 'ada', amountCents: 100_00 });
  // Cy empties and closes the account, so deposits into it are refused.
  await commands.send('WithdrawMoney', {
    accountId: 'cy',
    amountCents: bank.balances.get('cy')!.balanceCents,
  });
  await commands.send('CloseAccount', { accountId: 'cy' });
  const balance = (accountId: string) => bank!.balances.get(accountId)!.balanceCents;
  return { bank, transfers: createTransfers(bank), balance };
}

describe('a transfer between two accounts, run by a saga', () => {
  it('withdraws from one account and deposits into the other', async () => {
    const { transfers, balance } = await setup();
    const [ada, bob] = [balance('ada'), balance('bob')];
    const outcome = await transfers.transfer('t-1', { from: 'ada', to: 'bob', amountCents: 30_00 });
    expect(outcome.status).toBe('completed');
    expect([balance('ada'), balance('bob')]).toEqual([ada - 30_00, bob + 30_00]);
  });

  it('pays the money back when the target account refuses the deposit', async () => {
    const { transfers, balance } = await setup();
    const ada = balance('ada');
    const outcome = await transfers.transfer('t-2', { from: 'ada', to: 'cy', amountCents: 10_00 });
    expect(outcome.status).toBe('compensated');
    expect([balance('ada'), balance('cy')]).toEqual([ada, 0]);
    const history = (await transfers.orchestrator.get('t-2'))?.history.map((entry) => entry.type);
    expect(history).toContain('compensationCompleted');
  });

  it('moves the money once when the same transfer is asked for twice', async () => {
    const { transfers, balance } = await setup();
    const [ada, bob] = [balance('ada'), balance('bob')];
    await transfers.transfer('t-3', { from: 'ada', to: 'bob', amountCents: 5_00 });
    const again = await transfers.transfer('t-3', { from: 'ada', to: 'bob', amountCents: 5_00 });
    expect(again.status).toBe('completed');
    expect([balance('ada'), balance('bob')]).toEqual([ada - 5_00, bob + 5_00]);
  });

  it('moves nothing when the source cannot cover the amount', async () => {
    const { transfers, balance } = await setup();
    const [ada, bob] = [balance('ada'), balance('bob')];
    const outcome = await transfers.transfer('t-4', { from: 'ada', to: 'bob', amountCents: ada + 1_000_00 });
    expect(outcome.status).not.toBe('completed');
    expect([balance('ada'), balance('bob')]).toEqual([ada, bob]);
  });

  it('tells the story pnpm start prints: one transfer completed, one paid back', async () => {
    const lines: string[] = [];
    expect(await showTransfers((line) => lines.push(line))).toEqual(['completed', 'compensated']);
    expect(lines).toHaveLength(3);
    // The refused transfer leaves both balances where the first one put them.
    expect(lines[2]?.split('; ')[1]).toBe(lines[1]?.split('; ')[1]);
  });
});
