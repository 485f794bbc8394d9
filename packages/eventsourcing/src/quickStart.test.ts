// The README's quick start, kept compiling and running.
import { describe, expect, it } from 'vitest';
import { createCommandHandler, InMemoryEventStore } from './index.js';
import type { Decider } from './index.js';

describe('README quick start', () => {
  it('handles a deposit and reads the stream back', async () => {
    const lines: string[] = [];
    const log = (...parts: unknown[]) => lines.push(parts.join(' '));

    type Deposit = { type: 'Deposit'; amount: number };
    type Deposited = { type: 'Deposited'; data: { amount: number } };
    const account: Decider<Deposit, number, Deposited> = {
      initialState: () => 0,
      decide: (command) => [{ type: 'Deposited', data: { amount: command.amount } }],
      evolve: (balance, event) => balance + event.data.amount,
    };

    const store = new InMemoryEventStore();
    const handle = createCommandHandler(store, account, { maxConflictRetries: 3 });
    const { state } = await handle('account-42', { type: 'Deposit', amount: 50 }); // state === 50
    for await (const event of store.readStream('account-42')) log(event.streamVersion, event.type);

    expect(state).toBe(50);
    expect(lines).toEqual(['1 Deposited']);
  });
});
