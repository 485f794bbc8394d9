import { correlationMiddleware, createCommandBus, createEventBus, validationMiddleware } from '@keel/cqrs';
import { createEvent } from '@keel/core';
import { z } from 'zod';

const Deposit = z.object({ accountId: z.string(), amount: z.number().positive() });
type Deposited = z.infer<typeof Deposit>;
const events = createEventBus<{ Deposited: Deposited }>({ middleware: [correlationMiddleware()] });
const commands = createCommandBus<{ Deposit: { data: Deposited; result: number } }>({
  middleware: [correlationMiddleware(), validationMiddleware({ Deposit })],
});
commands.register('Deposit', async ({ data }, context) => {
  await events.publish([createEvent('Deposited', data, { causedBy: context.message })]);
  return data.amount;
});
events.subscribe('Deposited', (event) => console.log(event.type, event.data.amount)); // Deposited 5
const balance: number = await commands.send('Deposit', { accountId: 'a-1', amount: 5 });
console.log(balance); // 5
