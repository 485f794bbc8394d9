import { createBank } from './bank.js';
import { createTransfers } from './transfer.js';

const euros = (cents: number): string => `${(cents / 100).toFixed(2)} €`;

/**
 * Tells the transfer story on in-memory stores: one transfer that completes, and one into a
 * closed account whose withdrawal the saga pays back. Returns the two outcomes' statuses.
 */
export async function showTransfers(print: (line: string) => void = console.log): Promise<string[]> {
  const bank = await createBank();
  const transfers = createTransfers(bank);
  try {
    await bank.commands.send('OpenAccount', { accountId: 'ada', owner: 'Ada' });
    await bank.commands.send('OpenAccount', { accountId: 'bob', owner: 'Bob' });
    await bank.commands.send('OpenAccount', { accountId: 'cy', owner: 'Cy' });
    await bank.commands.send('DepositMoney', { accountId: 'ada', amountCents: 20_00 });
    await bank.commands.send('WithdrawMoney', {
      accountId: 'cy',
      amountCents: bank.balances.get('cy')!.balanceCents,
    });
    await bank.commands.send('CloseAccount', { accountId: 'cy' });
    const balances = () =>
      ['ada', 'bob'].map((id) => `${id} ${euros(bank.balances.get(id)!.balanceCents)}`).join(', ');
    print(`  before: ${balances()}`);
    const paid = await transfers.transfer('transfer-1', { from: 'ada', to: 'bob', amountCents: 5_00 });
    print(`  transfer-1 ada → bob 5.00 €: ${paid.status}; ${balances()}`);
    const refused = await transfers.transfer('transfer-2', { from: 'ada', to: 'cy', amountCents: 3_00 });
    print(`  transfer-2 ada → cy (closed) 3.00 €: ${refused.status}, withdrawal paid back; ${balances()}`);
    return [paid.status, refused.status];
  } finally {
    await transfers.close();
    await bank.close();
  }
}
