import { isConcurrencyError, parse } from '@keel/core';
import type { Command, StandardSchemaV1 } from '@keel/core';
import type { Repository } from '@keel/ddd';
import { z } from 'zod';
import { Account } from './account.js';

/**
 * The account commands and their schemas. Every write to the domain goes through this module,
 * so a command bus (`@keel/cqrs`) can later register `accountCommandHandlers` as they are.
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
/** The name of an account command. */
export type AccountCommandType = keyof Schemas;
/** An account command as a core `Command` message. */
export type AccountCommand = {
  [TType in AccountCommandType]: Command<TType, z.input<Schemas[TType]>>;
}[AccountCommandType];

/** One handler per command type; each resolves with the account's version after the change. */
export type AccountCommandHandlers = {
  [TType in AccountCommandType]: (command: Command<TType, z.input<Schemas[TType]>>) => Promise<number>;
};

/** Options of {@link createAccountCommandHandlers}. */
export interface AccountCommandOptions {
  /** How often to reload and retry when another writer changed the account first. @default 3 */
  maxConflictRetries?: number;
  /** Told about every conflict that is retried. @default ignore */
  onConflictRetry?: (accountId: string, attempt: number) => void;
}

/**
 * Creates the handlers: validate the command with its schema, load the account, run the domain
 * method, save. A version conflict reloads the account and runs the command again.
 */
export function createAccountCommandHandlers(
  accounts: Repository<Account, string>,
  options: AccountCommandOptions = {},
): AccountCommandHandlers {
  const retries = options.maxConflictRetries ?? 3;
  const change = async (accountId: string, act: (account: Account) => void): Promise<number> => {
    for (let attempt = 0; ; attempt++) {
      const account = await accounts.get(accountId);
      act(account);
      try {
        await accounts.save(account);
        return account.version;
      } catch (error) {
        if (!isConcurrencyError(error) || attempt >= retries) throw error;
        options.onConflictRetry?.(accountId, attempt + 1);
      }
    }
  };
  return {
    OpenAccount: async (command) => {
      const data = validate('OpenAccount', command.data);
      const account = Account.open(data.accountId, data.owner, data.overdraftLimitCents);
      await accounts.save(account);
      return account.version;
    },
    DepositMoney: async (command) => {
      const data = validate('DepositMoney', command.data);
      return change(data.accountId, (account) => account.deposit(data.amountCents));
    },
    WithdrawMoney: async (command) => {
      const data = validate('WithdrawMoney', command.data);
      return change(data.accountId, (account) => account.withdraw(data.amountCents));
    },
    CloseAccount: async (command) => {
      const data = validate('CloseAccount', command.data);
      return change(data.accountId, (account) => account.close(data.reason));
    },
  };
}

/** Routes any account command to its handler (what a command bus will do). */
export function handleAccountCommand(
  handlers: AccountCommandHandlers,
  command: AccountCommand,
): Promise<number> {
  const handler = handlers[command.type] as (command: AccountCommand) => Promise<number>;
  return handler(command);
}

function validate<TType extends AccountCommandType>(
  type: TType,
  data: unknown,
): StandardSchemaV1.InferOutput<Schemas[TType]> {
  return parse(accountCommandSchemas[type], data, { subject: `${type} command` });
}
