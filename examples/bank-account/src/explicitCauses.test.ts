// The welcome-bonus shape (an event handler sends a command whose handler saves the same
// account and publishes to the same bus) with the buses' defaults: no ambient correlation, no
// AsyncLocalStorage. The causes passed at each hop are what keeps the bonus's event from
// queueing behind the AccountOpened delivery that led to it.
import type { Message } from '@keel/core';
import { createCommandBus, createEventBus } from '@keel/cqrs';
import { EventSourcedRepository, InMemoryEventStore } from '@keel/eventsourcing';
import { describe, expect, it } from 'vitest';
import { Account } from './account.js';
import type { AccountEvents } from './account.js';

describe('the welcome bonus with explicit causes and default buses', () => {
  it('deposits the bonus inside the delivery of AccountOpened, each message caused by the one before', async () => {
    const events = createEventBus<AccountEvents>();
    const accounts = new EventSourcedRepository(new InMemoryEventStore(), (id: string) => new Account(id), {
      publisher: events,
    });
    const commands = createCommandBus<{
      OpenAccount: { data: { accountId: string; owner: string } };
      DepositMoney: { data: { accountId: string; amountCents: number } };
    }>();
    commands.register('OpenAccount', async (command) => {
      await accounts.save(Account.open(command.data.accountId, command.data.owner), { causedBy: command });
    });
    commands.register('DepositMoney', async (command) => {
      const account = await accounts.get(command.data.accountId);
      account.deposit(command.data.amountCents);
      await accounts.save(account, { causedBy: command });
    });
    const seen: Message[] = [];
    events.subscribe('AccountOpened', async (event, context) => {
      const accountId = event.metadata.aggregate!.id;
      await commands.send('DepositMoney', { accountId, amountCents: 500 }, { causedBy: context.message });
      seen.push(event);
    });
    events.subscribe('MoneyDeposited', (event) => void seen.push(event));

    await commands.send('OpenAccount', { accountId: 'a-1', owner: 'Ada' });

    // The deposit was delivered while AccountOpened's handler still ran: nested, not queued.
    expect(seen.map((event) => event.type)).toEqual(['MoneyDeposited', 'AccountOpened']);
    const [deposited, opened] = seen as [Message, Message];
    expect(deposited.metadata.correlationId).toBe(opened.metadata.correlationId);
    expect((await accounts.get('a-1')).balanceCents).toBe(500);
    await events.close();
  });
});
