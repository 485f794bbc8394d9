import { AggregateRoot } from '@keel/ddd';
import type { EventHandlers } from '@keel/ddd';

/** Every fact an account records. Amounts are integer cents. */
export type AccountEvents = {
  AccountOpened: { owner: string; overdraftLimitCents: number };
  MoneyDeposited: { amountCents: number };
  MoneyWithdrawn: { amountCents: number };
  AccountClosed: { reason: string };
};

/** The state kept in snapshots (plain data, so any snapshot store can serialize it). */
export interface AccountSnapshot {
  owner: string;
  balanceCents: number;
  overdraftLimitCents: number;
  status: 'open' | 'closed';
}

/**
 * The classic event-sourced bank account. Rules:
 * - amounts are positive whole cents;
 * - a withdrawal may not take the balance below minus the overdraft limit;
 * - a closed account accepts nothing; only an account with a zero balance can close.
 */
export class Account extends AggregateRoot<string, AccountEvents, AccountSnapshot> {
  readonly aggregateType = 'Account';
  owner = '';
  balanceCents = 0;
  overdraftLimitCents = 0;
  status: 'new' | 'open' | 'closed' = 'new';

  protected readonly handlers: EventHandlers<AccountEvents> = {
    AccountOpened: ({ owner, overdraftLimitCents }) => {
      this.owner = owner;
      this.overdraftLimitCents = overdraftLimitCents;
      this.status = 'open';
    },
    MoneyDeposited: ({ amountCents }) => {
      this.balanceCents += amountCents;
    },
    MoneyWithdrawn: ({ amountCents }) => {
      this.balanceCents -= amountCents;
    },
    AccountClosed: () => {
      this.status = 'closed';
    },
  };

  /** Opens a new account. */
  static open(id: string, owner: string, overdraftLimitCents = 0): Account {
    const account: Account = new Account(id);
    account.ensure(owner.trim().length > 0, 'account.owner-required', 'An account needs an owner.');
    account.ensure(
      Number.isSafeInteger(overdraftLimitCents) && overdraftLimitCents >= 0,
      'account.overdraft-not-negative',
      `An overdraft limit is whole cents >= 0; got ${overdraftLimitCents}.`,
    );
    account.raise('AccountOpened', { owner, overdraftLimitCents });
    return account;
  }

  deposit(amountCents: number): void {
    this.#ensureOpen('deposit');
    this.#ensurePositive(amountCents);
    this.raise('MoneyDeposited', { amountCents });
  }

  withdraw(amountCents: number): void {
    this.#ensureOpen('withdraw');
    this.#ensurePositive(amountCents);
    const after = this.balanceCents - amountCents;
    this.ensure(
      after >= -this.overdraftLimitCents,
      'account.insufficient-funds',
      () =>
        `Account "${this.id}" has ${cents(this.balanceCents)} and an overdraft limit of ${cents(this.overdraftLimitCents)}; ` +
        `withdrawing ${cents(amountCents)} is not allowed.`,
    );
    this.raise('MoneyWithdrawn', { amountCents });
  }

  close(reason: string): void {
    this.#ensureOpen('close');
    this.ensure(
      this.balanceCents === 0,
      'account.balance-must-be-zero',
      () => `Account "${this.id}" still holds ${cents(this.balanceCents)}; pay it out before closing.`,
    );
    this.raise('AccountClosed', { reason });
  }

  protected override snapshotState(): AccountSnapshot {
    return {
      owner: this.owner,
      balanceCents: this.balanceCents,
      overdraftLimitCents: this.overdraftLimitCents,
      status: this.status === 'closed' ? 'closed' : 'open',
    };
  }

  protected override restoreSnapshotState(state: AccountSnapshot): void {
    this.owner = state.owner;
    this.balanceCents = state.balanceCents;
    this.overdraftLimitCents = state.overdraftLimitCents;
    this.status = state.status;
  }

  #ensureOpen(action: string): void {
    this.ensure(
      this.status === 'open',
      'account.must-be-open',
      `Account "${this.id}" is ${this.status}; cannot ${action}.`,
    );
  }

  #ensurePositive(amountCents: number): void {
    this.ensure(
      Number.isSafeInteger(amountCents) && amountCents > 0,
      'account.positive-amount',
      `An amount is whole cents > 0; got ${amountCents}.`,
    );
  }
}

/** Formats cents as euros, e.g. `€12.50`. */
export function cents(amountCents: number): string {
  const sign = amountCents < 0 ? '-' : '';
  return `${sign}€${(Math.abs(amountCents) / 100).toFixed(2)}`;
}
