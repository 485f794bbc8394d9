import { createCommand, createEvent, createQuery } from '@keel/core';
import type { Disposer, DomainEvent, EventPublisher } from '@keel/core';
import { describe, expectTypeOf, it } from 'vitest';
import { createCommandBus } from '../commandBus/commandBus.js';
import { createEventBus } from '../eventBus/eventBus.js';
import { createQueryBus } from '../queryBus/queryBus.js';
import type { CommandFor, DataOf, ResultFor } from './messageMap.js';

interface BankCommands {
  OpenAccount: { data: { owner: string }; result: { accountId: string } };
  Deposit: { data: { accountId: string; amount: number } };
}

interface BankQueries {
  Balance: { data: { accountId: string }; result: number };
}

interface BankEvents {
  Deposited: { accountId: string; amount: number };
  Closed: { accountId: string };
}

describe('typed message maps', () => {
  it('derive data, result and command types from a map', () => {
    expectTypeOf<DataOf<BankCommands, 'Deposit'>>().toEqualTypeOf<{ accountId: string; amount: number }>();
    expectTypeOf<ResultFor<BankCommands, 'OpenAccount'>>().toEqualTypeOf<{ accountId: string }>();
    expectTypeOf<ResultFor<BankCommands, 'Deposit'>>().toEqualTypeOf<void>();
    expectTypeOf<CommandFor<BankCommands, 'Deposit'>['type']>().toEqualTypeOf<'Deposit'>();
  });

  it('type command results by command type', () => {
    const commands = createCommandBus<BankCommands>();
    expectTypeOf(commands.send('OpenAccount', { owner: 'ada' })).toEqualTypeOf<
      Promise<{ accountId: string }>
    >();
    expectTypeOf(commands.execute(createCommand('Deposit', { accountId: 'a', amount: 1 }))).toEqualTypeOf<
      Promise<void>
    >();
    expectTypeOf(
      commands.register('OpenAccount', async () => ({ accountId: 'a' })),
    ).toEqualTypeOf<Disposer>();
  });

  it('type handler parameters and check handler results', () => {
    const commands = createCommandBus<BankCommands>();
    commands.register('Deposit', (command, context) => {
      expectTypeOf(command.data.amount).toEqualTypeOf<number>();
      expectTypeOf(context.signal).toEqualTypeOf<AbortSignal>();
    });
    // @ts-expect-error the handler of OpenAccount must return { accountId }
    commands.register('OpenAccount', () => 42);
  });

  it('reject unknown types and wrong data', () => {
    const commands = createCommandBus<BankCommands>();
    // @ts-expect-error no such command
    void commands.send('Withdraw', {});
    // @ts-expect-error amount must be a number
    void commands.send('Deposit', { accountId: 'a', amount: '1' });
    // @ts-expect-error data of the wrong command type
    void commands.execute(createCommand('OpenAccount', { accountId: 'a' }));
  });

  it('type query results by query type', () => {
    const queries = createQueryBus<BankQueries>();
    expectTypeOf(queries.send('Balance', { accountId: 'a' })).toEqualTypeOf<Promise<number>>();
    expectTypeOf(queries.execute(createQuery('Balance', { accountId: 'a' }))).toEqualTypeOf<
      Promise<number>
    >();
    // @ts-expect-error a balance is a number
    queries.register('Balance', () => 'ten');
  });

  it('type event handlers, wildcard handlers and publish', () => {
    const events = createEventBus<BankEvents>();
    events.subscribe('Deposited', (event) => {
      expectTypeOf(event).toEqualTypeOf<DomainEvent<'Deposited', { accountId: string; amount: number }>>();
    });
    events.subscribe('*', (event) => {
      expectTypeOf(event.type).toEqualTypeOf<'Deposited' | 'Closed'>();
    });
    void events.publish([createEvent('Closed', { accountId: 'a' })]);
    // @ts-expect-error Closed carries an accountId
    void events.publish([createEvent('Closed', { id: 'a' })]);
    expectTypeOf(events).toExtend<EventPublisher<DomainEvent<'Deposited' | 'Closed'>>>();
  });

  it('accept anything on an untyped bus', () => {
    const commands = createCommandBus();
    expectTypeOf(commands.send('Whatever', 1)).toEqualTypeOf<Promise<unknown>>();
  });
});
