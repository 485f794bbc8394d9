import { createCommandHandler, InMemoryEventStore, type Decider } from '@keel/eventsourcing';

type Deposit = { type: 'Deposit'; amount: number };
type Deposited = { type: 'Deposited'; data: { amount: number } };
const account: Decider<Deposit, number, Deposited> = {
  initialState: () => 0,
  decide: (command) => [{ type: 'Deposited', data: { amount: command.amount } }],
  evolve: (balance, event) => balance + event.data.amount,
};

const store = new InMemoryEventStore();
const handle = createCommandHandler(store, account, { maxConflictRetries: 3 });
const { state } = await handle('account-42', { type: 'Deposit', amount: 50 });
console.log(state); // 50
for await (const event of store.readStream('account-42')) console.log(event.streamVersion, event.type); // 1 Deposited
