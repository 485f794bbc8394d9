import type { Disposer } from '@keel/core';
import type { CommandBus, EventBus } from '@keel/cqrs';
import type { AccountEvents } from './account.js';
import type { AccountCommands } from './commands.js';

/** What every new account gets. */
export const WELCOME_BONUS_CENTS = 5_00;

/**
 * A policy (event → command): when an account is opened, the bank deposits a welcome bonus.
 * It reacts to `AccountOpened` on the event bus and sends `DepositMoney` on the command bus;
 * the correlation middleware carries the flow on, so the bonus command and its event keep the
 * `OpenAccount` command's correlation id, and each names its own cause.
 *
 * @returns A disposer that unsubscribes the policy.
 */
export function registerWelcomeBonus(
  events: EventBus<AccountEvents>,
  commands: CommandBus<AccountCommands>,
): Disposer {
  return events.subscribe(
    'AccountOpened',
    async (event) => {
      const account = event.metadata.aggregate;
      if (account === undefined) return;
      await commands.send('DepositMoney', { accountId: account.id, amountCents: WELCOME_BONUS_CENTS });
    },
    { name: 'welcome bonus' },
  );
}
