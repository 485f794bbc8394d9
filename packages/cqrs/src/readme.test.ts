import { createEvent } from '@keel/core';
import type { Message } from '@keel/core';
import { expect, it } from 'vitest';
import { z } from 'zod';
import { correlationMiddleware, createCommandBus, createEventBus, validationMiddleware } from './index.js';

it('runs the README quick start', async () => {
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
  const seen: Message[] = [];
  events.subscribe('Deposited', (event) => void seen.push(event));
  const balance: number = await commands.send(
    'Deposit',
    { accountId: 'a-1', amount: 5 },
    { metadata: { messageId: 'c-1' } },
  );

  expect(balance).toBe(5);
  expect(seen[0]!.metadata).toMatchObject({ correlationId: 'c-1', causationId: 'c-1' });
});
