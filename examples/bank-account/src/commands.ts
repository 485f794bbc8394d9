import { disposer } from '@keel/core';
import type { Disposer } from '@keel/core';
import type { CommandBus, CommandFor } from '@keel/cqrs';
import type { EventSourcedRepository } from '@keel/eventsourcing';
import { z } from 'zod';
import { Account } from './account.js';

/**
 * The write side's vocabulary: one zod schema per command. The command bus's
 * `validationMiddleware` checks every command against these before any handler runs.
 */
export const accountCommandSchemas = {
  OpenAccount: z.object({
    accountId: z.string().min(1),
    owner: z.string().min(1),
    overdraftLimitCents: z.number().int().min(0).default(0),
  }),
  DepositMoney: z.object({ accountId: z.string().min(1), amountCents: z.number().int().positive() }),
  WithdrawMoney: z.object({ accountId: z.string().min(1), amountCents: z.number().int().positive() }),
  CloseAccount: z.object({ accountId: z.string().min(1), reason: z.string().default('customer request') }),
};

type Schemas = typeof accountCommandSchemas;
type Spec<TType extends keyof Schemas> = { data: z.input<Schemas[TType]>; result: number };

/**
 * The command map of the bus: what each command carries and what its handler returns (the
 * account's version after the change). `createCommandBus<AccountCommands>()` types
 * `send`, `execute` and `register` with it.
 */
export interface AccountCommands {
  OpenAccount: Spec<'OpenAccount'>;
  DepositMoney: Spec<'DepositMoney'>;
  WithdrawMoney: Spec<'WithdrawMoney'>;
  CloseAccount: Spec<'CloseAccount'>;
}

/** The name of an account command. */
export type AccountCommandType = keyof AccountCommands;
/** Any account command message. */
export type AccountCommand = {
  [TType in AccountCommandType]: CommandFor<AccountCommands, TType>;
}[AccountCommandType];

/** Options of {@link registerAccountCommandHandlers}. */
export interface AccountCommandOptions {
  /** How often to reload and retry when another writer changed the account first. @default 3 */
  maxConflictRetries?: number;
  /** Told about every conflict that is retried. @default ignore */
  onConflictRetry?: (accountId: string, attempt: number) => void;
}

/**
 * Registers one handler per account command on the bus. Each loads the account, runs the domain
 * method (which checks the rules and raises events) and saves; the repository appends the events
 * and publishes them on the event bus. A version conflict reloads the account and runs the
 * command again (`EventSourcedRepository.update`, with a short backoff between attempts).
 *
 * @returns A disposer that unregisters every handler.
 */
export function registerAccountCommandHandlers(
  bus: CommandBus<AccountCommands>,
  accounts: EventSourcedRepository<Account, string>,
  options: AccountCommandOptions = {},
): Disposer {
  const maxConflictRetries = options.maxConflictRetries ?? 3;
  const change = async (accountId: string, signal: AbortSignal, act: (account: Account) => void) => {
    const account = await accounts.update(
      accountId,
      (loaded, { attempt }) => {
        if (attempt > 1) options.onConflictRetry?.(accountId, attempt - 1);
        act(loaded);
      },
      { maxConflictRetries, signal },
    );
    return account.version;
  };
  const disposers = [
    bus.register('OpenAccount', async (command, context) => {
      const data = validated(command);
      const account = Account.open(data.accountId, data.owner, data.overdraftLimitCents);
      await accounts.save(account, { signal: context.signal });
      return account.version;
    }),
    bus.register('DepositMoney', async (command, context) => {
      const data = validated(command);
      return change(data.accountId, context.signal, (account) => account.deposit(data.amountCents));
    }),
    bus.register('WithdrawMoney', async (command, context) => {
      const data = validated(command);
      return change(data.accountId, context.signal, (account) => account.withdraw(data.amountCents));
    }),
    bus.register('CloseAccount', async (command, context) => {
      const data = validated(command);
      return change(data.accountId, context.signal, (account) => account.close(data.reason));
    }),
  ];
  return disposer(() => {
    for (const dispose of disposers) dispose();
  });
}

/**
 * The parsed data (defaults filled in). The bus's `validationMiddleware` replaced the message's
 * data with its schema's output before the handler ran, so this only narrows the type.
 */
function validated<TType extends AccountCommandType>(
  command: CommandFor<AccountCommands, TType>,
): z.output<Schemas[TType]> {
  return command.data as z.output<Schemas[TType]>;
}
